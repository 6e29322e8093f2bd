package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"
)

func setting(key string) func(tx *gorm.DB) error {
	return func(tx *gorm.DB) error { return tx.Create(&Setting{Key: key, Value: "x"}).Error }
}

// TestCommitGroupsWaitingWritesAndIsolatesFailures holds the write connection so that the
// writes pile up, then checks they went in as one group in which a failing and a panicking
// write left the others committed and themselves nothing.
func TestCommitGroupsWaitingWritesAndIsolatesFailures(t *testing.T) {
	db := openSeeded(t, filepath.Join(t.TempDir(), "c.db"))
	ctx := context.Background()
	sqlDB, _ := db.Write.DB()
	held, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := db.commits.groups.Load()
	firstDone := make(chan error, 1)
	go func() { firstDone <- db.Commit(ctx, setting("eerste")) }()
	time.Sleep(50 * time.Millisecond) // the committer took it and waits for the connection

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
			err := db.Commit(ctx, fn)
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
	if groups := db.commits.groups.Load() - before; groups != 2 {
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

func TestCommitAfterCloseIsRefused(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "c.db"), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Commit(context.Background(), setting("laat")); !errors.Is(err, ErrClosed) {
		t.Errorf("write after close: %v, want ErrClosed", err)
	}
}
