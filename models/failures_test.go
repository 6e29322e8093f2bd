package models

import (
	"testing"
	"time"

	"peiling/models/dbtest"
)

func TestFailureCountsRestartAfterTheirWindowAndArePruned(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	at := time.Date(2018, 3, 1, 9, 0, 0, 0, time.UTC)
	count := func(kind, source string) FailureCount {
		t.Helper()
		f, err := Failures(db.Read, kind, source)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for i := range 3 { // a fixed window of ten minutes from the first failure
		if err := CountFailureInWindow(db.Write, "link", "203.0.113.1", at.Add(time.Duration(i)*4*time.Minute), 10*time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if f := count("link", "203.0.113.1"); f.N != 3 || !f.ExpiresAt.Equal(at.Add(10*time.Minute)) {
		t.Errorf("fixed window: n %d expiring %v, want 3 expiring at %v", f.N, f.ExpiresAt, at.Add(10*time.Minute))
	}
	if err := CountFailureInWindow(db.Write, "link", "203.0.113.1", at.Add(10*time.Minute), 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	if f := count("link", "203.0.113.1"); f.N != 1 || !f.FirstAt.Equal(at.Add(10*time.Minute)) {
		t.Errorf("after the window: n %d since %v, want 1 since %v", f.N, f.FirstAt, at.Add(10*time.Minute))
	}
	for i := range 3 { // forgotten an hour after the latest failure
		if err := CountFailureSinceLast(db.Write, "login", "onderzoeker@example.nl", at.Add(time.Duration(i)*50*time.Minute), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if f := count("login", "onderzoeker@example.nl"); f.N != 3 || !f.ExpiresAt.Equal(at.Add(160*time.Minute)) {
		t.Errorf("sliding: n %d expiring %v, want 3 expiring at %v", f.N, f.ExpiresAt, at.Add(160*time.Minute))
	}
	if f := count("link", "onderzoeker@example.nl"); f.N != 0 {
		t.Errorf("another kind for the same source: n %d, want 0", f.N)
	}
	var stored []FailureCount
	db.Read.Find(&stored)
	for _, f := range stored {
		if f.Key == "onderzoeker@example.nl" || f.Key == "203.0.113.1" || len(f.Key) != 64 {
			t.Errorf("key %q: want a SHA-256, not the source", f.Key)
		}
	}

	pruned, err := PruneFailures(db.Write, at.Add(30*time.Minute))
	if err != nil || pruned != 1 {
		t.Fatalf("pruned %d (err %v), want the link count only", pruned, err)
	}
	if count("link", "203.0.113.1").N != 0 || count("login", "onderzoeker@example.nl").N != 3 {
		t.Error("pruning removed the wrong count")
	}
}
