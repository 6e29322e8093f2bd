// Package mail sends Peiling's invitations and reminders to municipalities over SMTP.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is how to reach the SMTP server. A zero Config means e-mail is off.
type Config struct {
	Host     string
	Port     int
	User     string
	Password string
	From     string // the sender address, e.g. "Onderzoeksteam <peiling@example.nl>"
	StartTLS bool
}

// Enabled reports whether e-mail is configured.
func (c Config) Enabled() bool { return c.Host != "" && c.From != "" }

// ParseURL reads smtp://user:password@host:port?from=…&starttls=1. An empty string is a zero
// Config.
func ParseURL(raw string) (Config, error) {
	if raw == "" {
		return Config{}, nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "smtp" || u.Hostname() == "" {
		return Config{}, errors.New("SMTP URL must look like smtp://user:password@host:587?from=peiling@example.nl&starttls=1")
	}
	c := Config{Host: u.Hostname(), Port: 25, From: u.Query().Get("from")}
	if p := u.Port(); p != "" {
		if c.Port, err = strconv.Atoi(p); err != nil {
			return Config{}, fmt.Errorf("SMTP port %q is not a number", p)
		}
	}
	if u.User != nil {
		c.User = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	switch u.Query().Get("starttls") {
	case "", "0", "false", "nee":
	default:
		c.StartTLS = true
	}
	if c.From == "" {
		return Config{}, errors.New("SMTP URL needs ?from=address")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return Config{}, fmt.Errorf("SMTP from address %q: %w", c.From, err)
	}
	return c, nil
}

// Message is one plain-text mail to one address.
type Message struct {
	To, ToName    string
	Subject, Body string
}

// timeout bounds each step with the server: a hanging server fails the run, not the request.
const timeout = 20 * time.Second

// Send delivers msgs in order over one connection and returns one error per message; nil
// means the server accepted it. A refused message does not stop the others; a lost
// connection fails every message not yet accepted.
func Send(ctx context.Context, cfg Config, msgs []Message) []error {
	errs := make([]error, len(msgs))
	fail := func(from int, err error) []error {
		for i := from; i < len(msgs); i++ {
			errs[i] = err
		}
		return errs
	}
	if len(msgs) == 0 {
		return errs
	}
	if !cfg.Enabled() {
		return fail(0, errors.New("e-mail is not configured"))
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return fail(0, err)
	}
	c, err := dial(ctx, cfg)
	if err != nil {
		return fail(0, err)
	}
	defer c.Close()
	for i, m := range msgs {
		if err := ctx.Err(); err != nil {
			return fail(i, err)
		}
		err := deliver(c, from, m)
		var proto *textproto.Error
		if errors.As(err, &proto) { // refused by the server: the connection is still good
			errs[i] = err
			if rerr := c.Reset(); rerr != nil {
				return fail(i+1, rerr)
			}
			continue
		}
		if err != nil {
			return fail(i, err)
		}
	}
	_ = c.Quit()
	return errs
}

func dial(ctx context.Context, cfg Config) (*smtp.Client, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	_ = conn.SetDeadline(time.Now().Add(10 * time.Minute)) // a whole run of a few hundred mails
	c, err := smtp.NewClient(conn, cfg.Host)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if cfg.StartTLS {
		if err := c.StartTLS(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}); err != nil {
			c.Close()
			return nil, err
		}
	}
	if cfg.User != "" {
		// PlainAuth sends the password only over TLS, or to localhost.
		if err := c.Auth(smtp.PlainAuth("", cfg.User, cfg.Password, cfg.Host)); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

func deliver(c *smtp.Client, from *mail.Address, m Message) error {
	if strings.ContainsAny(m.To, "\r\n<>") {
		return fmt.Errorf("address %q is not valid", m.To)
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	if err := c.Rcpt(m.To); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(compose(from, m)); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// compose writes the message: UTF-8 text, quoted-printable, headers encoded.
func compose(from *mail.Address, m Message) []byte {
	var b bytes.Buffer
	to := mail.Address{Name: m.ToName, Address: m.To}
	domain := from.Address[strings.LastIndex(from.Address, "@")+1:]
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	fmt.Fprintf(&b, "From: %s\r\n", from.String())
	fmt.Fprintf(&b, "To: %s\r\n", to.String())
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(m.Subject), " ")))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\r\n", hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(m.Body, "\r\n", "\n"), "\n", "\r\n")))
	_ = qp.Close()
	b.WriteString("\r\n")
	return b.Bytes()
}
