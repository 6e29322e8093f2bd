//go:build e2e

package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// chromium is Debian's browser; scripts/test installs it when it is missing.
const chromium = "/usr/bin/chromium"

// Set by TestMain for every test.
var (
	repoRoot string // the folder that holds go.mod
	binary   string // peiling, built from repoRoot
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	if _, err := os.Stat(chromium); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %s is missing (apt-get install chromium, or run scripts/test)\n", chromium)
		return 1
	}
	root, err := findRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	dir, err := os.MkdirTemp("", "peiling-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	repoRoot, binary = root, filepath.Join(dir, "peiling")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: build the app: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// findRoot walks up from the working directory (go test runs in e2e/) to go.mod.
func findRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// a11yTool is the project's accessibility check (tools/a11y), installed by its setup script:
// Chromium, a Node.js it can run on, and the npm packages its lock file pins.
func a11yTool(t *testing.T) string {
	t.Helper()
	root := filepath.Join(repoRoot, "tools", "a11y")
	if out, err := exec.Command(filepath.Join(root, "setup")).CombinedOutput(); err != nil {
		t.Fatalf("tools/a11y/setup: %v\n%s", err, out)
	}
	return filepath.Join(root, "check")
}
