package models

import (
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// queuedSubmits submits n complete responses of survey s, each for a municipality of its own,
// and returns them; with no background pass running, they wait in the queue of the tallies.
func queuedSubmits(t *testing.T, db *DB, s *Survey, n int) []*Response {
	t.Helper()
	def, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	var ms []Municipality
	if err := db.Read.Where("register = ?", s.Register).Order("code").Limit(n).Find(&ms).Error; err != nil || len(ms) != n {
		t.Fatalf("%d municipalities: %v", len(ms), err)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	out := make([]*Response, n)
	for i := range ms {
		out[i] = completeDraft(t, db, s, def, &ms[i], rng)
		if err := Submit(db.Write, s, out[i], NewToken(), "nl"); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

func queued(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.Read.Model(&Untallied{}).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func tallied(t *testing.T, db *DB, surveyID uint) int64 {
	t.Helper()
	var n int64
	if err := db.Read.Raw(`SELECT COALESCE(SUM(n), 0) FROM tallies WHERE survey_id = ? AND question = ''`, surveyID).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// TestClosingTalliesTheQueue: responses sent while no background pass ran are all in the
// queue; closing adds them, and its figures are those of a recount from the answers.
func TestClosingTalliesTheQueue(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "q.db"))
	s := referenceSurvey(t, db)
	queuedSubmits(t, db, s, 25)
	if q, n := queued(t, db), tallied(t, db, s.ID); q != 25 || n != 0 {
		t.Fatalf("after the submits: %d queued, %d tallied; want 25 and 0", q, n)
	}
	closeForTest(t, db, s)
	if q, n := queued(t, db), tallied(t, db, s.ID); q != 0 || n != 25 {
		t.Fatalf("after closing: %d queued, %d tallied; want 0 and 25", q, n)
	}
	fromQueue := aggregatesOf(t, db, s.ID)
	def, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	if err := rebuildTallies(db.Write, s, def); err != nil {
		t.Fatal(err)
	}
	if err := ComputeAggregates(db.Write, s.ID); err != nil {
		t.Fatal(err)
	}
	if recounted := aggregatesOf(t, db, s.ID); len(fromQueue) == 0 || !reflect.DeepEqual(recounted, fromQueue) {
		t.Fatalf("closing from the queue and from a recount differ: %d rows against %d", len(fromQueue), len(recounted))
	}
}

// TestWithdrawingEmptiesTheQueue: a withdrawal recounts the tallies from the sent responses,
// the queued ones included, so the queue is emptied with it and nothing is counted twice.
func TestWithdrawingEmptiesTheQueue(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "q.db"))
	s := referenceSurvey(t, db)
	sent := queuedSubmits(t, db, s, 3)
	if err := WithdrawResponse(db.Write, s, sent[1].ID, "test", System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if q, n := queued(t, db), tallied(t, db, s.ID); q != 0 || n != 2 {
		t.Fatalf("after the withdrawal: %d queued, %d tallied; want 0 and 2", q, n)
	}
	closeForTest(t, db, s)
	if n := tallied(t, db, s.ID); n != 2 {
		t.Fatalf("after closing: %d tallied, want 2", n)
	}
}

// TestTheBackgroundPassTalliesTheQueue: the server's background pass adds what is queued,
// through the group writer, and stops when the database closes.
func TestTheBackgroundPassTalliesTheQueue(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "q.db"))
	s := referenceSurvey(t, db)
	queuedSubmits(t, db, s, 12)
	db.TallyInBackground(slog.New(slog.DiscardHandler))
	deadline := time.Now().Add(10 * time.Second)
	for queued(t, db) > 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if q, n := queued(t, db), tallied(t, db, s.ID); q != 0 || n != 12 {
		t.Fatalf("after the background pass: %d queued, %d tallied; want 0 and 12", q, n)
	}
	agree, err := talliesAgree(db.Read, s.ID)
	if err != nil || !agree {
		t.Fatalf("the tallies disagree with the sent responses: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestTwoInstancesTallyEachQueuedResponseOnce: two instances on one database take the same
// survey's queue at the same time, a few at a time; each response is added once (the DELETE
// … RETURNING claims it), and the tallies equal a recount.
func TestTwoInstancesTallyEachQueuedResponseOnce(t *testing.T) {
	dsn := dbtest.DSN(t, "q.db")
	a := openSeeded(t, dsn)
	b := openSeeded(t, dsn)
	s := referenceSurvey(t, a)
	queuedSubmits(t, a, s, 40)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, db := range []*DB{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n, err := catchUpTallies(db.Write, s.ID, 3)
				if err != nil || n == 0 {
					errs[i] = err
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if q, n := queued(t, a), tallied(t, a, s.ID); q != 0 || n != 40 {
		t.Fatalf("after both: %d queued, %d tallied; want 0 and 40", q, n)
	}
	kept := talliesOf(t, a, s.ID)
	def, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	if err := rebuildTallies(a.Write, s, def); err != nil {
		t.Fatal(err)
	}
	if recount := talliesOf(t, a, s.ID); !reflect.DeepEqual(recount, kept) {
		t.Fatalf("a recount gives other tallies: %d rows against %d", len(recount), len(kept))
	}
}
