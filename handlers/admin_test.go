package handlers

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/sessions"

	"peiling/models"
)

// submit answers the reference survey for municipality and sends it.
func (c *client) submit(municipality string) {
	c.t.Helper()
	c.start()
	p := c.fillAll(municipality)
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(c.t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		c.t.Fatalf("submit for %s: %d at %s", municipality, p.Status, p.URL)
	}
}

// draft starts the reference survey for municipality and saves only the first step.
func (c *client) draft(municipality string) {
	c.t.Helper()
	c.start()
	form := sectionAnswers(municipality)[0]
	form.Set("actie", "volgende")
	if p := c.post("/s/"+refSlug+"/stap/1", form); p.Status != http.StatusOK {
		c.t.Fatalf("draft for %s: %d", municipality, p.Status)
	}
}

// survey reads the reference survey as stored.
func (a *testApp) survey() *models.Survey {
	a.t.Helper()
	s, err := models.FindSurvey(a.db.Read, refSlug)
	if err != nil {
		a.t.Fatal(err)
	}
	return s
}

// answerTexts are what sectionAnswers types into open fields; no fieldwork page may show them.
var answerTexts = []string{"Informatiebeheer", "WhatsApp", "Burgerpanel", "Newsroom", "De Omgevingswet", "Helemaal eens", "helemaal_eens", "basis_op_orde"}

func TestDashboardCountsSubmittedResponsesAndDrafts(t *testing.T) {
	app := newTestApp(t)
	app.newClient().submit("Utrecht")
	app.newClient().submit("Groningen")
	app.newClient().draft("Appingedam")
	app.newClient().start() // a draft without a municipality yet

	r := app.asResearcher()
	p := r.get("/admin")
	p.mustContain(t, `href="/admin/surveys/`+refSlug+`"`, `<span class="tag tag--open">open</span>`,
		"2 van 380 gemeenten, 1 %", "1 in behandeling", "Wijzigingen aan accounts", "Account aangemaakt: "+testEmail)
	if strings.Contains(p.Body, "nog geen") {
		t.Error("the time of the last response is missing")
	}
	for _, text := range answerTexts {
		if strings.Contains(p.Body, text) {
			t.Errorf("the dashboard shows answer content %q", text)
		}
	}
}

func TestSurveyPageShowsWhoRespondedByProvinceButNoAnswers(t *testing.T) {
	app := newTestApp(t)
	app.newClient().submit("Utrecht")
	app.newClient().submit("Groningen")
	app.newClient().draft("Appingedam")

	p := app.asResearcher().get("/admin/surveys/" + refSlug)
	if p.Status != http.StatusOK {
		t.Fatalf("survey page: %d", p.Status)
	}
	p.mustContain(t, "2 van 380 gemeenten, 1 %", "Concepten in behandeling", "<li>Groningen</li>", "<li>Utrecht</li>")
	for province, want := range map[string]string{"Groningen": "1 van 20", "Utrecht": "1 van 26", "Drenthe": "0 van 12"} {
		re := regexp.MustCompile(`<th scope="row">` + province + `</th>\s*<td data-label="Respons">` + want + `</td>`)
		if !re.MatchString(p.Body) {
			t.Errorf("province %s does not read %q", province, want)
		}
	}
	if strings.Contains(p.Body, "Appingedam") {
		t.Error("a draft's municipality is listed as responded")
	}
	for _, text := range answerTexts {
		if strings.Contains(p.Body, text) {
			t.Errorf("the survey page shows answer content %q", text)
		}
	}
}

func TestCloseNeedsConfirmationAndEveryStepIsAudited(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	base := "/admin/surveys/" + refSlug

	p := r.get(base + "/sluiten")
	p.mustContain(t, "Weet u zeker dat u de peiling wilt sluiten?", `name="bevestig"`)
	p = r.post(base+"/sluiten", nil)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("close without confirmation: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Er is een probleem", "Vink aan dat u de peiling wilt sluiten", `aria-describedby="bevestig-error"`)
	if s := app.survey(); s.Status != models.StatusOpen {
		t.Fatalf("unconfirmed close changed the status to %s", s.Status)
	}

	steps := []struct {
		name       string
		path       string
		form       url.Values
		wantStatus string
		wantText   string
	}{
		{"close", base + "/sluiten", url.Values{"bevestig": {"ja"}}, models.StatusClosed, "De peiling is gesloten."},
		{"reopen", base + "/openen", url.Values{"bevestig": {"ja"}}, models.StatusOpen, "De peiling is heropend."},
	}
	for _, st := range steps {
		r.get(base)
		if st.name == "reopen" { // reopening asks first, like closing
			r.get(base).mustContain(t, `href="`+base+`/heropenen"`)
			r.get(base+"/heropenen").mustContain(t, "Weet u zeker dat u de peiling wilt heropenen?", `name="bevestig"`)
			if p = r.post(st.path, nil); p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("reopen without confirmation: %d", p.Status)
			}
			p.mustContain(t, "<title>Fout: ", "Vink aan dat u de peiling wilt heropenen", `aria-describedby="bevestig-error"`)
			if s := app.survey(); s.Status != models.StatusClosed {
				t.Fatalf("unconfirmed reopen changed the status to %s", s.Status)
			}
		}
		p = r.post(st.path, st.form)
		if p.Status != http.StatusOK || p.URL != base {
			t.Fatalf("%s: %d at %s", st.name, p.Status, p.URL)
		}
		p.mustContain(t, st.wantText)
		if s := app.survey(); s.Status != st.wantStatus {
			t.Fatalf("after %s: status %s, want %s", st.name, s.Status, st.wantStatus)
		}
	}
	if p := r.get(base + "/heropenen"); p.Status != http.StatusConflict {
		t.Errorf("reopen page of an open survey: %d", p.Status)
	}
	app.setStatus(refSlug, models.StatusDraft)
	r.get(base).mustContain(t, "<span class=\"tag tag--draft\">concept</span>")
	p = r.post(base+"/openen", nil)
	p.mustContain(t, "De peiling is geopend.", "tag--open")

	p = r.get(base)
	p.mustContain(t, "Peiling geopend", "Peiling heropend", "Peiling gesloten", testEmail)
	opened, reopened, closed := strings.Index(p.Body, "Peiling geopend"), strings.Index(p.Body, "Peiling heropend"), strings.Index(p.Body, "Peiling gesloten")
	if !(opened < reopened && reopened < closed) {
		t.Error("the audit log is not newest first")
	}

	app.setStatus(refSlug, models.StatusDraft)
	r.get(base)
	if p = r.post(base+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusConflict {
		t.Errorf("closing a draft: %d", p.Status)
	}
	p.mustContain(t, "Dat kan niet in deze fase", `href="`+base+`"`)
}

func TestClosingTimeIsSetInAmsterdamTimeAndCleared(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	base := "/admin/surveys/" + refSlug
	local := time.Now().In(amsterdam).Add(48 * time.Hour).Truncate(time.Minute)
	tests := []struct {
		name       string
		form       url.Values
		wantStatus int
		wantText   string
	}{
		{"in the past", url.Values{"sluittijd": {"2018-03-01T12:00"}, "actie": {"opslaan"}}, http.StatusUnprocessableEntity, "Kies een sluittijd die nog moet komen"},
		{"not a time", url.Values{"sluittijd": {"morgen"}, "actie": {"opslaan"}}, http.StatusUnprocessableEntity, "Vul een datum en tijd in"},
		{"empty", url.Values{"sluittijd": {""}, "actie": {"opslaan"}}, http.StatusUnprocessableEntity, "Vul de sluittijd in"},
		{"in two days", url.Values{"sluittijd": {local.Format("2006-01-02T15:04")}, "actie": {"opslaan"}}, http.StatusOK, "De peiling sluit vanzelf op " + dutchTime(local)},
		{"cleared", url.Values{"actie": {"wissen"}}, http.StatusOK, "De sluittijd is gewist."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r.get(base)
			p := r.post(base+"/sluittijd", tt.form)
			if p.Status != tt.wantStatus {
				t.Fatalf("status %d, want %d", p.Status, tt.wantStatus)
			}
			p.mustContain(t, tt.wantText)
			if tt.wantStatus == http.StatusUnprocessableEntity {
				p.mustContain(t, "<title>Fout: ", `aria-describedby="sluittijd-hint sluittijd-error"`, `aria-invalid="true"`)
			}
		})
	}
	p := r.get(base)
	p.mustContain(t, "Sluittijd ingesteld ("+dutchTime(local)+")", "Sluittijd gewist")
	if s := app.survey(); s.ClosesAt != nil {
		t.Errorf("closing time still %v after clearing", s.ClosesAt)
	}
}

func TestSetupLinkCreatesTheFirstAccountOnce(t *testing.T) {
	app := newTestApp(t)
	token, err := models.NewSetupToken(app.db.Write)
	if err != nil || token == "" {
		t.Fatalf("token %q: %v", token, err)
	}
	link := "/admin/setup/" + token
	c := app.newClient()
	c.get(link).mustContain(t, "Eerste account aanmaken", "Minstens 12 tekens")

	p := c.post(link, url.Values{"email": {"geen adres"}, "wachtwoord": {"kort"}, "herhaal": {"anders"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Vul een e-mailadres in zoals naam@gemeente.nl", "Kies een wachtwoord van minstens 12 tekens",
		"De twee wachtwoorden zijn niet gelijk", `href="#herhaal"`, `value="geen adres"`)
	if strings.Contains(p.Body, "kort") {
		t.Error("a password was echoed back")
	}

	p = c.post(link, url.Values{"email": {"eerste@gemeente.nl"}, "wachtwoord": {"een lange wachtzin"}, "herhaal": {"een lange wachtzin"}})
	if p.Status != http.StatusOK || p.URL != "/admin" {
		t.Fatalf("setup: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "Uw account is aangemaakt", "Ingelogd als eerste@gemeente.nl")

	for _, path := range []string{link, "/admin/setup/verzonnen"} {
		if p = app.newClient().get(path); p.Status != http.StatusNotFound {
			t.Errorf("%s after use: %d", path, p.Status)
		}
		p.mustContain(t, "Deze installatielink werkt niet (meer)")
	}
	other := app.newClient()
	other.get("/admin/login")
	if p = other.post(link, url.Values{"email": {"tweede@gemeente.nl"}, "wachtwoord": {"een lange wachtzin"}, "herhaal": {"een lange wachtzin"}}); p.Status != http.StatusNotFound {
		t.Errorf("second use of the link: %d", p.Status)
	}
	if n, _ := models.CountResearchers(app.db.Read); n != 1 {
		t.Errorf("%d accounts, want 1", n)
	}
}

// expiredClient is a browser whose researcher session was last used three hours ago.
func (a *testApp) expiredClient() *client {
	a.t.Helper()
	r, err := models.SetResearcher(a.db.Write, testEmail, testPassword)
	if err != nil {
		a.t.Fatal(err)
	}
	login := time.Now().Add(-4 * time.Hour).Unix()
	return a.sessionClient(map[any]any{researcherKey: r.ID, versionKey: r.SessionVersion, loginKey: login, seenKey: time.Now().Add(-3 * time.Hour).Unix()})
}

// sessionClient is a browser carrying a researcher session cookie with these values, made
// with the app's own key, as if an earlier login had set them.
func (a *testApp) sessionClient(values map[any]any) *client {
	a.t.Helper()
	s := sessions.NewSession(a.h.adminSessions, adminSessionName)
	s.Values = values
	s.Options = &sessions.Options{Path: "/"}
	rec := httptest.NewRecorder()
	if err := a.h.adminSessions.Save(httptest.NewRequest(http.MethodGet, "/", nil), rec, s); err != nil {
		a.t.Fatal(err)
	}
	c := a.newClient()
	u, _ := url.Parse(a.srv.URL)
	c.http.Jar.SetCookies(u, rec.Result().Cookies())
	c.get("/admin/login") // a CSRF token, as a browser would have
	return c
}

func TestFieldworkRoutesNeedALiveResearcherSessionAndCSRF(t *testing.T) {
	app := newTestApp(t)
	base := "/admin/surveys/" + refSlug
	routes := []struct{ method, path string }{
		{http.MethodGet, "/admin"},
		{http.MethodGet, base},
		{http.MethodGet, base + "/sluiten"},
		{http.MethodPost, base + "/sluiten"},
		{http.MethodPost, base + "/openen"},
		{http.MethodGet, base + "/heropenen"},
		{http.MethodPost, base + "/sluittijd"},
	}
	visitors := map[string]func() *client{
		"anonymous": func() *client { c := app.newClient(); c.get("/admin/login"); return c },
		"expired":   app.expiredClient,
	}
	for who, newClient := range visitors {
		for _, rt := range routes {
			t.Run(who+" "+rt.method+" "+rt.path, func(t *testing.T) {
				c := newClient()
				if rt.method == http.MethodGet {
					if p := c.get(rt.path); p.URL != "/admin/login" {
						t.Errorf("led to %s (%d), want the login page", p.URL, p.Status)
					}
					return
				}
				if p := c.post(rt.path, url.Values{"bevestig": {"ja"}, "sluittijd": {"2099-01-01T12:00"}}); p.Status != http.StatusForbidden {
					t.Errorf("status %d, want 403", p.Status)
				}
			})
		}
	}
	if s := app.survey(); s.Status != models.StatusOpen || s.ClosesAt != nil {
		t.Fatalf("a refused request changed the survey: %s, closes %v", s.Status, s.ClosesAt)
	}

	r := app.asResearcher()
	for _, rt := range routes {
		if rt.method != http.MethodPost {
			continue
		}
		if p := r.postRaw(rt.path, "bevestig=ja"); p.Status != http.StatusForbidden {
			t.Errorf("%s without a CSRF token: %d", rt.path, p.Status)
		}
	}
	if s := app.survey(); s.Status != models.StatusOpen {
		t.Fatalf("a forged request changed the status to %s", s.Status)
	}
}

// TestRespondentsSeeAClosureAtOnce: respondents' requests reuse the survey row for a second,
// but closing through the researcher's page is seen by the very next request, and a write
// from a page loaded before the close is refused even while the row is still cached.
func TestRespondentsSeeAClosureAtOnce(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	step1 := c.get(stepURL(refSlug, 1)) // caches the open survey
	r := app.asResearcher()
	r.get("/admin/surveys/" + refSlug + "/sluiten")
	if p := r.post("/admin/surveys/"+refSlug+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
		t.Fatalf("close: %d", p.Status)
	}
	if p := c.get("/s/" + refSlug); p.Status != http.StatusGone {
		t.Errorf("start page right after closing: %d, want 410", p.Status)
	}

	// A close the cache did not hear of (the closer, another process): the write is refused.
	if err := app.db.Write.Model(&models.Survey{}).Where("slug = ?", refSlug).Update("status", models.StatusOpen).Error; err != nil {
		t.Fatal(err)
	}
	app.h.surveys.forget()
	c.last = step1
	c.get(stepURL(refSlug, 1)) // cached as open
	if err := app.db.Write.Model(&models.Survey{}).Where("slug = ?", refSlug).Update("status", models.StatusClosed).Error; err != nil {
		t.Fatal(err)
	}
	form := sectionAnswers("Zeist")[0]
	form.Set("actie", "volgende")
	if p := c.post(stepURL(refSlug, 1), form); p.Status == http.StatusOK && strings.Contains(p.URL, "/stap/2") {
		t.Errorf("a save was accepted after the survey closed (page %s)", p.URL)
	}
	var saved int64
	app.db.Read.Model(&models.Answer{}).Count(&saved)
	if saved != 0 {
		t.Errorf("%d answers saved after closing", saved)
	}
}

func TestReopeningTurnsTheReportPerMunicipalityOff(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	links := inviteAll(t, r)
	utrecht := app.respondVia(t, links["0344"], "ja", true)
	report := benchmarkURL(refSlug, "0344")
	closeAgain := func() {
		r.get(adminBase + "/sluiten")
		r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	}
	closeAgain()
	r.get(adminBase + "/rapport-per-gemeente")
	r.post(adminBase+"/rapport-per-gemeente", url.Values{"rapport": {"aan"}, "bevestig": {"ja"}})
	if p := utrecht.get(report); p.Status != http.StatusOK {
		t.Fatalf("report after switching it on: %d", p.Status)
	}
	r.get(adminBase + "/heropenen")
	r.post(adminBase+"/openen", url.Values{"bevestig": {"ja"}})
	closeAgain()
	if app.survey().BenchmarkEnabled {
		t.Error("the report per municipality is still on after reopening and closing")
	}
	r.get(adminBase).mustContain(t, "Rapport per gemeente aanzetten")
	if p := utrecht.get(report); p.Status != http.StatusNotFound {
		t.Errorf("report after reopening and closing, before the researcher switched it on again: %d", p.Status)
	}
}
