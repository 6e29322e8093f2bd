package handlers

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"peiling/models"
	"peiling/models/dbtest"
)

const refSlug = "klantcontact-2018"

// rendered collects, over all tests, which templates some test rendered.
var (
	renderedMu sync.Mutex
	rendered   = map[string]bool{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		var never []string
		for name, seen := range rendered {
			if !seen {
				never = append(never, name)
			}
		}
		sort.Strings(never)
		if len(never) > 0 {
			fmt.Fprintf(os.Stderr, "templates no test rendered: %s\n", strings.Join(never, ", "))
			code = 1
		}
	}
	os.Exit(code)
}

// testApp is the real app on a new database of its own (a temporary SQLite file, or a fresh
// PostgreSQL database when PEILING_TEST_POSTGRES is set: dbtest.DSN), served through httptest.
type testApp struct {
	t   testing.TB
	db  *models.DB
	srv *httptest.Server
	h   *Handler
}

// newTestApp serves a new database; configure, if given, changes the app's Config first.
func newTestApp(t testing.TB, configure ...func(*Config)) *testApp {
	t.Helper()
	return newTestAppOn(t, dbtest.DSN(t, "peiling.db"), configure...)
}

// newTestAppOn serves the database dsn names (a SQLite file or a PostgreSQL URL), new or existing.
func newTestAppOn(t testing.TB, dsn string, configure ...func(*Config)) *testApp {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	db, err := models.Open(dsn, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SeedDefaults(db.Write); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, 64)
	_, _ = rand.Read(key)
	cfg := Config{SessionKey: key, Templates: os.DirFS("../templates"), Static: os.DirFS("../static"), Log: log}
	for _, f := range configure {
		f(&cfg)
	}
	e, h, err := New(db, cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.slices.wait = time.Minute // a test's small survey is counted at once; slice_test.go holds jobs back to see the waiting
	srv := httptest.NewServer(e)
	ctx, stopMail := context.WithCancel(context.Background())
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		h.SendQueuedMail(ctx)
	}()
	t.Cleanup(func() {
		srv.Close()
		stopMail()
		<-mailDone
		h.slices.jobs.Wait()
		renderedMu.Lock()
		for name, seen := range h.Rendered() {
			rendered[name] = rendered[name] || seen
		}
		renderedMu.Unlock()
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	})
	return &testApp{t: t, db: db, srv: srv, h: h}
}

// setStatus changes a survey's status directly, as the researcher's close button will.
func (a *testApp) setStatus(slug, status string) {
	a.t.Helper()
	if err := a.db.Write.Model(&models.Survey{}).Where("slug = ?", slug).Update("status", status).Error; err != nil {
		a.t.Fatal(err)
	}
	a.h.surveys.forget() // as the researcher's close button does
}

// client is a browser: it keeps cookies, follows redirects and sends the CSRF token that the
// last page's form carried.
type client struct {
	t    testing.TB
	app  *testApp
	http *http.Client
	last *page
	from string // X-Forwarded-For, as a proxy in front of the app would set it
}

type page struct {
	Status int
	Body   string
	URL    string // after redirects
	Header http.Header
}

func (a *testApp) newClient() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, http: &http.Client{Jar: jar}}
}

func (c *client) do(req *http.Request) *page {
	c.t.Helper()
	if c.from != "" {
		req.Header.Set("X-Forwarded-For", c.from)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	p := &page{Status: resp.StatusCode, Body: string(body), URL: resp.Request.URL.Path, Header: resp.Header}
	c.last = p
	return p
}

func (c *client) get(path string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	return c.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// post sends form as the last page's form would, with its CSRF token.
func (c *client) post(path string, form url.Values) *page {
	c.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("_csrf") == "" && c.last != nil {
		if m := csrfField.FindStringSubmatch(c.last.Body); m != nil {
			form.Set("_csrf", m[1])
		}
	}
	if form.Get("_csrf") == "" { // a page without a form: the token a form would have carried
		u, _ := url.Parse(c.app.srv.URL)
		for _, ck := range c.http.Jar.Cookies(u) {
			if ck.Name == "peiling_csrf" {
				form.Set("_csrf", ck.Value)
			}
		}
	}
	return c.postRaw(path, form.Encode())
}

func (c *client) postRaw(path, body string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// start opens the reference survey and presses Start.
func (c *client) start() *page {
	c.t.Helper()
	c.get("/s/" + refSlug)
	p := c.post("/s/"+refSlug+"/start", nil)
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/stap/1") {
		c.t.Fatalf("start: got %d at %s", p.Status, p.URL)
	}
	return p
}

func (p *page) mustContain(t testing.TB, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.Body, w) {
			t.Errorf("page %s (%d) lacks %q", p.URL, p.Status, w)
		}
	}
}

// hidden returns the value of a hidden input on the page.
func (p *page) hidden(t testing.TB, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("page %s has no hidden field %s", p.URL, name)
	}
	return m[1]
}

// sectionAnswers are valid answers for each step of the reference survey, for one municipality.
func sectionAnswers(municipality string) []url.Values {
	return []url.Values{
		{"gemeente": {municipality}, "afdeling": {"anders"}, "afdeling.anders": {"Informatiebeheer"}, "overleg": {"ja"}},
		{"kc_plannen": {"basis_op_orde", "data_proactief"}, "kc_stellingen.meer_samenwerken": {"helemaal_eens"},
			"kc_stellingen.werken_goed_samen": {"neutraal"}, "kc_stellingen.bestuur_geen_reden": {"weet_niet"},
			"kc_concreet": {"WhatsApp als kanaal <script>alert(1)</script>\r\nen een KCC 🎉"}},
		{"part_plannen": {"converseren"}, "part_stellingen.belangrijk_moeilijk": {"eens"}, "part_concreet": {"Burgerpanel"}},
		{"bnb_plannen": {"anders"}, "bnb_plannen.anders": {"Newsroom =HYPERLINK(\"x\")"}, "bnb_stellingen.wil_buiten_binnen": {"helemaal_eens"}},
		{"uitdaging": {"De Omgevingswet"}},
	}
}

// fillAll answers every step with Volgende and ends on the check page.
func (c *client) fillAll(municipality string) *page {
	c.t.Helper()
	var p *page
	for i, form := range sectionAnswers(municipality) {
		form.Set("actie", "volgende")
		p = c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
		if p.Status != http.StatusOK {
			c.t.Fatalf("step %d: status %d: %s", i+1, p.Status, p.Body)
		}
	}
	if !strings.HasSuffix(p.URL, "/controleren") {
		c.t.Fatalf("after the last step: at %s", p.URL)
	}
	return p
}

// responses counts the stored responses of the reference survey by status.
func (a *testApp) responses(status string) int64 {
	a.t.Helper()
	var n int64
	if err := a.db.Read.Model(&models.Response{}).Where("status = ?", status).Count(&n).Error; err != nil {
		a.t.Fatal(err)
	}
	return n
}

// samePages fails t where two renderings of the same visits differ: the same status and URL,
// and the same body once what mask matches (a session's tokens, a clock time) is masked. what
// names the two sides in the message, as "inlined/plain".
func samePages(t *testing.T, what string, a, b []*page, mask *regexp.Regexp) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("%s: %d pages against %d", what, len(a), len(b))
	}
	for i := range a {
		if a[i].Status != b[i].Status || a[i].URL != b[i].URL {
			t.Fatalf("%s: %s %d against %s %d", what, a[i].URL, a[i].Status, b[i].URL, b[i].Status)
		}
		if x, y := mask.ReplaceAllString(a[i].Body, "…"), mask.ReplaceAllString(b[i].Body, "…"); x != y {
			n := 0
			for n < len(x) && n < len(y) && x[n] == y[n] {
				n++
			}
			t.Errorf("%s: %s differs at byte %d:\n %q\n %q", what, a[i].URL, n, x[max(0, n-80):min(len(x), n+80)], y[max(0, n-80):min(len(y), n+80)])
		}
		if a[i].Status == http.StatusOK && len(a[i].Body) < 500 {
			t.Errorf("%s: %s: a short page", what, a[i].URL)
		}
	}
}

// respondentPages plays a whole questionnaire of the reference survey on c, as the tests that
// render the same visits two ways need it, and returns every page a respondent sees on the
// way: start, each step answered, a step with an error, the save-for-later page, the check
// page and the confirmation.
func (c *client) respondentPages(municipality string) []*page {
	c.t.Helper()
	pages := []*page{c.start()}
	check := c.fillAll(municipality)
	pages = append(pages, check)
	for step := 1; step <= 5; step++ {
		pages = append(pages, c.get(fmt.Sprintf("/s/%s/stap/%d", refSlug, step)))
	}
	pages = append(pages,
		c.post("/s/"+refSlug+"/stap/2", url.Values{"kc_concreet": {strings.Repeat("x", 5000)}, "actie": {"volgende"}}),
		c.get("/s/"+refSlug+"/later"),
		c.get("/s/"+refSlug+"/controleren"))
	c.fillAll(municipality)
	return append(pages, c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {check.hidden(c.t, "inzending")}}))
}
