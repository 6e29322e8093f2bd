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

func TestSendDeliversEachMessageAndReportsRefusals(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Refuse("weg@example.nl")
	msgs := []mail.Message{
		{To: "a@example.nl", ToName: "Anna de Vries", Subject: "Uitnodiging: één peiling", Body: "Beste Anna,\n\nhttps://peiling.example.nl/s/x/uitnodiging/" + strings.Repeat("A", 43) + "\n"},
		{To: "weg@example.nl", Subject: "x", Body: "y"},
		{To: "b@example.nl", Subject: "Tweede", Body: "z"},
	}
	errs := mail.Send(context.Background(), srv.Config(), msgs)
	if errs[0] != nil || errs[2] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "550") {
		t.Fatalf("errors: %v", errs)
	}
	got := srv.To("a@example.nl")
	if len(got) != 1 {
		t.Fatalf("a@example.nl got %d messages", len(got))
	}
	if got[0].Subject != "Uitnodiging: één peiling" || !strings.Contains(got[0].Body, "/uitnodiging/"+strings.Repeat("A", 43)+"\n") {
		t.Errorf("subject %q body %q", got[0].Subject, got[0].Body)
	}
	if to := got[0].Header.Get("To"); !strings.Contains(to, "Anna de Vries") {
		t.Errorf("To header %q", to)
	}
	if len(srv.To("b@example.nl")) != 1 {
		t.Error("the message after a refused one was not delivered")
	}
}

func TestSendToAClosedPortFailsEveryMessage(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().(*net.TCPAddr)
	l.Close() // nothing listens here now: connection refused
	cfg := mail.Config{Host: "127.0.0.1", Port: addr.Port, From: "peiling@example.nl"}
	errs := mail.Send(context.Background(), cfg, []mail.Message{{To: "a@example.nl"}, {To: "b@example.nl"}})
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "refused") {
			t.Errorf("message %d: %v", i, err)
		}
	}
}
