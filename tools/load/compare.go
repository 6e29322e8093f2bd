package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"peiling/models"
)

// The -compare run: the same load on one instance on SQLite, then on two instances sharing one
// PostgreSQL database, one of which is killed with SIGKILL two thirds into the run; then every
// confirmation either instance sent is looked up in the database.
//
//	go build -o /tmp/peiling . && createdb peiling_load
//	go run ./tools/load -compare -bin /tmp/peiling -postgres 'postgres://…/peiling_load' -c 50 -d 20s

// figures are one setup's results.
type figures struct {
	setup         string
	completed     int64
	perSecond     float64
	p99           float64
	errors        int
	expected      int // errors on the killed instance, after its kill
	confirmations string
}

// compare runs both setups and prints their figures side by side. It returns an error when a
// confirmed questionnaire is missing or an instance that was not killed failed a request.
func compare(ctx context.Context, w io.Writer, bin, pgURL string, workers int, d time.Duration) error {
	if bin == "" || !models.IsPostgres(pgURL) {
		return errors.New("-compare needs -bin (a built peiling) and -postgres (a postgres:// URL of a new, empty database)")
	}
	dir, err := os.MkdirTemp("", "peiling-compare-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	sqlite := filepath.Join(dir, "load.db")

	fmt.Fprintf(w, "== SQLite, one instance (%s)\n", sqlite)
	one, err := loadInstances(ctx, w, bin, sqlite, 1, workers, d, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\n== PostgreSQL, two instances on %s; the second is killed (SIGKILL) after %s\n", models.Redacted(pgURL), killAt(d))
	two, err := loadInstances(ctx, w, bin, pgURL, 2, workers, d, true)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "\n%-46s %15s %8s %7s  %s\n", "setup", "questionnaires/s", "p99 ms", "errors", "confirmations")
	for _, f := range []figures{one, two} {
		errs := fmt.Sprint(f.errors)
		if f.expected > 0 {
			errs = fmt.Sprintf("%d+%d", f.errors-f.expected, f.expected)
		}
		fmt.Fprintf(w, "%-46s %15.1f %8.1f %7s  %s\n", f.setup, f.perSecond, f.p99, errs, f.confirmations)
	}
	if two.expected > 0 {
		fmt.Fprintln(w, "(a+b errors: b were requests on the killed instance, in flight when it died or sent before its respondents moved over)")
	}
	if strings.Contains(one.confirmations+two.confirmations, "LOST") || one.errors > 0 || two.errors > two.expected {
		return errors.New("confirmed questionnaires were lost, or a live instance failed requests")
	}
	return nil
}

// killAt is when the second instance is killed in a run of d.
func killAt(d time.Duration) time.Duration { return (d * 2 / 3).Round(100 * time.Millisecond) }

// instance is one peiling process of a run.
type instance struct {
	url  string
	log  string // its standard output and error
	cmd  *exec.Cmd
	dead atomic.Bool
}

// loadInstances prepares dsn, serves it from n instances, spreads workers respondents over
// them for d (killing the last instance at killAt(d) when kill is set), stops the survivors
// and looks every confirmation up in the database.
func loadInstances(ctx context.Context, w io.Writer, bin, dsn string, n, workers int, d time.Duration, kill bool) (figures, error) {
	f := figures{setup: backendName(dsn) + ", one instance"}
	if n > 1 {
		f.setup = fmt.Sprintf("%s, %d instances", backendName(dsn), n)
	}
	if kill {
		f.setup += ", one killed at " + killAt(d).String()
	}
	if err := prepareDB(dsn); err != nil {
		return f, fmt.Errorf("prepare %s (it must be new and empty): %w", models.Redacted(dsn), err)
	}
	var servers []*instance
	defer func() {
		for _, s := range servers {
			if !s.dead.Load() {
				_ = s.cmd.Process.Signal(os.Interrupt)
				_ = s.cmd.Wait()
			}
		}
	}()
	for i := range n {
		s, err := startInstance(bin, dsn, filepath.Join(os.TempDir(), fmt.Sprintf("peiling-compare-%s-%d.log", strings.ToLower(backendName(dsn)), i+1)))
		if err != nil {
			return f, err
		}
		servers = append(servers, s)
	}
	r, err := newRun(servers[0].url, "", 0)
	if err != nil {
		return f, err
	}
	r.byServer = true
	runCtx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	started := time.Now()
	var killed time.Time
	var wg sync.WaitGroup
	for i := range workers {
		home := servers[i%n]
		wg.Go(func() {
			r.respondentOn(runCtx, func() string {
				if !home.dead.Load() {
					return home.url
				}
				return servers[0].url // the proxy sends new visitors to a live instance
			})
		})
	}
	if kill {
		select {
		case <-time.After(killAt(d)):
			victim := servers[n-1]
			victim.dead.Store(true) // new visitors go to the other instance, as a proxy's health check would see to
			_ = victim.cmd.Process.Signal(syscall.SIGKILL)
			_ = victim.cmd.Wait()
			killed = time.Now()
			fmt.Fprintf(w, "killed %s (pid %d) with SIGKILL at %.1f s\n", victim.url, victim.cmd.Process.Pid, killed.Sub(started).Seconds())
		case <-runCtx.Done():
		}
	}
	wg.Wait()
	elapsed := time.Since(started)
	r.report(w, elapsed, workers, "not measured")
	f.completed = r.completed.Load()
	f.perSecond = float64(f.completed) / elapsed.Seconds()
	var all []time.Duration
	for _, ds := range r.latencies {
		all = append(all, ds...)
	}
	f.p99 = pct(all, 99)
	for kind, c := range r.errors {
		f.errors += c
		if kill && strings.HasSuffix(kind, " on "+servers[n-1].url) {
			f.expected += c
		}
	}
	if kill {
		before := 0
		for _, c := range r.confirmations {
			if c.at.Before(killed) {
				before++
			}
		}
		fmt.Fprintf(w, "before the kill: %d questionnaires in %.1f s (%.1f/s) on two instances\n", before, killed.Sub(started).Seconds(), float64(before)/killed.Sub(started).Seconds())
	}
	// Stop the survivors before reading: what they acknowledged is committed either way.
	for _, s := range servers {
		if !s.dead.Load() {
			_ = s.cmd.Process.Signal(os.Interrupt)
			_ = s.cmd.Wait()
			s.dead.Store(true)
		}
	}
	f.confirmations, err = lookUp(dsn, r.confirmations, servers)
	fmt.Fprintln(w, "confirmations:", f.confirmations)
	for _, s := range servers {
		printFailures(w, s.log)
	}
	return f, err
}

func backendName(dsn string) string {
	if models.IsPostgres(dsn) {
		return "PostgreSQL"
	}
	return "SQLite"
}

// startInstance starts bin on dsn on a free loopback port, its log in logFile, and waits until
// it is healthy.
func startInstance(bin, dsn, logFile string) (*instance, error) {
	out, err := os.Create(logFile)
	if err != nil {
		return nil, err
	}
	defer out.Close() // the child has its own copy
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, "-db", dsn, "-addr", addr)
	// One session key for all: a cookie of one instance works on the other.
	cmd.Env = append(os.Environ(), "PEILING_SESSION_KEY=load-compare-session-key-long-enough-for-both")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &instance{url: "http://" + addr, cmd: cmd, log: logFile}
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get(s.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	return nil, fmt.Errorf("%s on %s did not answer /healthz within 15 s", bin, addr)
}

// lookUp finds every confirmed questionnaire in the database: submitted, under its reference,
// for the survey and municipality it was confirmed for. It returns a line per instance.
func lookUp(dsn string, confirmed []confirmation, servers []*instance) (string, error) {
	db, err := models.Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		return "", err
	}
	defer db.Close()
	var parts []string
	lost := 0
	for i, s := range servers {
		n, missing := 0, 0
		for _, c := range confirmed {
			if c.server != s.url {
				continue
			}
			n++
			var found int64
			err := db.Read.Table("responses r").Joins("JOIN surveys s ON s.id = r.survey_id").
				Where("r.reference = ? AND r.status = ? AND r.municipality_code = ? AND s.slug = ?", c.reference, models.ResponseSubmitted, c.code, c.survey).
				Count(&found).Error
			if err != nil {
				return "", err
			}
			if found != 1 {
				missing++
			}
		}
		lost += missing
		parts = append(parts, fmt.Sprintf("instance %d: %d confirmed, %d found", i+1, n, n-missing))
	}
	verdict := "0 lost"
	if lost > 0 {
		verdict = fmt.Sprintf("%d LOST", lost)
	}
	return strings.Join(parts, "; ") + "; " + verdict, nil
}

// printFailures prints the lines of an instance's log that report a failed request, at most
// ten, with the file's name: the deadlocks and failed writes behind the errors a run counts.
func printFailures(w io.Writer, logFile string) {
	data, err := os.ReadFile(logFile)
	if err != nil {
		return
	}
	var failed []string
	for _, line := range strings.Split(string(data), "\n") {
		// The run's end cancels the requests in flight: those lines say nothing.
		if strings.Contains(line, "level=ERROR") && !strings.Contains(line, "context canceled") && !strings.Contains(line, "broken pipe") {
			failed = append(failed, line)
		}
	}
	if len(failed) == 0 {
		return
	}
	fmt.Fprintf(w, "%s: %d errors logged, the first:\n", logFile, len(failed))
	for _, line := range failed[:min(10, len(failed))] {
		fmt.Fprintln(w, "  "+line)
	}
}
