//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

// sessionKey is shared by every server of a test, so that one browser session works on
// copies of the same database.
const sessionKey = "e2e-session-key-0123456789abcdefghijklmnopqrstuvwxyz"

// server is the real peiling binary serving one SQLite file on a free 127.0.0.1 port.
type server struct {
	t       *testing.T
	URL     string // http://127.0.0.1:PORT, no trailing slash
	DB      string
	cmd     *exec.Cmd
	out     *watchWriter
	done    chan error // the result of cmd.Wait
	stopped bool
}

// startServer serves db (created and seeded when new) and waits until it answers. env adds
// settings such as PEILING_ADMIN_EMAIL=… to the app's environment.
func startServer(t *testing.T, db string, env ...string) *server {
	t.Helper()
	out := &watchWriter{ready: make(chan string, 1)}
	// Port 0: the kernel picks a free port and the app prints the address it got.
	cmd := exec.Command(binary, "-addr", "127.0.0.1:0", "-db", db)
	cmd.Env = append(append(appEnv(), "PEILING_SESSION_KEY="+sessionKey), env...)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithTest(cmd)
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", binary, err)
	}
	s := &server{t: t, DB: db, cmd: cmd, out: out, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("log of the server on %s:\n%s", db, out.String())
		}
	})
	select {
	case s.URL = <-out.ready:
	case err := <-s.done:
		s.done <- err
		t.Fatalf("the server stopped at once (%v):\n%s", err, out.String())
	case <-time.After(15 * time.Second):
		t.Fatalf("the server printed no address within 15 s:\n%s", out.String())
	}
	s.waitHealthy()
	return s
}

// appEnv is this process's environment without PEILING_ settings, which would change the app.
func appEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PEILING_") {
			env = append(env, kv)
		}
	}
	return env
}

func (s *server) waitHealthy() {
	s.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s/healthz did not answer 200 within 10 s (last: %v)", s.URL, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop ends the server as an operator would (SIGINT: finish requests, close the database)
// and waits for it. Calling it again does nothing.
func (s *server) stop() {
	s.t.Helper()
	if s.stopped {
		return
	}
	s.stopped = true
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Errorf("server on %s stopped with %v:\n%s", s.DB, err, s.out.String())
		}
	case <-time.After(25 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("server on %s did not stop within 25 s; killed", s.DB)
	}
}

// watchWriter keeps the server's output and reports the address from its
// "peiling: serving on http://…" line.
type watchWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan string
	found bool
}

var servingLine = regexp.MustCompile(`peiling: serving on (http://127\.0\.0\.1:\d+)`)

func (w *watchWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.found {
		if m := servingLine.FindSubmatch(w.buf.Bytes()); m != nil {
			w.found = true
			w.ready <- string(m[1])
		}
	}
	return len(p), nil
}

func (w *watchWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// newDB returns a new database for a server of t: a SQLite file in t's temporary folder or,
// when PEILING_TEST_POSTGRES names a PostgreSQL server (scripts/test's postgres stage), a new
// database on it, dropped when t ends (models/dbtest).
func newDB(t *testing.T) string {
	t.Helper()
	return dbtest.DSN(t, "peiling.db")
}

// openDB opens a database file with the app's own models package.
func openDB(t *testing.T, path string) *models.DB {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// snapshot copies a database, also while a server writes to it: VACUUM INTO reads one
// consistent state of the file.
func snapshot(t *testing.T, from, to string) {
	t.Helper()
	db, err := models.Open(from, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", from, err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Write.WithContext(ctx).Exec("VACUUM INTO ?", to).Error; err != nil {
		t.Fatalf("copy %s to %s: %v", from, to, err)
	}
}
