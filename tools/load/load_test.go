package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestLoadRefusesAddressesThatAreNotLoopback(t *testing.T) {
	for url, ok := range map[string]bool{
		"http://127.0.0.1:8080":      true,
		"http://localhost:8080":      true,
		"http://[::1]:8080":          true,
		"http://127.8.9.1":           true,
		"http://10.0.0.1:8080":       false,
		"http://example.nl":          false,
		"http://127.evil.example":    false,
		"http://0.0.0.0:8080":        false,
		"ftp://127.0.0.1":            false,
		"http://localhost.evil.nl:1": false,
	} {
		if err := checkLoopback(url); (err == nil) != ok {
			t.Errorf("%s: err %v, want allowed=%v", url, err, ok)
		}
	}
}

func TestCeilingCountsHealthChecksAndFailsOnErrors(t *testing.T) {
	var healthy atomic.Bool
	healthy.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" || !healthy.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	var out strings.Builder
	if err := measureCeiling(context.Background(), &out, srv.URL, 2, 200*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`ceiling \(GET /healthz, 2 connections, 0\.2 s\): [1-9]\d* req/s`).MatchString(out.String()) {
		t.Errorf("report: %q", out.String())
	}
	healthy.Store(false)
	if err := measureCeiling(context.Background(), &out, srv.URL, 2, 100*time.Millisecond); err == nil {
		t.Error("a server answering 503 gave a ceiling")
	}
}

// TestServerCPUReadsProcStat: the CPU time of a process grows while it works, and a process
// that cannot be read counts as 0 rather than failing the run.
func TestServerCPUReadsProcStat(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before := serverCPU(os.Getpid())
	after := before
	for start := time.Now(); after <= before && time.Since(start) < 10*time.Second; after = serverCPU(os.Getpid()) {
		_ = strings.Repeat("x", 1000) // work, until a clock tick of CPU time has passed
	}
	if after <= before {
		t.Errorf("CPU time %v after 10 s of work, %v before", after, before)
	}
	if got := serverCPU(0); got != 0 {
		t.Errorf("no pid: %v", got)
	}
	if got := serverCPU(1 << 30); got != 0 {
		t.Errorf("a process that does not exist: %v", got)
	}
}

// TestOwnCPUAgreesWithProcStat: the tool's own CPU time, reported next to the server's, is
// the same clock as /proc/PID/stat gives for this process (to its tick), and grows with work.
func TestOwnCPUAgreesWithProcStat(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	before := ownCPU()
	for start := time.Now(); ownCPU() < before+30*time.Millisecond && time.Since(start) < 10*time.Second; {
		_ = strings.Repeat("x", 1000)
	}
	own, stat := ownCPU(), serverCPU(os.Getpid())
	if own < before+30*time.Millisecond {
		t.Errorf("own CPU %v after 10 s of work, %v before", own, before)
	}
	if d := own - stat; d < -2*clockTick || d > 2*clockTick {
		t.Errorf("own CPU %v, /proc/self/stat %v", own, stat)
	}
}
