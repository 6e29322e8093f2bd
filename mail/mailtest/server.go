// Package mailtest runs a real SMTP server on 127.0.0.1 for tests and keeps what it receives.
package mailtest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	peilingmail "peiling/mail"
)

// Message is one delivered mail, decoded.
type Message struct {
	From    string
	To      []string // envelope recipients
	Header  mail.Header
	Subject string
	Body    string // quoted-printable decoded
	Raw     []byte
}

// Server is an SMTP server that accepts everything except recipients listed in Refuse.
type Server struct {
	Addr     string
	User     string
	Password string

	mu       sync.Mutex
	messages []Message
	refuse   map[string]bool
	delay    time.Duration
	held     chan struct{} // while not nil, DATA waits until it is closed
	srv      *smtp.Server
}

// Start runs a server on a free port of 127.0.0.1 that requires AUTH PLAIN with user
// "peiling" and a password; t.Cleanup stops it.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: l.Addr().String(), User: "peiling", Password: "geheim-voor-de-test", refuse: map[string]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true // plain TCP on the loopback interface
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() {
		s.Resume()
		_ = s.srv.Close()
	})
	return s
}

// Config is how Peiling reaches this server.
func (s *Server) Config() peilingmail.Config {
	host, port, _ := net.SplitHostPort(s.Addr)
	cfg, _ := peilingmail.ParseURL("smtp://" + s.User + ":" + s.Password + "@" + host + ":" + port + "?from=Onderzoeksteam+%3Cpeiling@example.nl%3E")
	return cfg
}

// Refuse makes the server answer 550 to this recipient.
func (s *Server) Refuse(addr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse[strings.ToLower(addr)] = true
}

// SlowDown makes the server wait d before it answers the end of each message's DATA, as a
// busy server does: the client is then mid-message for most of a run.
func (s *Server) SlowDown(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delay = d
}

// Hold makes every message wait at the end of DATA, unanswered, until Resume.
func (s *Server) Hold() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == nil {
		s.held = make(chan struct{})
	}
}

// Resume answers the held messages and stops holding.
func (s *Server) Resume() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held != nil {
		close(s.held)
		s.held = nil
	}
}

// Messages returns what was delivered so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages delivered to addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (ss *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.User || password != ss.s.Password {
			return errors.New("invalid credentials")
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	ss.s.mu.Lock()
	refused := ss.s.refuse[strings.ToLower(to)]
	ss.s.mu.Unlock()
	if refused {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(msg.Body) // net/mail leaves the transfer encoding
	if err != nil {
		return err
	}
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		body, err = io.ReadAll(quotedReader(body))
		if err != nil {
			return err
		}
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	ss.s.mu.Lock()
	delay, held := ss.s.delay, ss.s.held
	ss.s.mu.Unlock()
	time.Sleep(delay)
	if held != nil {
		<-held
	}
	ss.s.mu.Lock()
	ss.s.messages = append(ss.s.messages, Message{From: ss.from, To: ss.to, Header: msg.Header, Subject: subject,
		Body: strings.ReplaceAll(string(body), "\r\n", "\n"), Raw: raw})
	ss.s.mu.Unlock()
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

func quotedReader(b []byte) io.Reader { return quotedprintable.NewReader(bytes.NewReader(b)) }
