//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"peiling/models"
)

// shotsDir keeps the screenshots of the last run for people to look at: axe cannot judge layout.
const shotsDir = "/tmp/peiling-shots"

// widths are the viewports every page is checked at: a small phone and a laptop.
var widths = []int{375, 1280}

// axeTags are the WCAG 2.1 A and AA rules, as the a11y tool runs them.
const axeTags = `["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]`

// page is a URL to check and the HTTP status it must answer with.
type page struct {
	url    string
	status int
}

// TestPagesMeetWCAG21AA checks every page a respondent can reach with axe-core, through
// the project's tools/a11y/check, at 375 and 1280 px, error states included.
//
// The tool sends one session cookie to every URL, so the states live on three servers that
// share the session key: A, where the response was sent; B, a copy of A's database taken
// while the response was still a draft on the check page; C, another copy with the survey
// closed. Cookies ignore the port, so the one session is valid on all three.
func TestPagesMeetWCAG21AA(t *testing.T) {
	check := a11yTool(t)
	dir := t.TempDir()
	a := startServer(t, filepath.Join(dir, "a.db"))
	b := newBrowser(t, 1280, 900)

	b.mustBeAt(b.open(a.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	fillAllSteps(b, "Zeist")

	snapshot(t, a.DB, filepath.Join(dir, "b.db"))
	snapshot(t, a.DB, filepath.Join(dir, "c.db"))
	snapshot(t, a.DB, filepath.Join(dir, "d.db"))
	closeSurvey(t, filepath.Join(dir, "c.db"))
	usedLink := setAsideAndBindALink(t, filepath.Join(dir, "d.db"))

	b.mustBeAt(b.follow("Verstuur de antwoorden", chromedp.Click(chromedp.CSS("button[data-once]"))), http.StatusOK, "/s/"+slug+"/bevestiging")
	// The session cookie holds the response's token. peiling_csrf comes only when a browser
	// sends no Sec-Fetch-Site header (echo checks that header then); pass what the browser has.
	cookies := b.cookies(a.URL)
	if cookies["peiling"] == "" {
		t.Fatalf("the browser has no session cookie (cookies: %v)", cookies)
	}
	args := []string{"--allow-4xx"}
	for name, value := range cookies {
		args = append(args, "--cookie", name+"="+value)
	}
	draft := startServer(t, filepath.Join(dir, "b.db"))
	closed := startServer(t, filepath.Join(dir, "c.db"))
	aside := startServer(t, filepath.Join(dir, "d.db"))

	pages := []page{
		{a.URL + "/", http.StatusOK},
		{a.URL + "/s/" + slug, http.StatusOK}, // start page, "U heeft deze peiling al ingevuld"
		{draft.URL + "/s/" + slug + "/stap/1", http.StatusOK},
		{draft.URL + "/s/" + slug + "/stap/2", http.StatusOK},
		{draft.URL + "/s/" + slug + "/stap/3", http.StatusOK},
		{draft.URL + "/s/" + slug + "/stap/4", http.StatusOK},
		{draft.URL + "/s/" + slug + "/stap/5", http.StatusOK},
		{draft.URL + "/s/" + slug + "/controleren", http.StatusOK},
		{draft.URL + "/s/" + slug + "/later", http.StatusOK},
		{a.URL + "/s/" + slug + "/bevestiging", http.StatusOK},
		{closed.URL + "/s/" + slug, http.StatusGone},
		{aside.URL + "/s/" + slug, http.StatusConflict},                              // "Uw antwoorden tellen niet mee"
		{aside.URL + "/s/" + slug + "/uitnodiging/" + usedLink, http.StatusConflict}, // a link another browser started with
		{a.URL + "/s/" + slug + "/hervat/bogus", http.StatusNotFound},
		{a.URL + "/bestaat-niet", http.StatusNotFound},
		{a.URL + "/toegankelijkheid", http.StatusOK},
		{a.URL + "/privacy", http.StatusOK},
		{a.URL + "/contact", http.StatusOK},
	}
	checkWithTool(t, check, args, pages, widths, dir)
	// The same pages in English: the language cookie the switch sets.
	checkWithTool(t, check, append(slices.Clone(args), "--cookie", "peiling_lang=en"), pages, widths, "")

	// What axe does not judge: reflow at 320 px (WCAG 1.4.10), unique ids, a label for every
	// control, ARIA references that resolve. The browser has the same session as the tool.
	b.do("set the viewport to 320 px", chromedp.EmulateViewport(320, 900))
	for _, p := range pages {
		if status := b.open(p.url); status != int64(p.status) {
			t.Errorf("%s: HTTP %d, want %d", p.url, status, p.status)
		}
		checkMarkup(t, b, 320)
	}

	checkErrorStates(t, b.incognito(), a.URL, dir)
}

// checkWithTool runs the a11y tool once per width with every URL; the calls run side by side
// (each is mostly a browser waiting on its own start and pages). With a dir, it keeps
// screenshots of every page there.
func checkWithTool(t *testing.T, check string, args []string, pages []page, ws []int, dir string) {
	t.Helper()
	var urls []string
	want := map[string]int{}
	for _, p := range pages {
		urls = append(urls, p.url)
		want[p.url] = p.status
	}
	results := make([]checkResult, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() {
			began := time.Now()
			run := append(slices.Clone(args), "--width", strconv.Itoa(w))
			shots := ""
			if dir != "" {
				shots = filepath.Join(dir, "shots", strconv.Itoa(w))
				run = append(run, "--screenshot", shots)
			}
			out, err := runCheck(check, run, urls)
			results[i] = checkResult{out, err, time.Since(began), shots}
		})
	}
	wg.Wait()
	for i, w := range ws {
		r := results[i]
		t.Logf("a11y check of %d pages at %d px (%.1f s):\n%s", len(urls), w, r.took.Seconds(), r.out)
		if r.err != nil {
			t.Errorf("a11y check at %d px failed (%v); its output is above", w, r.err)
		}
		checkToolSaw(t, w, r.out, want)
		if r.shots != "" {
			keepShots(t, r.shots, strconv.Itoa(w))
		}
	}
}

// checkErrorStates runs axe-core in the browser on pages that no URL shows: the answers to
// a POST (422 with errors). It starts in a
// fresh browser context, so it checks the start page as a first visitor sees it too. The a11y
// tool must have run once: it installs axe-core.
func checkErrorStates(t *testing.T, c *tab, base, dir string) {
	t.Helper()
	axe := readAxe(t)
	volgende := chromedp.Click(chromedp.CSS(`button[value="volgende"]`))
	c.mustBeAt(c.open(base+"/s/"+slug), http.StatusOK, "/s/"+slug)
	checkWithAxe(t, c, axe, "start-nieuw", widths, dir)
	c.mustBeAt(c.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")

	c.mustBeAt(c.follow("Volgende on an empty step 1", volgende), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	checkWithAxe(t, c, axe, "stap1-leeg-422", widths, dir)

	c.choose("f-afdeling-anders") // "Anders" without saying what, and a municipality that does not exist
	c.typeInto("#f-gemeente", "Atlantis")
	c.mustBeAt(c.follow("Volgende with errors", volgende), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	if n := js[int](c, `document.querySelectorAll(".error-summary li").length`); n != 2 {
		t.Errorf("the error summary lists %d problems, want 2 (municipality, ‘Anders’ text)", n)
	}
	checkWithAxe(t, c, axe, "stap1-anders-422", widths, dir)

	// A name two municipalities share: the page asks which one, with radios.
	c.do("clear the municipality", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-gemeente").value = ""`))
	c.typeInto("#f-gemeente", "Bergen")
	c.press(kb.Escape)
	c.mustBeAt(c.follow("Volgende with Bergen", volgende), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	checkWithAxe(t, c, axe, "stap1-bergen-422", widths, dir)
	// The autocomplete's list open, with an option active.
	c.do("clear the municipality", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-gemeente").value = ""`))
	c.typeInto("#f-gemeente", "Ber")
	c.press(kb.ArrowDown)
	checkWithAxe(t, c, axe, "stap1-autocomplete-open", widths, dir)
	c.press(kb.Escape)

	// Zeist sent its answers on this server already; a draft claims nothing, so step 1 for
	// Zeist goes on and says nothing about it (the set-aside page is checked by URL).
	c.do("clear the municipality", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-gemeente").value = ""`))
	c.typeInto("#f-gemeente", "Zeist")
	c.typeInto(`input[name="afdeling.anders"]`, "Informatiebeheer")
	c.mustBeAt(c.follow("Volgende for a municipality that has answered", volgende), http.StatusOK, "/s/"+slug+"/stap/2")
	keepShots(t, filepath.Join(dir, "axe"), "axe")
}

// checkMarkup checks the page the tab shows for what axe-core leaves alone or only flags
// for a human: content wider than the viewport, ids used twice (a label then names the
// wrong control), form controls without a label, and aria-describedby/labelledby that point
// at nothing.
func checkMarkup(t *testing.T, b *tab, width int) {
	t.Helper()
	problems := js[[]string](b, `(() => {
		const out = [];
		const w = document.documentElement.scrollWidth;
		if (w > window.innerWidth) out.push("the page is " + w + " px wide in a " + window.innerWidth + " px viewport");
		const byID = {};
		for (const e of document.querySelectorAll("[id]")) {
			(byID[e.id] = byID[e.id] || []).push(e.tagName.toLowerCase() + (e.name ? "[name=" + e.name + "]" : ""));
		}
		for (const [id, els] of Object.entries(byID)) {
			if (els.length > 1) out.push("id " + id + " is used " + els.length + " times: " + els.join(", "));
		}
		for (const e of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
			if (e.labels.length === 0 && !e.hasAttribute("aria-label") && !e.hasAttribute("aria-labelledby")) {
				out.push(e.tagName.toLowerCase() + "[name=" + e.name + "] has no label");
			}
		}
		for (const e of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
			for (const attr of ["aria-describedby", "aria-labelledby"]) {
				for (const id of (e.getAttribute(attr) || "").split(/\s+/).filter(Boolean)) {
					if (!document.getElementById(id)) out.push(attr + " of " + (e.id || e.tagName.toLowerCase()) + " names missing id " + id);
				}
			}
		}
		return out;
	})()`)
	for _, p := range problems {
		t.Errorf("%s at %d px: %s", b.path(), width, p)
	}
}

// fillAllSteps answers the five steps of the reference survey with the mouse and ends on the
// check page.
func fillAllSteps(b *tab, municipality string) {
	b.t.Helper()
	next := func(to string) {
		b.t.Helper()
		b.mustBeAt(b.follow("Volgende", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+to)
	}
	b.typeInto("#f-gemeente", municipality)
	b.choose("f-afdeling-communicatie")
	b.choose("f-overleg-nee")
	next("/stap/2")
	b.choose("f-kc_plannen-sturing")
	b.choose("f-kc_stellingen-meer_samenwerken-eens")
	b.typeInto("#f-kc_concreet", "Een klantcontactcentrum")
	next("/stap/3")
	b.choose("f-part_plannen-experimenteren")
	b.choose("f-part_stellingen-inwoners_willen_niet-oneens")
	next("/stap/4")
	b.choose("f-bnb_plannen-online_luisteren")
	b.choose("f-bnb_stellingen-voldoende_kennis-neutraal")
	next("/stap/5")
	b.typeInto("#f-uitdaging", "Minder regels")
	next("/controleren")
}

// closeSurvey closes the reference survey in a database file, as the researcher's close does.
func closeSurvey(t *testing.T, path string) {
	t.Helper()
	db := openDB(t, path)
	err := db.Write.Model(&models.Survey{}).Where("slug = ?", slug).
		Updates(map[string]any{"status": models.StatusClosed, "closed_at": time.Now().UTC()}).Error
	if err != nil {
		t.Fatalf("close the survey in %s: %v", path, err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// setAsideAndBindALink sets aside every response in the database at path, as switching to
// invitation only does, and adds an invitation for Utrecht that another browser has already
// started with; it returns that link's token.
func setAsideAndBindALink(t *testing.T, path string) string {
	t.Helper()
	db := openDB(t, path)
	defer db.Close()
	err := db.Write.Model(&models.Response{}).Where("1 = 1").Updates(map[string]any{
		"status": models.ResponseSetAside, "set_aside_reason": models.SetAsideInvitationOnly, "set_aside_at": time.Now().UTC()}).Error
	if err != nil {
		t.Fatal(err)
	}
	token, other := models.NewToken(), uint(1_000_000)
	var s models.Survey
	if err := db.Write.Where("slug = ?", slug).Take(&s).Error; err != nil {
		t.Fatal(err)
	}
	inv := models.Invitation{SurveyID: s.ID, MunicipalityCode: "0344", TokenHash: models.HashToken(token), Sealed: "-", ResponseID: &other, CreatedAt: time.Now().UTC()}
	if err := db.Write.Create(&inv).Error; err != nil {
		t.Fatal(err)
	}
	return token
}

type checkResult struct {
	out   string
	err   error
	took  time.Duration
	shots string
}

// runCheck runs the a11y tool; the first run on a machine installs its browser and modules.
func runCheck(check string, args, urls []string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, check, append(args, urls...)...).CombinedOutput()
	return string(out), err
}

var toolLine = regexp.MustCompile(`(?m)^(?:ok  |FAIL) (\S+) \(HTTP (\d+)`)

// checkToolSaw makes sure the tool checked each URL itself, with the expected status: a
// redirect (a cookie that did not work) would otherwise pass with another page's result.
func checkToolSaw(t *testing.T, width int, out string, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	for _, m := range toolLine.FindAllStringSubmatch(out, -1) {
		got[m[1]], _ = strconv.Atoi(m[2])
	}
	for u, status := range want {
		if got[u] != status {
			t.Errorf("at %d px the tool saw %s with HTTP %d, want %d", width, u, got[u], status)
		}
	}
	if strings.Contains(out, "redirected:") {
		t.Errorf("at %d px the tool was redirected away from a page it should check", width)
	}
}

// keepShots copies screenshots to shotsDir/name, replacing the last run's.
func keepShots(t *testing.T, from, name string) {
	t.Helper()
	to := filepath.Join(shotsDir, name)
	if err := os.RemoveAll(to); err != nil {
		t.Logf("screenshots not kept: %v", err)
		return
	}
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Logf("screenshots not kept: %v", err)
	}
}

// readAxe returns axe-core's script, as tools/a11y/setup installed it beside the tool.
func readAxe(t *testing.T) string {
	t.Helper()
	a11yTool(t)
	src, err := os.ReadFile(filepath.Join(repoRoot, "tools", "a11y", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatalf("axe-core, which tools/a11y/setup installs: %v", err)
	}
	return string(src)
}

type axeViolation struct {
	ID, Impact, Help, HelpURL string
	Targets                   []string
}

// checkWithAxe runs axe-core on the page the tab shows, at each width, and saves a screenshot
// of each as dir/axe/<width>-<name>.png.
func checkWithAxe(t *testing.T, b *tab, axe, name string, ws []int, dir string) {
	t.Helper()
	if !js[bool](b, `typeof window.axe === "object"`) {
		b.do("load axe-core", chromedp.Evaluate[chromedp.Void](axe))
	}
	if err := os.MkdirAll(filepath.Join(dir, "axe"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		b.do(fmt.Sprintf("set the viewport to %d px", w), chromedp.EmulateViewport(int64(w), 900))
		vs := get(b, "run axe", chromedp.Evaluate[[]axeViolation](`axe.run(document, {
			runOnly: {type: "tag", values: `+axeTags+`}, resultTypes: ["violations"],
		}).then(r => r.violations.map(v => ({ID: v.id, Impact: v.impact || "", Help: v.help, HelpURL: v.helpUrl,
			Targets: v.nodes.map(n => n.target.map(s => [].concat(s).join(" >>> ")).join(" >> "))})))`, chromedp.EvalAwaitPromise))
		for _, v := range vs {
			t.Errorf("axe at %d px on %s (%s): %s [%s] %s\n      at %s\n      %s", w, b.path(), name, v.ID, v.Impact, v.Help,
				strings.Join(v.Targets, "\n      at "), v.HelpURL)
		}
		b.screenshot(filepath.Join(dir, "axe", fmt.Sprintf("%d-%s.png", w, name)))
		checkMarkup(t, b, w)
	}
}
