package main

import (
	"crypto/sha512"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"peiling/locales"
	"peiling/mail/mailtest"
	"peiling/models"
	"peiling/models/dbtest"
)

const crashSessionKey = "crash-test-session-key-that-is-long-enough"

// queueInvitations prepares a database with n invited municipalities of the reference survey
// and one queued run of invitations to them, as a researcher's click leaves it, and returns
// the addresses.
func queueInvitations(t *testing.T, path string, n int) []string {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := models.SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	s, err := models.FindSurvey(db.Read, models.ReferenceSlug)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := (&models.Registers{}).Get(db.Read, s.Register)
	if err != nil {
		t.Fatal(err)
	}
	var contacts []models.Contact
	var addrs []string
	for _, m := range reg.List[:n] {
		addr := "gemeente" + m.Code + "@example.nl"
		contacts = append(contacts, models.Contact{Code: m.Code, Name: "Contact " + m.Code, Email: addr})
		addrs = append(addrs, addr)
	}
	sum := sha512.Sum512([]byte(crashSessionKey)) // as main derives the key from PEILING_SESSION_KEY
	if _, _, err := models.Invite(db.Write, s, models.NewLinkKey(sum[:]), contacts, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	ts, err := models.MailTemplates(db.Read, s.ID, models.DefaultMailTemplates(cat))
	if err != nil {
		t.Fatal(err)
	}
	run := &models.MailRun{SurveyID: s.ID, Kind: models.MailInvitation, Actor: "onderzoeker@example.nl", Subject: ts[models.MailInvitation].Subject,
		Body: ts[models.MailInvitation].Body, LinkBase: "http://peiling.example.nl/s/" + s.Slug + "/uitnodiging/", CreatedAt: time.Now().UTC()}
	if queued, _, err := models.StartMailRun(db.Write, run, 0); err != nil || queued != n {
		t.Fatalf("queue: %d, %v", queued, err)
	}
	return addrs
}

// startSending runs the real binary on db, sending through the SMTP server at smtpURL.
func startSending(t *testing.T, bin, db, smtpURL string) *exec.Cmd {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(bin, "-db", db, "-addr", addr, "-smtp-url", smtpURL)
	cmd.Env = append(os.Environ(), "PEILING_SESSION_KEY="+crashSessionKey)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	for i := 0; i < 200; i++ {
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return cmd
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("server did not come up")
	return nil
}

// waitForMessages returns once the SMTP server received at least n messages.
func waitForMessages(t *testing.T, srv *mailtest.Server, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for len(srv.Messages()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("the SMTP server received %d messages, waited for %d", len(srv.Messages()), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKilledServerSendsEveryQueuedMailOnce kills the real binary with SIGKILL twice while it
// sends a run of invitations to a slow SMTP server, restarts it on the same database each
// time, and counts what the server received per recipient: none lost, at most one
// duplicate per kill (the message the server accepted just before the process died).
func TestKilledServerSendsEveryQueuedMailOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	const n, kills = 150, 2
	bin := buildBinary(t)
	srv := mailtest.Start(t)
	srv.SlowDown(15 * time.Millisecond) // the kill lands while a message is in flight
	host, port, _ := net.SplitHostPort(srv.Addr)
	smtpURL := (&url.URL{Scheme: "smtp", User: url.UserPassword(srv.User, srv.Password), Host: net.JoinHostPort(host, port),
		RawQuery: url.Values{"from": {"peiling@example.nl"}}.Encode()}).String()
	db := dbtest.DSN(t, "peiling.db")
	addrs := queueInvitations(t, db, n)

	for k := 1; k <= kills; k++ {
		cmd := startSending(t, bin, db, smtpURL)
		waitForMessages(t, srv, k*n/(kills+1))
		after := time.Duration(rand.IntN(30)) * time.Millisecond // anywhere in the next two messages
		time.Sleep(after)
		_ = cmd.Process.Signal(syscall.SIGKILL)
		_ = cmd.Wait()
		t.Logf("kill %d %s after the %dth message, %d received", k, after, k*n/(kills+1), len(srv.Messages()))
		if dbtest.Postgres() {
			letLeasesRunOut(t, db)
		}
		if len(srv.Messages()) >= n {
			t.Fatal("the run finished before the kill: the test proves nothing")
		}
	}
	cmd := startSending(t, bin, db, smtpURL) // resumes the run
	deadline := time.Now().Add(2 * time.Minute)
	for !everyoneGotOne(srv, addrs) {
		if time.Now().After(deadline) {
			t.Fatal("not every recipient got the invitation after the restart")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM) // a clean stop, after the worker recorded the last one
	if err := cmd.Wait(); err != nil {
		t.Errorf("stop: %v", err)
	}

	lost, dups := 0, 0
	for _, addr := range addrs {
		got := srv.To(addr)
		switch {
		case len(got) == 0:
			lost++
		case len(got) > 1:
			dups += len(got) - 1
			t.Logf("%s received %d times", addr, len(got))
		}
		for _, m := range got {
			if !strings.Contains(m.Body, "http://peiling.example.nl/s/"+models.ReferenceSlug+"/uitnodiging/") {
				t.Errorf("%s: message without its link: %q", addr, m.Body)
			}
		}
	}
	t.Logf("%d recipients, %d kills: %d messages received, %d lost, %d duplicates", n, kills, len(srv.Messages()), lost, dups)
	if lost != 0 || dups > kills {
		t.Errorf("%d lost, %d duplicates; want 0 lost and at most %d duplicates", lost, dups, kills)
	}
	checkMailRecorded(t, db, n)
}

func everyoneGotOne(srv *mailtest.Server, addrs []string) bool {
	got := map[string]bool{}
	for _, m := range srv.Messages() {
		for _, to := range m.To {
			got[to] = true
		}
	}
	for _, a := range addrs {
		if !got[a] {
			return false
		}
	}
	return true
}

// checkMailRecorded verifies that the database knows every message as sent, once.
// letLeasesRunOut moves the killed process's lease on its run into the past. On PostgreSQL the
// restarted process is another instance to the database, which takes a run over only once its
// lease ran out (two minutes; on SQLite a start releases them, models.ReleaseLeasesOfAnEarlierProcess):
// the test lets that time pass in the database instead of waiting for it.
func letLeasesRunOut(t *testing.T, dsn string) {
	t.Helper()
	db, err := models.Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Write.Model(&models.MailRun{}).Where("lease_owner <> ''").Update("lease_until", time.Now().Add(-time.Second)).Error
	if err != nil {
		t.Fatal(err)
	}
}

func checkMailRecorded(t *testing.T, path string, n int) {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var states []struct {
		State string
		N     int
	}
	db.Read.Model(&models.MailMessage{}).Select("state, COUNT(*) AS n").Group("state").Scan(&states)
	var runs, sends int64
	db.Read.Model(&models.MailRun{}).Where("finished_at IS NULL").Count(&runs)
	db.Read.Model(&models.MailSend{}).Where("ok").Count(&sends)
	if len(states) != 1 || states[0].State != models.MailSent || states[0].N != n || runs != 0 || int(sends) != n {
		t.Errorf("database after the run: states %v, %d unfinished runs, %d sends logged; want %d sent, 0, %d", states, runs, sends, n, n)
	}
}
