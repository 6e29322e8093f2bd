package main

import (
	"runtime/debug"
	"testing"
)

// TestTuneGCYieldsToTheEnvironment: the server's own GC setting applies only where GOGC
// and GOMEMLIMIT do not decide (the runtime has read them at start; tuneGC must not overrule).
func TestTuneGCYieldsToTheEnvironment(t *testing.T) {
	percent, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	defer func() { debug.SetGCPercent(percent); debug.SetMemoryLimit(limit) }()

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 200 {
		t.Errorf("without GOGC: GC percent %d, want 200", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 128<<20 {
		t.Errorf("without GOMEMLIMIT: memory limit %d, want %d", got, 128<<20)
	}

	debug.SetMemoryLimit(1 << 40)
	t.Setenv("GOGC", "50")
	t.Setenv("GOMEMLIMIT", "1TiB")
	tuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=50 set: tuneGC changed the GC percent to %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set: tuneGC changed the memory limit to %d", got)
	}
}
