package models

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// invited opens a database with three invitations with an address on the reference survey.
func invited(t *testing.T) (*DB, *Survey) {
	t.Helper()
	db := openSeeded(t, dbtest.DSN(t, "peiling.db"))
	s := referenceSurvey(t, db)
	contacts := []Contact{{Code: "0344", Name: "Anna", Email: "anna@utrecht.nl"}, {Code: "0014", Email: "kees@groningen.nl"}, {Code: "0003", Email: "jan@appingedam.nl"}}
	if _, _, err := Invite(db.Write, s, NewLinkKey(make([]byte, 64)), contacts, System, now()); err != nil {
		t.Fatal(err)
	}
	return db, s
}

func newRun(s *Survey, kind string) *MailRun {
	return &MailRun{SurveyID: s.ID, Kind: kind, Actor: "onderzoeker@example.nl", Subject: "x", Body: "{{link}}", LinkBase: "http://x/", CreatedAt: now()}
}

// TestConcurrentMailRunsOfASurveyQueueOnce starts eight runs at once: the unique index on
// unfinished runs lets one queue the recipients and turns the others away.
func TestConcurrentMailRunsOfASurveyQueueOnce(t *testing.T) {
	db, s := invited(t)
	var wg sync.WaitGroup
	results := make([]error, 8)
	queued := make([]int, 8)
	for i := range results {
		wg.Go(func() {
			// One kind for all: a run of another kind may find no recipients and finish at
			// once, which rightly frees the survey for the next run.
			queued[i], _, results[i] = StartMailRun(db.Write, newRun(s, MailInvitation), 3*24*time.Hour)
		})
	}
	wg.Wait()
	started, total := 0, 0
	for i, err := range results {
		switch {
		case err == nil:
			started++
			total += queued[i]
		case !errors.Is(err, ErrMailBusy):
			t.Errorf("run %d: %v", i, err)
		}
	}
	var messages int64
	db.Read.Model(&MailMessage{}).Count(&messages)
	if started != 1 || total != 3 || messages != 3 {
		t.Errorf("%d runs started, %d queued, %d messages; want 1, 3, 3", started, total, messages)
	}
}

// TestRecordedMailFinishesItsRunAndARetryQueuesOnlyTheFailures walks a run through the
// worker's calls: each outcome in its own write, the run done when nothing is queued.
func TestRecordedMailFinishesItsRunAndARetryQueuesOnlyTheFailures(t *testing.T) {
	db, s := invited(t)
	run := newRun(s, MailInvitation)
	if n, _, err := StartMailRun(db.Write, run, 0); err != nil || n != 3 {
		t.Fatalf("start: %d, %v", n, err)
	}
	outcomes := []string{"", "De mailserver weigerde het bericht: 550 nee", ""}
	for i, failure := range outcomes {
		q, err := NextQueuedMail(db.Read, 0)
		if err != nil {
			t.Fatal(err)
		}
		if err := RecordMail(db.Write, q, failure, now()); err != nil {
			t.Fatal(err)
		}
		if err := RecordMail(db.Write, q, "", now()); err != nil { // a second record of the same message changes nothing
			t.Fatal(err)
		}
		st, err := LatestMailRun(db.Read, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done := st.FinishedAt != nil; done != (i == len(outcomes)-1) {
			t.Errorf("after message %d the run is finished: %v", i+1, done)
		}
	}
	if _, err := NextQueuedMail(db.Read, 0); !errors.Is(err, ErrNotFound) {
		t.Fatalf("queue after the run: %v", err)
	}
	st, _ := LatestMailRun(db.Read, s.ID)
	if st.Sent != 2 || st.Failed != 1 || st.Queued != 0 || len(st.Failures) != 1 || st.Failures[0].Email != "kees@groningen.nl" {
		t.Errorf("status %+v", st)
	}
	var logged int64
	db.Read.Model(&MailSend{}).Count(&logged)
	if logged != 3 {
		t.Errorf("%d lines in the mail log, want 3", logged)
	}

	if n, err := RetryFailedMail(db.Write, s.ID, run.ID); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	if _, _, err := StartMailRun(db.Write, newRun(s, MailReminder), time.Hour); !errors.Is(err, ErrMailBusy) {
		t.Errorf("a new run beside a retried one: %v", err)
	}
	q, err := NextQueuedMail(db.Read, 0)
	if err != nil || q.Message.Email != "kees@groningen.nl" || q.Invitation.MunicipalityCode != "0014" || q.Survey.ID != s.ID {
		t.Fatalf("retried message: %+v, %v", q, err)
	}
	if err := RecordMail(db.Write, q, "", now()); err != nil {
		t.Fatal(err)
	}
	st, _ = LatestMailRun(db.Read, s.ID)
	if st.Sent != 3 || st.Failed != 0 || st.FinishedAt == nil {
		t.Errorf("after the retry: %+v", st)
	}
	if n, err := RetryFailedMail(db.Write, s.ID, run.ID); err != nil || n != 0 {
		t.Errorf("retry with nothing failed: %d, %v", n, err)
	}
	if _, err := RetryFailedMail(db.Write, s.ID+1, run.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("retry of another survey's run: %v", err)
	}
}

// TestUnreachableServerFailsTheRestOfTheRun is the worker's answer to a refused connection.
func TestUnreachableServerFailsTheRestOfTheRun(t *testing.T) {
	db, s := invited(t)
	run := newRun(s, MailInvitation)
	if _, _, err := StartMailRun(db.Write, run, 0); err != nil {
		t.Fatal(err)
	}
	if err := FailQueuedMail(db.Write, *run, "Geen verbinding met de mailserver", now()); err != nil {
		t.Fatal(err)
	}
	st, _ := LatestMailRun(db.Read, s.ID)
	if st.Failed != 3 || st.FinishedAt == nil {
		t.Errorf("status %+v", st)
	}
	rs, _, err := Recipients(db.Read, s.ID, MailInvitation, 0, now())
	if err != nil || len(rs) != 3 {
		t.Errorf("a failed invitation must go to the same recipients again: %d, %v", len(rs), err)
	}
}

// TestAMailRunIsLeasedToOneWorkerAndTakenOverWhenTheLeaseRunsOut plays two workers on two
// instances of one database: one holds the run while it renews its lease; once it stops
// renewing (a crash), the other takes the run over, and the first may no longer send.
func TestAMailRunIsLeasedToOneWorkerAndTakenOverWhenTheLeaseRunsOut(t *testing.T) {
	dsn := dbtest.DSN(t, "peiling.db")
	a, b := openSeeded(t, dsn), openSeeded(t, dsn)
	s := referenceSurvey(t, a)
	if _, _, err := Invite(a.Write, s, NewLinkKey(make([]byte, 64)), []Contact{{Code: "0344", Email: "anna@utrecht.nl"}}, System, now()); err != nil {
		t.Fatal(err)
	}
	run := newRun(s, MailInvitation)
	if _, _, err := StartMailRun(a.Write, run, 0); err != nil {
		t.Fatal(err)
	}
	at := now()
	const lease = 2 * time.Minute

	// Sixteen workers claim at once, half on each instance: one gets the run.
	var wg sync.WaitGroup
	won := make([]bool, 16)
	for i := range won {
		db := []*DB{a, b}[i%2]
		wg.Go(func() {
			_, err := ClaimMailRun(db.Write, fmt.Sprintf("worker-%d", i), at, lease)
			won[i] = err == nil
			if err != nil && !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrMailBusy) {
				t.Errorf("worker %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	holder := ""
	for i, w := range won {
		if w {
			if holder != "" {
				t.Fatalf("%s and worker-%d both hold the run", holder, i)
			}
			holder = fmt.Sprintf("worker-%d", i)
		}
	}
	if holder == "" {
		t.Fatal("nobody got the run")
	}

	if err := RenewMailLease(a.Write, run.ID, holder, at.Add(time.Minute), lease); err != nil {
		t.Fatalf("renew: %v", err)
	}
	if _, err := ClaimMailRun(b.Write, "successor", at.Add(2*time.Minute+30*time.Second), lease); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim while the renewed lease runs: %v, want ErrNotFound", err)
	}
	taken, err := ClaimMailRun(b.Write, "successor", at.Add(3*time.Minute), lease) // the holder stopped renewing
	if err != nil || taken.ID != run.ID {
		t.Fatalf("takeover after the lease ran out: %v, %v", taken, err)
	}
	if err := RenewMailLease(a.Write, run.ID, holder, at.Add(3*time.Minute), lease); !errors.Is(err, ErrMailBusy) {
		t.Errorf("the old holder renewed a lease it lost: %v, want ErrMailBusy", err)
	}
	if err := ReleaseMailLeases(b.Write, "successor"); err != nil {
		t.Fatal(err)
	}
	if _, err := ClaimMailRun(a.Write, "third", at.Add(3*time.Minute), lease); err != nil {
		t.Errorf("claim right after the holder released its lease: %v", err)
	}
}
