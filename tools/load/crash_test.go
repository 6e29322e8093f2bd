package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

// server is the real peiling binary on a temporary database.
type server struct {
	t    *testing.T
	bin  string
	db   string
	addr string
	cmd  *exec.Cmd
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "peiling")
	out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput()
	if err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func (s *server) start() {
	s.t.Helper()
	s.cmd = exec.Command(s.bin, "-db", s.db, "-addr", s.addr)
	s.cmd.Env = append(os.Environ(), "PEILING_SESSION_KEY=crash-test-session-key-that-is-long-enough")
	if err := s.cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if resp, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.t.Fatal("server did not come up")
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func newServer(t *testing.T, bin string) *server {
	s := &server{t: t, bin: bin, db: dbtest.DSN(t, "peiling.db"), addr: freeAddr(t)}
	if err := prepareDB(s.db); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd != nil && s.cmd.ProcessState == nil {
			s.kill()
		}
	})
	return s
}

// loadUntilKilled plays respondents, kills the server at a random moment after the first
// questionnaires came through, and returns the references whose confirmation page arrived.
func loadUntilKilled(t *testing.T, s *server, workers int) map[string]string {
	t.Helper()
	confirmed := filepath.Join(t.TempDir(), "confirmed.csv")
	r, err := newRun("http://"+s.addr, confirmed, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.respondent(ctx)
		}()
	}
	// Wait for some confirmations (a slow, busy machine must not make the test vacuous),
	// then kill mid-flight.
	deadline := time.Now().Add(60 * time.Second)
	for r.completed.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	after := time.Duration(rand.IntN(1500)) * time.Millisecond
	time.Sleep(after)
	s.kill()
	cancel()
	wg.Wait()
	r.out.Close()
	t.Logf("killed %v after the 5th confirmation", after)
	return readConfirmed(t, confirmed)
}

func readConfirmed(t *testing.T, path string) map[string]string {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	refs := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		parts := strings.Split(sc.Text(), ",")
		refs[parts[2]] = parts[0] + "/" + parts[1]
	}
	return refs
}

// TestKilledServerKeepsEveryConfirmedAnswer kills the real binary with SIGKILL at a random
// moment under load, restarts it on the same file, and checks what survived.
func TestKilledServerKeepsEveryConfirmedAnswer(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	bin := buildBinary(t)
	for round := 1; round <= 3; round++ {
		t.Run(fmt.Sprintf("kill %d", round), func(t *testing.T) {
			s := newServer(t, bin)
			s.start()
			confirmed := loadUntilKilled(t, s, 20)
			t.Logf("%d confirmed questionnaires", len(confirmed))
			if len(confirmed) == 0 {
				t.Fatal("no questionnaire completed before the kill: the test proves nothing")
			}
			s.start() // recovery on restart must succeed
			s.kill()
			checkDatabase(t, s.db, confirmed)
		})
	}
}

// checkDatabase verifies the invariants after a crash.
func checkDatabase(t *testing.T, path string, confirmed map[string]string) {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if res, err := models.IntegrityCheck(db.Read); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
	surveys := map[uint]*models.Survey{}
	var ss []models.Survey
	db.Read.Find(&ss)
	for i := range ss {
		surveys[ss[i].ID] = &ss[i]
	}
	var rs []models.Response
	if err := db.Read.Find(&rs).Error; err != nil {
		t.Fatal(err)
	}
	byRef := map[string]models.Response{}
	for _, r := range rs {
		answers, err := models.AnswersOf(db.Read, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		def, _ := surveys[r.SurveyID].Def()
		if r.Submitted() {
			if r.Reference == nil || r.SubmittedAt == nil || r.MunicipalityCode == nil {
				t.Errorf("submitted response %d is half-written: %+v", r.ID, r)
				continue
			}
			if missing := def.Missing(answers); len(missing) > 0 || r.Reached != len(def.Sections) {
				t.Errorf("submitted response %s lacks %v (reached %d)", *r.Reference, missing, r.Reached)
			}
			byRef[*r.Reference] = r
			continue
		}
		// A draft holds exactly the sections it reached: a section is saved whole or not at all.
		for _, a := range answers {
			if si := sectionOf(def, a.Question); si >= r.Reached {
				t.Errorf("draft %d has an answer to section %d but reached %d", r.ID, si+1, r.Reached)
			}
		}
	}
	for ref, who := range confirmed {
		r, ok := byRef[ref]
		if !ok {
			t.Errorf("confirmed questionnaire %s (%s) is not in the database", ref, who)
			continue
		}
		if !strings.HasSuffix(who, "/"+*r.MunicipalityCode) || surveys[r.SurveyID].Slug != strings.Split(who, "/")[0] {
			t.Errorf("reference %s belongs to %s/%s, confirmed for %s", ref, surveys[r.SurveyID].Slug, *r.MunicipalityCode, who)
		}
	}
}

func sectionOf(def *models.Definition, code string) int {
	for si, s := range def.Sections {
		for _, q := range s.Questions {
			if q.Code == code {
				return si
			}
		}
	}
	return -1
}

// TestBackupUnderLoadHoldsEveryEarlierResponse takes `peiling backup` while respondents are
// sending, restores it (as a plain file copy on SQLite, with pg_restore into a new database on
// PostgreSQL) and finds every response confirmed before it began.
func TestBackupUnderLoadHoldsEveryEarlierResponse(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the real binary")
	}
	bin := buildBinary(t)
	s := newServer(t, bin)
	s.start()
	defer s.kill()
	dir := t.TempDir()
	confirmedFile := filepath.Join(dir, "confirmed.csv")
	r, err := newRun("http://"+s.addr, confirmedFile, 0)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.respondent(ctx)
		}()
	}
	for deadline := time.Now().Add(60 * time.Second); r.completed.Load() < 10 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	r.mu.Lock() // no confirmation is written while we read the list
	before := readConfirmed(t, confirmedFile)
	r.mu.Unlock()
	backupFile := filepath.Join(dir, "backup.db")
	out, err := exec.Command(bin, "-db", s.db, "backup", backupFile).CombinedOutput()
	if err != nil {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	time.Sleep(500 * time.Millisecond)
	cancel()
	wg.Wait()
	if len(before) == 0 {
		t.Fatal("nothing was confirmed before the backup: the test proves nothing")
	}
	if r.errorCount() > 0 {
		t.Errorf("respondents met %d errors while the backup ran: %v", r.errorCount(), r.errors)
	}

	restored := restoreBackup(t, backupFile)
	t.Logf("%d questionnaires confirmed before the backup; %s", len(before), strings.TrimSpace(string(out)))
	checkDatabase(t, restored, before)
}

// restoreBackup restores a backup the way docs/deployment.md says, into a new database.
func restoreBackup(t *testing.T, file string) string {
	t.Helper()
	restored := dbtest.DSN(t, "restored.db")
	if dbtest.Postgres() {
		if out, err := exec.Command("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+restored, file).CombinedOutput(); err != nil {
			t.Fatalf("pg_restore: %v\n%s", err, out)
		}
		return restored
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(restored, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return restored
}
