//go:build linux

package handlers

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"

	"peiling/models"
	"peiling/models/dbtest"
)

// smallDisk mounts a tmpfs of size bytes on a fresh directory and unmounts it when the test
// ends. It skips the test where mounting is not permitted (not root, or a container without
// CAP_SYS_ADMIN); CI runs as root.
func smallDisk(t *testing.T, size int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dk", size>>10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a small file system (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
			_ = exec.Command("umount", "-l", dir).Run()
		}
	})
	return dir
}

// fillDisk writes a file that leaves about free bytes on dir's file system.
func fillDisk(t *testing.T, dir string, free int64) string {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "filler")
	size := int64(st.Bavail)*st.Bsize - free
	if err := os.WriteFile(path, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// walker is a respondent who walks the reference survey one request at a time.
type walker struct {
	c            *client
	municipality string
	code         string // the municipality's
	next         int    // 0 start, 1..5 the steps, 6 send, 7 done
	reference    string // set once the confirmation was shown
	refused      int    // the requests answered with 503
	refusedAt    []int  // their steps
}

var referencePattern = regexp.MustCompile(`PL-[A-Z0-9]{4}-[A-Z0-9]{4}`)

// kept is a text from each step's answers that a re-rendered form must still hold.
var kept = []string{"", "Informatiebeheer", "WhatsApp als kanaal", "Burgerpanel", "Newsroom", "De Omgevingswet"}

// walk goes on from where the respondent stopped until the confirmation, a 503, or step
// until. Every other outcome is an error.
func (r *walker) walk(t *testing.T, until int) {
	answers := sectionAnswers(r.municipality)
	for r.next < until {
		var p *page
		want := ""
		switch r.next {
		case 0:
			p, want = r.c.post("/s/"+refSlug+"/start", nil), stepURL(refSlug, 1)
		case 6:
			if !strings.Contains(r.c.last.Body, `name="inzending"`) {
				r.c.get(checkURL(refSlug))
			}
			p, want = r.c.post("/s/"+refSlug+"/verzenden", map[string][]string{"inzending": {r.c.last.hidden(t, "inzending")}}), "/s/"+refSlug+"/bevestiging"
		default:
			form := answers[r.next-1]
			form.Set("actie", "volgende")
			p, want = r.c.post(stepURL(refSlug, r.next), form), stepURL(refSlug, r.next+1)
			if r.next == 5 {
				want = checkURL(refSlug)
			}
		}
		if p.Status == http.StatusServiceUnavailable {
			r.refused++
			r.refusedAt = append(r.refusedAt, r.next)
			r.checkRefusal(t, p)
			return
		}
		if p.Status != http.StatusOK || p.URL != want {
			t.Errorf("%s at %d: %d at %s, want 200 at %s", r.municipality, r.next, p.Status, p.URL, want)
			r.next = 7
			return
		}
		if r.next == 6 {
			r.reference = referencePattern.FindString(p.Body)
			p.mustContain(t, "Uw antwoorden zijn verzonden")
		}
		r.next++
	}
}

// checkRefusal: a 503 says, in Dutch, that nothing was stored, and keeps what was typed.
func (r *walker) checkRefusal(t *testing.T, p *page) {
	p.mustContain(t, catalogue.Dutch().T("error.not_stored.message"))
	switch {
	case r.next >= 1 && r.next <= 5: // the same step again, with the answers typed
		p.mustContain(t, fmt.Sprintf(`action="/s/%s/stap/%d"`, refSlug, r.next), kept[r.next], `class="error-summary"`)
	case r.next == 6: // the check page with every answer and the send button
		p.mustContain(t, "Controleer uw antwoorden", "De Omgevingswet", `name="inzending"`, `class="error-summary"`)
	}
}

// TestConfirmedAnswersSurviveAFullDisk serves the database from a small file system that
// fills up while respondents fill in and send the survey: each request either succeeds and
// is stored, or is refused with the Dutch 503 and the respondent's input; reads go on; once
// space returns, the same server stores again, without a restart.
func TestConfirmedAnswersSurviveAFullDisk(t *testing.T) {
	dbtest.SkipOnPostgres(t, "fills the file system under a SQLite file; a PostgreSQL server's disk is its own")
	dir := smallDisk(t, 16<<20)
	app := newTestAppOn(t, filepath.Join(dir, "peiling.db"))
	reg, err := app.h.registers.Get(app.db.Read, app.survey().Register)
	if err != nil {
		t.Fatal(err)
	}
	var all []*walker
	newWalker := func() *walker {
		m := reg.List[len(all)]
		r := &walker{c: app.newClient(), municipality: m.Name, code: m.Code}
		all = append(all, r)
		r.c.get("/s/" + refSlug)
		return r
	}
	// Two respondents reach the check page now and send once the disk is full.
	late := []*walker{newWalker(), newWalker()}
	for _, r := range late {
		r.walk(t, 6)
	}

	// A page cache of 4 pages spills a group's changes into the WAL before COMMIT, so the disk
	// also fills in the middle of a transaction, where SQLite rolls all of it back.
	if err := app.db.Write.Exec("PRAGMA cache_size = 4").Error; err != nil {
		t.Fatal(err)
	}
	filler := fillDisk(t, dir, 1<<20)           // WAL frames for a few dozen requests
	t.Cleanup(func() { _ = os.Remove(filler) }) // before the app closes: Close checkpoints
	refused := func() (n int) {
		for _, r := range all {
			n += r.refused
		}
		return n
	}
	for round := 0; refused() < 8 && round < 20; round++ { // a round or two fills it
		var wg sync.WaitGroup
		for range 6 {
			r := newWalker()
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.walk(t, 7)
			}()
		}
		wg.Wait()
	}
	if refused() == 0 {
		t.Fatalf("%d respondents and the disk never filled", len(all))
	}
	for _, r := range late {
		r.walk(t, 7)
	}

	// Reads go on while the disk is full.
	if p := late[0].c.get("/s/" + refSlug); p.Status != http.StatusOK {
		t.Errorf("start page on a full disk: %d", p.Status)
	}
	if p := late[0].c.get(stepURL(refSlug, 2)); p.Status != http.StatusOK || !strings.Contains(p.Body, "WhatsApp als kanaal") {
		t.Errorf("step 2 on a full disk: %d", p.Status)
	}
	checkStored(t, app, all)

	// Space returns: the respondents who were refused go on, on the same server.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	for _, r := range all {
		r.walk(t, 7)
		if r.reference == "" {
			t.Errorf("%s: no confirmation after space returned (at %d)", r.municipality, r.next)
		}
	}
	checkStored(t, app, all)
	refusedAt := map[int]int{}
	for _, r := range all {
		for _, at := range r.refusedAt {
			refusedAt[at]++
		}
	}
	t.Logf("%d respondents, %d requests refused while the disk was full, by step (0 start, 6 send): %v", len(all), refused(), refusedAt)

	var result string
	if err := app.db.Write.Raw("PRAGMA integrity_check").Scan(&result).Error; err != nil || result != "ok" {
		t.Errorf("integrity_check: %q, %v", result, err)
	}
}

// checkStored: every confirmed response is stored with all its answers and nothing of a
// refused request is: a refused send leaves a draft, a refused step leaves its section empty.
func checkStored(t *testing.T, app *testApp, all []*walker) {
	t.Helper()
	for _, r := range all {
		var stored models.Response
		err := app.db.Read.Where("municipality_code = ?", r.code).Take(&stored).Error
		switch {
		case r.reference != "":
			answers, aerr := models.AnswersOf(app.db.Read, stored.ID)
			if err != nil || aerr != nil || stored.Reference == nil || *stored.Reference != r.reference || len(answers) != 15 {
				t.Errorf("%s: confirmed %s, stored %+v with %d answers (%v, %v)", r.municipality, r.reference, stored, len(answers), err, aerr)
			}
		case r.next <= 1: // refused before the municipality was saved
			if err == nil {
				t.Errorf("%s: step 1 was refused, but its municipality is stored", r.municipality)
			}
		case err != nil:
			t.Errorf("%s: refused at %d, but its draft is gone: %v", r.municipality, r.next, err)
		case stored.Status != models.ResponseDraft || stored.Reached != r.next-1:
			t.Errorf("%s: refused at %d, stored %s having reached %d", r.municipality, r.next, stored.Status, stored.Reached)
		case r.next <= 5:
			refusedQuestions := map[string]bool{}
			for field := range sectionAnswers(r.municipality)[r.next-1] {
				refusedQuestions[strings.SplitN(field, ".", 2)[0]] = true
			}
			answers, _ := models.AnswersOf(app.db.Read, stored.ID)
			for _, a := range answers {
				if refusedQuestions[a.Question] {
					t.Errorf("%s: step %d was refused, but its answer %s is stored", r.municipality, r.next, a.Question)
				}
			}
		}
	}
}
