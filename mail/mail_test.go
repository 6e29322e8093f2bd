package mail_test

import (
	"context"
	"net"
	"strings"
	"testing"

	"peiling/mail"
	"peiling/mail/mailtest"
)

func TestParseURL(t *testing.T) {
	c, err := mail.ParseURL("smtp://user:p%40ss@mail.example.nl:587?from=peiling@example.nl&starttls=1")
	if err != nil {
		t.Fatal(err)
	}
	want := mail.Config{Host: "mail.example.nl", Port: 587, User: "user", Password: "p@ss", From: "peiling@example.nl", StartTLS: true}
	if c != want {
		t.Errorf("got %+v, want %+v", c, want)
	}
	for _, bad := range []string{"http://x", "smtp://host:25", "smtp://host:x?from=a@b.nl", "smtp://host?from=geen-adres"} {
		if _, err := mail.ParseURL(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	if c, err := mail.ParseURL(""); err != nil || c.Enabled() {
		t.Errorf("empty URL: %+v %v", c, err)
	}
}

// send delivers msgs over one connection, as the mail worker does.
func send(t *testing.T, cfg mail.Config, msgs []mail.Message) []error {
	t.Helper()
	c, err := mail.Dial(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	}()
	errs := make([]error, len(msgs))
	for i, m := range msgs {
		errs[i] = c.Send(m)
	}
	return errs
}

func TestSendDeliversEachMessageAndReportsRefusals(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Refuse("weg@example.nl")
	msgs := []mail.Message{
		{To: "a@example.nl", ToName: "Anna \"de\" Vries", Subject: "Uitnodiging: één peiling", Body: "Beste Anna,\n\nhttps://peiling.example.nl/s/x/uitnodiging/" + strings.Repeat("A", 43) + "\n"},
		{To: "weg@example.nl", Subject: "x", Body: "y"},
		{To: "b@example.nl", Subject: "Tweede", Body: "z"},
	}
	errs := send(t, srv.Config(), msgs)
	if errs[0] != nil || errs[2] != nil || !mail.Refused(errs[1]) || !strings.Contains(errs[1].Error(), "550") {
		t.Fatalf("errors: %v", errs)
	}
	got := srv.To("a@example.nl")
	if len(got) != 1 {
		t.Fatalf("a@example.nl got %d messages", len(got))
	}
	if got[0].Subject != "Uitnodiging: één peiling" || !strings.Contains(got[0].Body, "/uitnodiging/"+strings.Repeat("A", 43)+"\n") {
		t.Errorf("subject %q body %q", got[0].Subject, got[0].Body)
	}
	to, err := got[0].Header.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != `Anna "de" Vries` || to[0].Address != "a@example.nl" {
		t.Errorf("To header %q: %v", got[0].Header.Get("To"), err)
	}
	for _, h := range []string{"Date", "Message-Id", "Mime-Version"} {
		if got[0].Header.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	if !strings.HasSuffix(got[0].Header.Get("Message-Id"), "@example.nl>") {
		t.Errorf("Message-ID %q", got[0].Header.Get("Message-Id"))
	}
	if len(srv.To("b@example.nl")) != 1 {
		t.Error("the message after a refused one was not delivered")
	}
}

func TestSendRefusesAnAddressThatWouldInjectHeaders(t *testing.T) {
	srv := mailtest.Start(t)
	errs := send(t, srv.Config(), []mail.Message{{To: "a@example.nl\r\nBcc: b@example.nl", Subject: "x", Body: "y"}, {To: "c@example.nl", Subject: "Onderwerp\r\nBcc: d@example.nl", Body: "z"}})
	if errs[0] == nil || mail.Refused(errs[0]) {
		t.Errorf("address with a newline: %v", errs[0])
	}
	got := srv.Messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].Header.Get("Bcc") != "" || got[0].Subject != "Onderwerp Bcc: d@example.nl" {
		t.Errorf("delivered %+v", got)
	}
}

func TestDialToAClosedPortFails(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens here now: connection refused
	cfg := mail.Config{Host: "127.0.0.1", Port: addr.Port, From: "peiling@example.nl"}
	if _, err := mail.Dial(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("dial: %v", err)
	}
}

func TestDialWithAWrongPasswordFails(t *testing.T) {
	srv := mailtest.Start(t)
	cfg := srv.Config()
	cfg.Password = "fout"
	if _, err := mail.Dial(context.Background(), cfg); err == nil {
		t.Error("dial with a wrong password succeeded")
	}
}
