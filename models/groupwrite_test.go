package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"peiling/models/dbtest"
)

func setting(key string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error { return tx.Create(&Setting{Key: key, Value: "x"}).Error }
}

// TestGroupWriteGroupsWaitingWritesAndIsolatesFailures holds the write connection so that the
// writes pile up, then checks they went in as one group in which a failing and a panicking
// write left the others committed and themselves nothing.
func TestGroupWriteGroupsWaitingWritesAndIsolatesFailures(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "c.db"))
	ctx := context.Background()
	sqlDB, _ := db.Write.DB()
	held, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := db.group.groups.Load()
	firstDone := make(chan error, 1)
	go func() { firstDone <- db.GroupWrite(ctx, setting("eerste")) }()
	time.Sleep(50 * time.Millisecond) // the group writer took it and waits for the connection

	writes := map[string]func(tx *gorm.DB) error{"kapot": func(tx *gorm.DB) error {
		if err := setting("kapot")(tx); err != nil {
			return err
		}
		return errors.New("bewust mislukt")
	}, "paniek": func(tx *gorm.DB) error {
		_ = setting("paniek")(tx)
		panic("bewust")
	}}
	for i := range 10 {
		writes[fmt.Sprintf("goed-%d", i)] = setting(fmt.Sprintf("goed-%d", i))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	results := map[string]error{}
	for key, fn := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.GroupWrite(ctx, fn)
			mu.Lock()
			results[key] = err
			mu.Unlock()
		}()
	}
	time.Sleep(100 * time.Millisecond) // all of them wait to be taken
	held.Close()
	wg.Wait()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if groups := db.group.groups.Load() - before; groups != 2 {
		t.Errorf("%d writes went in %d groups, want 2 (the first alone, then the rest)", len(writes)+1, groups)
	}
	for key, err := range results {
		switch {
		case key == "kapot" && (err == nil || err.Error() != "bewust mislukt"):
			t.Errorf("failing write: %v", err)
		case key == "paniek" && (err == nil || !strings.Contains(err.Error(), "panicked")):
			t.Errorf("panicking write: %v", err)
		case strings.HasPrefix(key, "goed") && err != nil:
			t.Errorf("%s: %v", key, err)
		}
	}
	var keys []string
	db.Read.Model(&Setting{}).Where("value = 'x'").Order("key").Pluck("key", &keys)
	if got := strings.Join(keys, " "); got != "eerste goed-0 goed-1 goed-2 goed-3 goed-4 goed-5 goed-6 goed-7 goed-8 goed-9" {
		t.Errorf("stored: %s", got)
	}
}

func TestGroupWriteAfterCloseIsRefused(t *testing.T) {
	db, err := Open(dbtest.DSN(t, "c.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.GroupWrite(context.Background(), setting("laat")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
}

// The tests below fill the database with PRAGMA max_page_count on the one write connection:
// SQLite then answers SQLITE_FULL exactly as on a full disk, and for a statement without a
// statement journal it rolls back the whole transaction, savepoints and all.

// fullWhy is why the tests that fill the database run on SQLite only: PostgreSQL has no
// max_page_count, and a full disk there is a server's, not one file's.
const fullWhy = "fills the database with PRAGMA max_page_count"

// limitPages lets the database grow by at most extra pages from now on (0: no limit).
func limitPages(t *testing.T, db *DB, extra int) {
	t.Helper()
	var pages int
	if err := db.Write.Raw("PRAGMA page_count").Scan(&pages).Error; err != nil {
		t.Fatal(err)
	}
	limit := pages + extra
	if extra == 0 {
		limit = 1 << 30
	}
	if err := db.Write.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", limit)).Error; err != nil {
		t.Fatal(err)
	}
}

// note stores key with a value of size bytes. It runs without a statement journal, so a full
// database makes SQLite roll back the whole transaction, not just the statement.
func note(key string, size int) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		if dialectOf(tx).postgres() {
			return tx.Exec("INSERT INTO notes (key, body) VALUES (?, decode(repeat('00', ?), 'hex'))", key, size).Error
		}
		return tx.Exec("INSERT INTO notes (key, body) VALUES (?, zeroblob(?))", key, size).Error
	}
}

// noteAndSetting stores key as a note and then two settings of size/2 bytes in one INSERT. A
// statement that writes several rows and may abort gets a statement journal, so a full
// database makes SQLite roll back only that statement; the write's savepoint must then take
// the note back too.
func noteAndSetting(key string, size int) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error {
		if err := note(key, 10)(tx); err != nil {
			return err
		}
		big := strings.Repeat("x", size/2)
		return tx.Create(&[]Setting{{Key: key + "/1", Value: big}, {Key: key + "/2", Value: big}}).Error
	}
}

func createNotes(t *testing.T, db *DB) {
	t.Helper()
	body := "BLOB"
	if dialectOf(db.Write).postgres() {
		body = "BYTEA"
	}
	if err := db.Write.Exec("CREATE TABLE notes (key TEXT, body " + body + ")").Error; err != nil {
		t.Fatal(err)
	}
}

func storedNotes(t *testing.T, db *DB) map[string]bool {
	t.Helper()
	var keys []string
	if err := db.Read.Raw("SELECT key FROM notes").Scan(&keys).Error; err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, k := range keys {
		stored[k] = true
	}
	return stored
}

// runGroup runs fns as one group, in this order, and returns what each write heard.
func runGroup(db *DB, fns ...func(tx *gorm.DB) error) []error {
	group := make([]*write, len(fns))
	for i, fn := range fns {
		group[i] = &write{ctx: context.Background(), fn: fn, done: make(chan error, 1)}
	}
	db.group.writeGroup(group)
	errs := make([]error, len(fns))
	for i, w := range group {
		errs[i] = <-w.done
	}
	return errs
}

func integrityOK(t *testing.T, db *DB) {
	t.Helper()
	var result string
	if err := db.Write.Raw("PRAGMA integrity_check").Scan(&result).Error; err != nil || result != "ok" {
		t.Errorf("integrity_check: %q, %v", result, err)
	}
}

// checkAcknowledgedMeansStored fails for a write that heard nil but is not stored, or heard
// an error but is stored.
func checkAcknowledgedMeansStored(t *testing.T, errs map[string]error, stored map[string]bool) {
	t.Helper()
	for key, err := range errs {
		switch {
		case err == nil && !stored[key]:
			t.Errorf("%s was acknowledged but is not stored", key)
		case err != nil && stored[key]:
			t.Errorf("%s failed (%v) but is stored", key, err)
		}
	}
}

// TestGroupWriteFullDatabaseFailsTheWholeGroup is the reported loss: in a group [a, big, c]
// big fills the database, SQLite rolls back the whole transaction, and a must not hear that
// it was stored.
func TestGroupWriteFullDatabaseFailsTheWholeGroup(t *testing.T) {
	dbtest.SkipOnPostgres(t, fullWhy)
	db := openSeeded(t, dbtest.DSN(t, "full.db"))
	createNotes(t, db)
	limitPages(t, db, 20)
	errs := runGroup(db, note("a", 10), note("big", 1<<20), note("c", 10))
	got := map[string]error{"a": errs[0], "big": errs[1], "c": errs[2]}
	for key, err := range got {
		if !errors.Is(err, ErrNotStored) {
			t.Errorf("%s: %v, want ErrNotStored", key, err)
		}
	}
	checkAcknowledgedMeansStored(t, got, storedNotes(t, db))

	limitPages(t, db, 0) // space returns: the same connection writes again
	errs = runGroup(db, note("a", 10), note("big", 1<<20), note("c", 10))
	for i, err := range errs {
		if err != nil {
			t.Errorf("write %d after space returned: %v", i, err)
		}
	}
	if stored := storedNotes(t, db); len(stored) != 3 {
		t.Errorf("after space returned stored %v, want a, big, c", stored)
	}
	integrityOK(t, db)
}

// TestGroupWriteNestedTransactionCannotHideALostTransaction: a write function that nests
// db.Transaction (as SaveSection and Submit do) and swallows the failure of the first makes
// gorm open a fresh transaction with its next SAVEPOINT. The group must notice and store
// nothing of it.
func TestGroupWriteNestedTransactionCannotHideALostTransaction(t *testing.T) {
	dbtest.SkipOnPostgres(t, fullWhy)
	db := openSeeded(t, dbtest.DSN(t, "nested.db"))
	createNotes(t, db)
	limitPages(t, db, 20)
	swallow := func(tx *gorm.DB) error {
		_ = tx.Transaction(note("big", 1<<20)) // the error a careless write function drops
		return tx.Transaction(note("after", 10))
	}
	nested := func(tx *gorm.DB) error { return tx.Transaction(note("nested-big", 1<<20)) }
	for _, tc := range []struct {
		name string
		fns  []func(tx *gorm.DB) error
		keys []string
	}{
		{"swallowed", []func(tx *gorm.DB) error{note("a", 10), swallow, note("c", 10)}, []string{"a", "swallow", "c"}},
		{"returned", []func(tx *gorm.DB) error{note("a2", 10), nested, note("c2", 10)}, []string{"a2", "nested", "c2"}},
	} {
		errs := runGroup(db, tc.fns...)
		got := map[string]error{}
		for i, key := range tc.keys {
			got[key] = errs[i]
			if !errors.Is(errs[i], ErrNotStored) {
				t.Errorf("%s: %s: %v, want ErrNotStored", tc.name, key, errs[i])
			}
		}
		stored := storedNotes(t, db)
		checkAcknowledgedMeansStored(t, got, stored)
		if len(stored) > 0 {
			t.Errorf("%s: stored %v, want nothing", tc.name, stored)
		}
	}
	integrityOK(t, db)
}

// TestGroupWriteConcurrentWritersOnAFillingDatabase has many goroutines write until the
// database is full, half of them with writes where SQLite rolls back only the statement: every write that heard nil is stored and no write that heard an error
// is. Then space returns and writes work again on the same connection.
func TestGroupWriteConcurrentWritersOnAFillingDatabase(t *testing.T) {
	dbtest.SkipOnPostgres(t, fullWhy)
	db := openSeeded(t, dbtest.DSN(t, "filling.db"))
	createNotes(t, db)
	limitPages(t, db, 200) // 4 kB pages: room for a few of the 100 kB writes below
	before := db.group.groups.Load()
	var mu sync.Mutex
	errs := map[string]error{}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 8 {
				key, size := fmt.Sprintf("w%d-%d", g, i), 200
				if (g+i)%3 == 0 {
					size = 100 << 10
				}
				fn := note(key, size)
				if g%2 == 0 {
					fn = noteAndSetting(key, size)
				}
				err := db.GroupWrite(context.Background(), fn)
				mu.Lock()
				errs[key] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	var ok, failed int
	for key, err := range errs {
		if err == nil {
			ok++
			continue
		}
		failed++
		if !errors.Is(err, ErrNotStored) {
			t.Errorf("%s: %v, want ErrNotStored", key, err)
		}
	}
	groups := db.group.groups.Load() - before
	t.Logf("%d writes in %d groups: %d stored, %d failed", len(errs), groups, ok, failed)
	if ok == 0 || failed == 0 {
		t.Errorf("want some writes stored and some failed, got %d and %d", ok, failed)
	}
	if groups >= int64(len(errs)) {
		t.Errorf("%d writes in %d groups: the writes never shared a group", len(errs), groups)
	}
	checkAcknowledgedMeansStored(t, errs, storedNotes(t, db))

	limitPages(t, db, 0)
	if err := db.GroupWrite(context.Background(), note("later", 100<<10)); err != nil {
		t.Fatalf("write after space returned: %v", err)
	}
	if !storedNotes(t, db)["later"] {
		t.Error("write after space returned is not stored")
	}
	integrityOK(t, db)
}

// TestGroupWriteDoneContextFailsOnlyItsOwnWrite: a request that gave up before its turn
// fails its own write; the others in the group are stored.
func TestGroupWriteDoneContextFailsOnlyItsOwnWrite(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "ctx.db"))
	createNotes(t, db)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	group := []*write{
		{ctx: context.Background(), fn: note("a", 10), done: make(chan error, 1)},
		{ctx: gone, fn: note("gone", 10), done: make(chan error, 1)},
		{ctx: context.Background(), fn: note("c", 10), done: make(chan error, 1)},
	}
	db.group.writeGroup(group)
	got := map[string]error{"a": <-group[0].done, "gone": <-group[1].done, "c": <-group[2].done}
	if got["a"] != nil || got["c"] != nil || !errors.Is(got["gone"], context.Canceled) {
		t.Errorf("got %v, want a and c stored, gone canceled", got)
	}
	checkAcknowledgedMeansStored(t, got, storedNotes(t, db))
	if n := len(storedNotes(t, db)); n != 2 {
		t.Errorf("stored %d notes, want 2", n)
	}
}

// TestGroupWritesOfTwoInstancesThatDeadlockBothCommit makes two instances' writes lock two
// rows in opposite orders. PostgreSQL breaks the deadlock by failing one statement; that
// write runs again after its rollback released its lock, so both are stored and neither
// respondent sees an error. (SQLite has one writer at a time across processes: no deadlock.)
func TestGroupWritesOfTwoInstancesThatDeadlockBothCommit(t *testing.T) {
	if !dbtest.Postgres() {
		t.Skip("PostgreSQL only: SQLite's writers never hold row locks side by side")
	}
	dsn := dbtest.DSN(t, "c.db")
	a, b := openSeeded(t, dsn), openSeeded(t, dsn)
	for _, key := range []string{"x", "y"} {
		if err := setting(key)(a.Write); err != nil {
			t.Fatal(err)
		}
	}
	ready := [2]chan struct{}{make(chan struct{}), make(chan struct{})}
	var once [2]sync.Once
	lockBoth := func(me int, first, second string) func(tx *gorm.DB) error {
		return func(tx *gorm.DB) error {
			if err := tx.Exec("UPDATE settings SET value = ? WHERE key = ?", fmt.Sprint(me), first).Error; err != nil {
				return err
			}
			once[me].Do(func() { close(ready[me]) })
			<-ready[1-me] // both hold their first row before either asks for its second
			return tx.Exec("UPDATE settings SET value = ? WHERE key = ?", fmt.Sprint(me), second).Error
		}
	}
	errs := make(chan error, 2)
	go func() { errs <- a.GroupWrite(context.Background(), lockBoth(0, "x", "y")) }()
	go func() { errs <- b.GroupWrite(context.Background(), lockBoth(1, "y", "x")) }()
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("a write that met a deadlock failed: %v", err)
		}
	}
	var values []string
	a.Read.Model(&Setting{}).Where("key IN ?", []string{"x", "y"}).Order("key").Pluck("value", &values)
	if len(values) != 2 || values[0] != values[1] {
		t.Errorf("x and y = %v: one write's two updates should both have won", values)
	}
}
