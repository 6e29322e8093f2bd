package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"peiling/models"
)

// createToken makes an API token through the researcher's page and returns the secret.
func createToken(t *testing.T, res *client, name string) string {
	t.Helper()
	res.get("/admin/tokens")
	p := res.post("/admin/tokens", url.Values{"naam": {name}})
	if p.Status != http.StatusCreated {
		t.Fatalf("create token: %d", p.Status)
	}
	m := regexp.MustCompile(`id="nieuw-token" type="text" readonly value="([^"]+)"`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("the new token is not shown")
	}
	return m[1]
}

// noRedirects returns a copy of c that shows redirects instead of following them.
func (c *client) noRedirects() *client {
	h := *c.http
	h.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &client{t: c.t, app: c.app, http: &h}
}

func (c *client) getWith(path, bearer string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	return c.do(req)
}

func TestAPIServesTheKnownSetWithAToken(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	token := createToken(t, res, "R-script")
	api := app.newClient()
	p := api.getWith("/api/v1/surveys/"+refSlug+"/results", token)
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("api results: %d %s", p.Status, p.Header.Get("Content-Type"))
	}
	checkResultsJSON(t, p.Body, set)
	var raw []map[string]any
	if err := json.Unmarshal([]byte(api.getWith("/api/v1/surveys/"+refSlug+"/responses", token).Body), &raw); err != nil || len(raw) != len(set) {
		t.Fatalf("api responses: %d objects, %v", len(raw), err)
	}

	var stored models.APIToken
	app.db.Read.First(&stored)
	if stored.Hash == token || strings.Contains(stored.Hash, token) || stored.Hash != models.HashToken(token) {
		t.Error("the token is not stored as its SHA-256 hash")
	}
	if res.get("/admin/tokens").mustContain(t, "R-script", "actief"); strings.Contains(res.last.Body, token) {
		t.Error("the token is shown a second time")
	}
	res.post("/admin/tokens/"+itoaUint(stored.ID)+"/revoke", nil)
	if p := api.getWith("/api/v1/surveys/"+refSlug+"/results", token); p.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", p.Status)
	}
	p = api.getWith("/api/v1/surveys/bestaat-niet/results", createToken(t, res, "tweede"))
	if p.Status != http.StatusNotFound || !strings.Contains(p.Body, `"not_found"`) {
		t.Errorf("unknown survey: %d %s", p.Status, p.Body)
	}
}

func itoaUint(n uint) string { return strconv.FormatUint(uint64(n), 10) }

// TestResultsAccess walks every results, export, API and public route through every role
// and every survey state.
func TestResultsAccess(t *testing.T) {
	app := newTestApp(t)
	res := app.asResearcher()
	token := createToken(t, res, "toegang")
	respondent := app.newClient()
	respondent.start() // holds a respondent session, nothing more
	roles := map[string]struct {
		c      *client
		bearer string
	}{
		"anonymous":   {app.newClient(), ""},
		"respondent":  {respondent, ""},
		"researcher":  {res, ""},
		"wrong token": {app.newClient(), "pl_" + strings.Repeat("x", 43)},
		"token":       {app.newClient(), token},
	}
	admin := []string{"/results", "/results?indeling=provincie", "/results/chart/kc_plannen.svg", "/downloads", "/results/publiceren",
		"/results/open/kc_concreet", "/results/open/kc_plannen", "/results/open/kc_concreet?thema=geen&q=x",
		"/results?indeling=overleg", "/results?indeling=provincie&filter=afdeling%3Acommunicatie", "/results/chart/kc_plannen.svg?indeling=overleg",
		"/results/kruistabel", "/results/kruistabel?rij=provincie&kolom=overleg"}
	for _, e := range crossExports {
		admin = append(admin, "/results/kruistabel/"+e.File+"?rij=afdeling&kolom=overleg&filter=grootte%3Ae_ge100k")
	}
	for _, e := range exports {
		admin = append(admin, "/export/"+e.File)
	}
	type want struct{ admin, api, public int }
	expect := func(role, state string) want {
		w := want{admin: http.StatusSeeOther, api: http.StatusUnauthorized, public: http.StatusNotFound}
		if state == "published" {
			w.public = http.StatusOK
		}
		reportable := state == "closed" || state == "published"
		if role == "researcher" {
			w.admin = http.StatusForbidden
			if reportable {
				w.admin = http.StatusOK
			}
		}
		if role == "token" {
			w.api = http.StatusForbidden
			if reportable {
				w.api = http.StatusOK
			}
		}
		return w
	}
	check := func(state string) {
		for name, r := range roles {
			w := expect(name, state)
			c := r.c.noRedirects()
			for _, path := range admin {
				if p := c.getWith("/admin/surveys/"+refSlug+path, r.bearer); p.Status != w.admin {
					t.Errorf("%s, %s: GET %s = %d, want %d", state, name, path, p.Status, w.admin)
				} else if p.Status == http.StatusForbidden && !strings.Contains(p.Body, "Nog geen uitkomsten") {
					t.Errorf("%s: the embargo page does not explain itself", path)
				}
			}
			for _, path := range []string{"/results", "/responses"} {
				p := c.getWith("/api/v1/surveys/"+refSlug+path, r.bearer)
				if p.Status != w.api || !strings.HasPrefix(p.Header.Get("Content-Type"), "application/json") {
					t.Errorf("%s, %s: API %s = %d (%s), want %d JSON", state, name, path, p.Status, p.Header.Get("Content-Type"), w.api)
				}
			}
			for _, path := range []string{"/r/" + refSlug, "/r/" + refSlug + "/chart/kc_plannen.svg"} {
				if p := c.getWith(path, r.bearer); p.Status != w.public {
					t.Errorf("%s, %s: GET %s = %d, want %d", state, name, path, p.Status, w.public)
				}
			}
			// Writes: settings and themes are the researcher's, and only after closing.
			wantPost := http.StatusForbidden
			if name == "researcher" && (state == "closed" || state == "published") {
				wantPost = http.StatusSeeOther
			}
			r.c.get("/admin/tokens") // a page with a form: its CSRF token
			for _, path := range []string{"/results/open/kc_concreet/themes"} {
				if p := r.c.noRedirects().post("/admin/surveys/"+refSlug+path, url.Values{"naam": {"Thema " + state}}); p.Status != wantPost {
					t.Errorf("%s, %s: POST %s = %d, want %d", state, name, path, p.Status, wantPost)
				}
			}
			// Coding: a theme that does not exist is not found, but only once results exist.
			wantCoding := http.StatusForbidden
			if name == "researcher" && (state == "closed" || state == "published") {
				wantCoding = http.StatusNotFound
			}
			for _, path := range []string{"/results/open/kc_concreet/tags", "/results/open/kc_concreet/themes/999999/naam",
				"/results/open/kc_concreet/themes/999999/samenvoegen"} {
				form := url.Values{"naam": {"X"}, "met": {"999998"}, "thema": {"999999"}, "antwoord": {"1"}}
				if p := r.c.noRedirects().post("/admin/surveys/"+refSlug+path, form); p.Status != wantCoding {
					t.Errorf("%s, %s: POST %s = %d, want %d", state, name, path, p.Status, wantCoding)
				}
			}
		}
	}
	check("open")
	app.setStatus(refSlug, models.StatusDraft)
	check("draft")
	app.setStatus(refSlug, models.StatusOpen)
	app.closeSurvey()
	check("closed")
	res.publish(t, false)
	check("published")

	// Unpublishing takes the public page down at once; reopening does too.
	res.get("/admin/surveys/" + refSlug + "/results/publiceren")
	res.post("/admin/surveys/"+refSlug+"/results/publiceren", url.Values{"actie": {"offline"}})
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusNotFound {
		t.Errorf("after unpublishing: %d", p.Status)
	}
	res.publish(t, false)
	s, _ := models.FindSurvey(app.db.Read, refSlug)
	if err := models.OpenSurvey(app.db.Write, s.ID, models.System, s.ClosedAt.Add(1)); err != nil {
		t.Fatal(err)
	}
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusNotFound {
		t.Errorf("after reopening: %d", p.Status)
	}
}

func TestPublicResultsShowAggregatesAndOpenAnswersOnlyWhenChosen(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	res.publish(t, false)
	anon := app.newClient()
	p := anon.get("/r/" + refSlug + "?indeling=provincie")
	p.mustContain(t, "Klantcontact en interactie 2018", "van 380 gemeenten", "<th scope=\"row\">Limburg</th><td>te klein (minder dan 5)</td>")
	if strings.Contains(p.Body, "Plan nummer") || strings.Contains(p.Body, "Regel twee") || strings.Contains(p.Body, "/export/") || strings.Contains(p.Body, "Uitloggen") {
		t.Error("the public page shows open answers, exports or researcher controls without being asked to")
	}
	res.get("/admin/surveys/" + refSlug + "/results/publiceren")
	res.post("/admin/surveys/"+refSlug+"/results/publiceren", url.Values{"actie": {"offline"}})
	res.publish(t, true)
	p = anon.get("/r/" + refSlug)
	p.mustContain(t, "Plan nummer", "Regel één\nRegel twee 🎉")
	if strings.Contains(p.Body, "<script>alert") {
		t.Error("an open answer reached the public page as markup")
	}
}

// TestAPIErrorDetailsFollowAcceptLanguage: an API error keeps its status and code in every
// language; the detail, for people, follows Accept-Language, Dutch without it.
func TestAPIErrorDetailsFollowAcceptLanguage(t *testing.T) {
	app := newTestApp(t)
	for _, tc := range []struct{ accept, want string }{
		{"", "Geef een geldig API-token mee"},
		{"en-GB,en;q=0.8", "Send a valid API token"},
	} {
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/api/v1/surveys/"+refSlug+"/results", nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		p := app.newClient().do(req)
		var body apiError
		if err := json.Unmarshal([]byte(p.Body), &body); err != nil {
			t.Fatalf("%q: %v in %s", tc.accept, err, p.Body)
		}
		if p.Status != http.StatusUnauthorized || body.Error != "unauthorized" || !strings.HasPrefix(body.Detail, tc.want) {
			t.Errorf("Accept-Language %q: %d %+v", tc.accept, p.Status, body)
		}
	}
}
