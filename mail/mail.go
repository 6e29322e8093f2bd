// Package mail sends Peiling's invitations and reminders to municipalities over SMTP.
//
// github.com/wneessen/go-mail builds each message (MIME, UTF-8, quoted-printable, encoded
// headers) and opens the connection (EHLO, STARTTLS, AUTH); Conn then walks each message
// through MAIL, RCPT and DATA itself, so the caller learns the moment the server accepted it.
package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/mail"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
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

// timeout bounds each step with the server: a hanging server fails one message, not the run.
const timeout = 20 * time.Second

// Conn is an open, authenticated connection to the SMTP server. It is not safe for
// concurrent use.
type Conn struct {
	c    *smtp.Client
	from *mail.Address
}

// Dial connects to the server of cfg, with STARTTLS and AUTH PLAIN when cfg asks for them.
// AUTH PLAIN sends the password only over TLS, or to localhost.
func Dial(ctx context.Context, cfg Config) (*Conn, error) {
	if !cfg.Enabled() {
		return nil, errors.New("e-mail is not configured")
	}
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("from address %q: %w", cfg.From, err)
	}
	opts := []gomail.Option{gomail.WithTimeout(timeout), gomail.WithTLSPolicy(gomail.NoTLS)}
	if cfg.Port != 0 {
		opts = append(opts, gomail.WithPort(cfg.Port))
	}
	if cfg.StartTLS {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory),
			gomail.WithTLSConfig(&tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}))
	}
	if cfg.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(cfg.User), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, err
	}
	c, err := client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, err
	}
	return &Conn{c: c, from: from}, nil
}

// Send delivers m. It returns nil only once the server answered 250 to the end of DATA:
// from then on the message is the server's to deliver. A *textproto.Error is the server
// refusing this message (see Refused); the connection is then still good for the next.
func (c *Conn) Send(m Message) error {
	msg, err := build(c.from, m)
	if err != nil {
		return err
	}
	if err := c.c.UpdateDeadline(timeout); err != nil {
		return err
	}
	if err := c.transact(m.To, msg); err != nil {
		if Refused(err) {
			_ = c.c.Reset()
		}
		return err
	}
	return nil
}

func (c *Conn) transact(to string, msg *gomail.Msg) error {
	if err := c.c.Mail(c.from.Address); err != nil {
		return err
	}
	if err := c.c.Rcpt(to); err != nil {
		return err
	}
	w, err := c.c.Data()
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		_ = w.Close()
		return err
	}
	return w.Close() // reads the server's answer to the end of DATA
}

// Close says QUIT and closes the connection.
func (c *Conn) Close() error {
	if err := c.c.Quit(); err != nil {
		return errors.Join(err, c.c.Close())
	}
	return nil
}

// Refused reports whether err is the server's refusal of one message (a 4xx or 5xx reply),
// as opposed to a broken connection.
func Refused(err error) bool {
	var proto *textproto.Error
	return errors.As(err, &proto)
}

// build composes m as a plain-text UTF-8 message with the library's MIME writer.
func build(from *mail.Address, m Message) (*gomail.Msg, error) {
	if strings.ContainsAny(m.To, "\r\n<>") {
		return nil, fmt.Errorf("address %q is not valid", m.To)
	}
	to, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", m.To, err)
	}
	to.Name = m.ToName
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	msg.SetAddrHeaderFromMailAddress(gomail.HeaderTo, to)
	msg.Subject(strings.Join(strings.Fields(m.Subject), " "))
	msg.SetDate()
	msg.SetMessageIDWithValue(messageID(from.Address))
	msg.SetBodyString(gomail.TypeTextPlain, strings.ReplaceAll(m.Body, "\r\n", "\n"))
	return msg, nil
}

// messageID is a random id at the sender's domain; go-mail's own uses the local host name.
func messageID(from string) string {
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	return hex.EncodeToString(id) + "@" + from[strings.LastIndex(from, "@")+1:]
}
