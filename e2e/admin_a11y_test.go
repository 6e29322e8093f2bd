//go:build e2e

package e2e

import (
	"encoding/csv"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"peiling/models"
)

// adminWidths are the viewports of the researcher's pages: the smallest phone (WCAG 1.4.10
// asks for reflow at 320 px) and a laptop.
var adminWidths = []int{320, 1280}

const (
	researcherEmail    = "onderzoeker@example.nl"
	researcherPassword = "drie woorden lang genoeg"
	// seeded is the number of responses written before the server starts: enough for
	// breakdowns with groups, and some groups too small to show.
	seeded = 30
	// deadSMTP turns e-mail on, at a port where nothing listens: sending fails at once and
	// the mail page lists the failure.
	deadSMTP = "PEILING_SMTP_URL=smtp://127.0.0.1:1?from=peiling@example.nl"
	// The invited municipalities: Zeist answers through its link, Utrecht's link is revoked.
	// Neither is among the seeded responses, which take the lowest codes.
	zeist, utrecht = "0355", "0344"
)

// TestResearcherPagesMeetWCAG21AA checks every researcher page, and every page a municipality
// reaches through its invitation link, with tools/a11y/check at 320 and 1280 px.
// It drives the researcher's own forms in Chromium, from login to closing, publishing and
// the report per municipality. The answers to POSTs (422 pages, a new API token) have no URL
// of their own; after the tool has run, they are checked with its axe-core in the browser.
//
// The tool sends one set of cookies to every URL, and a browser session holds one invitation
// per survey, so each state lives on its own server over a copy of the database, all sharing
// the session key: I, invitation-only before any link existed; D, Zeist's draft on step 1;
// O, the survey still open with Zeist's answers sent; A, the server the browser drove, closed;
// and S, a server without accounts, for the setup page.
func TestResearcherPagesMeetWCAG21AA(t *testing.T) {
	began := time.Now()
	check := a11yTool(t)
	dir := t.TempDir()
	seedResponses(t, filepath.Join(dir, "a.db"), seeded)
	a := startServer(t, filepath.Join(dir, "a.db"),
		"PEILING_ADMIN_EMAIL="+researcherEmail, "PEILING_ADMIN_PASSWORD="+researcherPassword, deadSMTP)
	b := newBrowser(t, 1280, 900)

	b.mustBeAt(b.open(a.URL+"/admin/login"), http.StatusOK, "/admin/login")
	b.typeInto("#email", researcherEmail)
	b.typeInto("#wachtwoord", researcherPassword)
	b.mustBeAt(b.follow("log in", submit(`form[action="/admin/login"]`)), http.StatusOK, "/admin")

	admin := "/admin/surveys/" + slug
	b.mustBeAt(b.open(a.URL+admin), http.StatusOK, admin)
	b.choose("toegang-uitnodiging")
	b.mustBeAt(b.follow("allow invited municipalities only", submit(`form[action$="/toegang"]`)), http.StatusOK, admin)
	snapshot(t, a.DB, filepath.Join(dir, "i.db"))

	b.mustBeAt(b.open(a.URL+admin+"/uitnodigingen"), http.StatusOK, admin+"/uitnodigingen")
	b.do("paste the contacts", chromedp.SetValue(chromedp.CSS("#lijst"),
		zeist+";Anna de Vries;a.devries@zeist.example.nl\n"+utrecht+";Piet Jansen;p.jansen@utrecht.example.nl"))
	b.mustBeAt(b.follow("make links for the list", submit(contactList)), http.StatusOK, admin+"/uitnodigingen")
	links := invitationLinks(t, a.URL+admin+"/uitnodigingen/links.csv", b.cookies(a.URL))
	revoke := js[string](b, `[...document.querySelectorAll("tbody tr")]
		.find(r => r.querySelector("th").textContent.startsWith("Utrecht"))
		.querySelector('a[href$="/intrekken"]').getAttribute("href")`)
	b.mustBeAt(b.open(a.URL+revoke), http.StatusOK, revoke)
	b.choose("bevestig")
	b.mustBeAt(b.follow("revoke Utrecht's link", submit(fmt.Sprintf("form[action=%q]", revoke))), http.StatusOK, admin+"/uitnodigingen")
	b.mustBeAt(b.open(a.URL+admin+"/email"), http.StatusOK, admin+"/email")
	b.mustBeAt(b.follow("send the invitations", submit(`form.send-form:has(input[name="soort"][value="uitnodiging"])`)), http.StatusOK, admin+"/email")

	// Zeist follows its link, starts (the municipality is fixed) and sends its answers.
	b.mustBeAt(b.open(links[zeist]), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	snapshot(t, a.DB, filepath.Join(dir, "d.db"))
	fillInvitedSteps(b)
	b.mustBeAt(b.follow("Verstuur de antwoorden", chromedp.Click(chromedp.CSS("button[data-once]"))), http.StatusOK, "/s/"+slug+"/bevestiging")
	makeToken(b, a.URL)
	snapshot(t, a.DB, filepath.Join(dir, "o.db"))

	b.mustBeAt(b.open(a.URL+admin), http.StatusOK, admin)
	b.mustBeAt(b.follow("Peiling sluiten…", chromedp.Click(chromedp.CSS(`a[href$="/sluiten"]`))), http.StatusOK, admin+"/sluiten")
	b.choose("bevestig")
	b.mustBeAt(b.follow("close", submit(`form[action$="/sluiten"]`)), http.StatusOK, admin)
	b.mustBeAt(b.open(a.URL+admin+"/rapport-per-gemeente"), http.StatusOK, admin+"/rapport-per-gemeente")
	b.choose("bevestig")
	b.mustBeAt(b.follow("turn the report per municipality on", submit(`form[action$="/rapport-per-gemeente"]`)), http.StatusOK, admin)
	b.mustBeAt(b.open(a.URL+admin+"/results/publiceren"), http.StatusOK, admin+"/results/publiceren")
	b.choose("bevestig")
	b.mustBeAt(b.follow("publish", submit(`form[action$="/results/publiceren"]`)), http.StatusOK, admin+"/results/publiceren")
	openAnswers := admin + "/results/open/uitdaging"
	b.mustBeAt(b.open(a.URL+openAnswers), http.StatusOK, openAnswers)
	b.typeInto("#naam", "Samenwerking")
	b.mustBeAt(b.follow("add a theme", submit(`form[action$="/themes"]`)), http.StatusOK, openAnswers)
	// Tagging runs without a page load: tick the first answer, press Toekennen, and the live
	// region says what happened, naming the theme in the browser's language.
	b.do("tag the first answer", chromedp.Click(chromedp.CSS(`input.answer__pick`)), chromedp.Click(chromedp.CSS(`button[value="toekennen"]`)),
		chromedp.Poll[chromedp.Void](`document.getElementById("codeer-status").textContent.includes("Samenwerking")`))
	// Now Zeist's link leads to its report.
	b.mustBeAt(b.open(links[zeist]), http.StatusOK, "/s/"+slug+"/rapport/"+zeist)

	cookies := b.cookies(a.URL)
	if cookies["peiling"] == "" || cookies["peiling_admin"] == "" {
		t.Fatalf("the browser lacks the respondent or researcher session (cookies: %v)", slices.Sorted(maps.Keys(cookies)))
	}
	invited := startServer(t, filepath.Join(dir, "i.db"))
	draft := startServer(t, filepath.Join(dir, "d.db"))
	o := startServer(t, filepath.Join(dir, "o.db"), deadSMTP)
	fresh := startServer(t, filepath.Join(dir, "s.db")) // no account: it prints a setup link
	setupURL := setupLink(t, fresh)
	mustShow(t, o.URL+admin+"/veldwerk", cookies, `class="map-figure"`)
	mustShow(t, o.URL+admin+"/email", cookies, "mislukt")
	mustShow(t, a.URL+admin+"/results?indeling=provincie", cookies, "te klein (minder dan 5)")
	mustShow(t, a.URL+openAnswers, cookies, `<span class="tag">Samenwerking</span>`)
	checkExport(t, a.URL+admin+"/export/antwoorden-excel.csv", cookies, 31) // 30 seeded and Zeist's

	args := []string{"--allow-4xx"}
	for name, value := range cookies {
		args = append(args, "--cookie", name+"="+value)
	}
	pages := []page{
		{setupURL, http.StatusOK},
		{a.URL + "/admin/login", http.StatusOK},
		// Open, with Zeist's answers sent.
		{o.URL + "/admin", http.StatusOK},
		{o.URL + admin, http.StatusOK},
		{o.URL + admin + "/sluiten", http.StatusOK},
		{o.URL + admin + "/uitnodigingen", http.StatusOK},
		{o.URL + admin + "/email", http.StatusOK},
		{o.URL + admin + "/veldwerk", http.StatusOK},
		{o.URL + admin + "/results", http.StatusForbidden}, // embargo
		{o.URL + "/admin/tokens", http.StatusOK},
		// Through the invitation link, while open.
		{invited.URL + "/s/" + slug, http.StatusForbidden}, // invitation only, and this link is unknown there
		{draft.URL + "/s/" + slug, http.StatusOK},
		{draft.URL + "/s/" + slug + "/stap/1", http.StatusOK},
		{o.URL + "/s/" + slug, http.StatusOK},
		{o.URL + "/s/" + slug + "/bevestiging", http.StatusOK},
		{o.URL + "/s/" + slug + "/uitnodiging/" + path.Base(links[utrecht]), http.StatusGone},
		{o.URL + "/s/" + slug + "/uitnodiging/bestaat-niet", http.StatusNotFound},
		// Closed, published, with the report per municipality on.
		{a.URL + "/admin", http.StatusOK},
		{a.URL + admin, http.StatusOK},
		{a.URL + admin + "/results", http.StatusOK},
		{a.URL + admin + "/results?indeling=afdeling", http.StatusOK},
		{a.URL + admin + "/results?indeling=provincie", http.StatusOK},
		{a.URL + admin + "/results?indeling=grootte", http.StatusOK},
		{a.URL + admin + "/results?indeling=overleg&filter=afdeling:communicatie", http.StatusOK},
		{a.URL + admin + "/results/kruistabel?rij=provincie&kolom=overleg", http.StatusOK},
		{a.URL + admin + "/results/kruistabel?rij=afdeling&kolom=kc_plannen", http.StatusOK},
		{a.URL + admin + "/results/kruistabel?rij=provincie&kolom=grootte", http.StatusOK},
		{a.URL + admin + "/results/publiceren", http.StatusOK},
		{a.URL + admin + "/downloads", http.StatusOK},
		{a.URL + admin + "/rapport-per-gemeente", http.StatusOK},
		{a.URL + openAnswers, http.StatusOK},
		{a.URL + "/r/" + slug, http.StatusOK},
		{a.URL + "/s/" + slug + "/rapport/" + zeist, http.StatusOK},
		{a.URL + "/s/" + slug + "/rapport/" + utrecht, http.StatusForbidden}, // another municipality's report
	}
	checkWithTool(t, check, args, pages, adminWidths, "")
	// The researcher's pages once more in English: the other words must not break a layout
	// or a name.
	var english []page
	for _, p := range pages {
		if strings.Contains(p.url, "/admin") {
			english = append(english, p)
		}
	}
	checkWithTool(t, check, append(slices.Clone(args), "--cookie", "peiling_lang=en"), english, adminWidths, "")
	checkNarrow(t, b, pages)
	checkChartText(t, b, []string{a.URL + admin + "/results", a.URL + admin + "/results?indeling=provincie", a.URL + admin + "/results?indeling=grootte", a.URL + "/r/" + slug})
	checkResultsReflow(t, b, a.URL+admin+"/results")
	checkResultsPages(t, b, dir, a.URL+admin+"/results", a.URL+admin+"/results?indeling=overleg&filter=afdeling:communicatie",
		a.URL+admin+"/results?indeling=grootte", a.URL+admin+"/results/kruistabel?rij=afdeling&kolom=kc_plannen", a.URL+"/r/"+slug)
	checkResearcherErrorStates(t, b, a.URL, o.URL, setupURL, dir)
	t.Logf("the researcher's pages took %.1f s", time.Since(began).Seconds())
}

// Forms the test sends more than once.
const (
	contactList    = `form[action$="/uitnodigingen"][enctype="multipart/form-data"]`
	resultSettings = `form[action$="/results/settings"]`
)

// submit presses the submit button of the form that sel finds.
func submit(form string) chromedp.Action[chromedp.Void] {
	return chromedp.Click(chromedp.CSS(form + ` button[type="submit"]`))
}

// makeToken makes an API token on the server at base; the answer shows its secret once.
func makeToken(b *tab, base string) {
	b.t.Helper()
	b.mustBeAt(b.open(base+"/admin/tokens"), http.StatusOK, "/admin/tokens")
	b.typeInto("#naam", "R-script rapportage")
	b.mustBeAt(b.follow("make an API token", submit(`form[action="/admin/tokens"]`)), http.StatusCreated, "/admin/tokens")
}

// checkResearcherErrorStates checks the answers to POSTs with axe-core in the browser, which
// the a11y tool installed: each form with an error (422), and a new API token. openBase is
// the server where the survey is still open, closedBase the one where it is closed.
func checkResearcherErrorStates(t *testing.T, b *tab, closedBase, openBase, setupURL, dir string) {
	t.Helper()
	axe := readAxe(t)
	admin := "/admin/surveys/" + slug

	setupPath := mustParse(t, setupURL).Path
	b.mustBeAt(b.open(setupURL), http.StatusOK, setupPath)
	b.mustBeAt(b.follow("send the empty setup form", submit("form.form-narrow")), http.StatusUnprocessableEntity, setupPath)
	checkWithAxe(t, b, axe, "setup-422", adminWidths, dir)

	b.mustBeAt(b.open(closedBase+"/admin/login"), http.StatusOK, "/admin/login")
	b.typeInto("#email", researcherEmail)
	b.typeInto("#wachtwoord", "een verkeerd wachtwoord")
	b.mustBeAt(b.follow("log in with a wrong password", submit(`form[action="/admin/login"]`)), http.StatusUnprocessableEntity, "/admin/login")
	checkWithAxe(t, b, axe, "login-422", adminWidths, dir)

	b.mustBeAt(b.open(openBase+admin+"/uitnodigingen"), http.StatusOK, admin+"/uitnodigingen")
	b.do("paste a list with an unknown code", chromedp.SetValue(chromedp.CSS("#lijst"), "9999;Niemand;niemand@example.nl"))
	b.mustBeAt(b.follow("make links for a wrong list", submit(contactList)), http.StatusUnprocessableEntity, admin+"/uitnodigingen")
	checkWithAxe(t, b, axe, "uitnodigingen-422", adminWidths, dir)

	reminder := `form.send-form:has(input[name="dagen"])`
	b.mustBeAt(b.open(openBase+admin+"/email"), http.StatusOK, admin+"/email")
	b.do("type a reminder interval of 0 days", chromedp.SetValue(chromedp.CSS(reminder+` input[name="dagen"]`), "0"))
	b.mustBeAt(b.follow("send reminders with a wrong interval", submit(reminder)), http.StatusUnprocessableEntity, admin+"/email/versturen")
	checkWithAxe(t, b, axe, "email-422", adminWidths, dir)

	b.mustBeAt(b.open(openBase+admin+"/sluiten"), http.StatusOK, admin+"/sluiten")
	b.mustBeAt(b.follow("close without confirming", submit(`form[action$="/sluiten"]`)), http.StatusUnprocessableEntity, admin+"/sluiten")
	checkWithAxe(t, b, axe, "sluiten-422", adminWidths, dir)

	makeToken(b, openBase)
	checkWithAxe(t, b, axe, "token-nieuw", adminWidths, dir)

	b.mustBeAt(b.open(closedBase+admin+"/results"), http.StatusOK, admin+"/results")
	b.clickOn("details.panel summary")
	b.do("type a minimum group of 0", chromedp.SetValue(chromedp.CSS("#min_groep"), "0"))
	b.mustBeAt(b.follow("save a wrong minimum group", submit(resultSettings)), http.StatusUnprocessableEntity, admin+"/results/settings")
	if !js[bool](b, `document.querySelector("details.panel").open`) {
		t.Error("the results settings with an error are folded away")
	}
	checkWithAxe(t, b, axe, "uitkomsten-422", adminWidths, dir)
	keepShots(t, filepath.Join(dir, "axe"), "onderzoeker-axe")
}

// seedResponses creates a database with the reference survey, open, and n sent responses.
func seedResponses(t *testing.T, path string, n int) {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close()
	if err := models.SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	s, err := models.FindSurvey(db.Write, slug)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SeedResponses(db.Write, s, n, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
}

var setupLine = regexp.MustCompile(`create the first one at (http://127\.0\.0\.1:\d+/admin/setup/\S+)`)

// setupLink is the one-time link that a server without accounts prints at start.
func setupLink(t *testing.T, s *server) string {
	t.Helper()
	// The server prints the link while it starts; on a busy machine the line may land a
	// moment after the server first answers.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if m := setupLine.FindStringSubmatch(s.out.String()); m != nil {
			return m[1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server on %s printed no setup link:\n%s", s.DB, s.out.String())
		}
	}
}

// fillInvitedSteps answers the five steps of the reference survey as an invited
// municipality, whose municipality is fixed, and ends on the check page.
func fillInvitedSteps(b *tab) {
	b.t.Helper()
	next := func(to string) {
		b.t.Helper()
		b.mustBeAt(b.follow("Volgende", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+to)
	}
	b.choose("f-afdeling-dienstverlening")
	b.choose("f-overleg-ja")
	next("/stap/2")
	b.choose("f-kc_plannen-basis_op_orde")
	b.choose("f-kc_stellingen-meer_samenwerken-eens")
	b.typeInto("#f-kc_concreet", "Een gezamenlijk klantcontactcentrum")
	next("/stap/3")
	b.choose("f-part_plannen-converseren")
	b.choose("f-part_stellingen-inwoners_willen_niet-eens")
	next("/stap/4")
	b.choose("f-bnb_plannen-online_luisteren")
	b.choose("f-bnb_stellingen-voldoende_kennis-oneens")
	next("/stap/5")
	b.typeInto("#f-uitdaging", "Samenwerken met de buurgemeenten")
	next("/controleren")
}

// adminGet fetches u with the browser's cookies and fails unless it answers 200.
// checkExport downloads the Dutch-Excel CSV of the closed survey as the researcher's browser
// would, and reads it back: byte-order mark, ';' between fields, one row per response.
func checkExport(t *testing.T, u string, cookies map[string]string, responses int) {
	t.Helper()
	body := adminGet(t, u, cookies)
	data, ok := strings.CutPrefix(body, "\ufeff")
	if !ok {
		t.Fatalf("%s has no byte-order mark", u)
	}
	r := csv.NewReader(strings.NewReader(data))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", u, err)
	}
	if len(rows) != responses+1 || !slices.Contains(rows[0], "gemeente_naam") {
		t.Errorf("%s: %d rows with header %q, want %d responses", u, len(rows)-1, rows[0], responses)
	}
}

func adminGet(t *testing.T, u string, cookies map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, value := range cookies {
		req.AddCookie(&http.Cookie{Name: name, Value: value})
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d, want 200", u, resp.StatusCode)
	}
	return string(body)
}

// mustShow fails unless the page at u has text: the state the tool checks is the one meant.
func mustShow(t *testing.T, u string, cookies map[string]string, text string) {
	t.Helper()
	if !strings.Contains(adminGet(t, u, cookies), text) {
		t.Errorf("%s does not show %s", u, text)
	}
}

// invitationLinks reads the links per municipality code from the CSV the researcher downloads
// for a mail merge.
func invitationLinks(t *testing.T, csvURL string, cookies map[string]string) map[string]string {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(adminGet(t, csvURL, cookies), "\ufeff")))
	r.Comma = ';'
	rows, err := r.ReadAll()
	if err != nil || len(rows) == 0 {
		t.Fatalf("read links.csv: %v", err)
	}
	code, link := slices.Index(rows[0], "gemeentecode"), slices.Index(rows[0], "link")
	if code < 0 || link < 0 {
		t.Fatalf("links.csv has no columns gemeentecode and link: %q", rows[0])
	}
	links := map[string]string{}
	for _, row := range rows[1:] {
		links[row[code]] = row[link]
	}
	for _, c := range []string{zeist, utrecht} {
		if !strings.Contains(links[c], "/s/"+slug+"/uitnodiging/") {
			t.Fatalf("links.csv has no link for %s: %v", c, links)
		}
	}
	return links
}

func mustParse(t *testing.T, u string) *url.URL {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// checkNarrow opens every page in the browser at the smallest width, with the session the
// tool had, for what axe does not judge (checkMarkup): above all, a page wider than the
// screen, which makes people scroll in two directions (WCAG 1.4.10).
func checkNarrow(t *testing.T, b *tab, pages []page) {
	t.Helper()
	w := slices.Min(adminWidths)
	b.do(fmt.Sprintf("set the viewport to %d px", w), chromedp.EmulateViewport(int64(w), 900))
	for _, p := range pages {
		if status := b.open(p.url); status != int64(p.status) {
			t.Errorf("%s: HTTP %d, want %d", p.url, status, p.status)
		}
		checkMarkup(t, b, w)
	}
}
