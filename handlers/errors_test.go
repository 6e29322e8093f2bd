package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"peiling/models/dbtest"
)

// logBuffer is a log the app writes from its goroutines and the test reads.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAnExportThatBreaksAfterItStartedLogsTheCause(t *testing.T) {
	var log logBuffer
	app := newTestApp(t, func(cfg *Config) { cfg.Log = slog.New(slog.NewTextHandler(&log, nil)) })
	submitKnownSet(t, app)
	res := app.asResearcher()
	res.get(adminBase + "/sluiten")
	res.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	// The pass after closing has packed the export's records; the one the export starts is
	// held until the end, so only the export meets the missing table.
	app.h.slices.jobs.Wait()
	gate := make(chan struct{})
	app.h.slices.gate = gate
	t.Cleanup(func() { close(gate) })
	// The rows go missing between the headers and the rows: a broken disk, a bad migration.
	// The download has started with 200 when the query fails.
	drop, cause := "DROP TABLE record_packs", "no such table: record_packs"
	if dbtest.Postgres() {
		cause = "does not exist (SQLSTATE 42P01)"
	}
	if err := app.db.Write.Exec(drop).Error; err != nil {
		t.Fatal(err)
	}
	p := res.get(adminBase + "/export/antwoorden.csv")
	if p.Status != http.StatusOK {
		t.Fatalf("status %d: the failure came before the response started", p.Status)
	}
	var failed string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "response failed after it started") {
			failed = line
		}
	}
	if !strings.Contains(failed, cause) || !strings.Contains(failed, "level=ERROR") || !strings.Contains(failed, "/export/:file") {
		t.Errorf("the log does not name the cause at error level:\n%s", log.String())
	}
	if n := strings.Count(log.String(), cause); n != 1 {
		t.Errorf("the cause was logged %d times, want once", n)
	}
}

func TestAnErrorPageIsLoggedOnce(t *testing.T) {
	var log logBuffer
	app := newTestApp(t, func(cfg *Config) { cfg.Log = slog.New(slog.NewTextHandler(&log, nil)) })
	app.newClient().get("/bestaat-niet")
	if strings.Contains(log.String(), "response failed after it started") {
		t.Errorf("a 404 page was logged as a failed response:\n%s", log.String())
	}
}
