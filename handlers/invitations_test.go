package handlers

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"peiling/models"
)

const adminBase = "/admin/surveys/" + refSlug

// setAccess switches the reference survey's access mode as the researcher does.
func setAccess(t *testing.T, r *client, mode string) {
	t.Helper()
	r.get(adminBase)
	if p := r.post(adminBase+"/toegang", url.Values{"toegang": {mode}}); p.Status != http.StatusOK || p.URL != adminBase {
		t.Fatalf("set access %s: %d at %s", mode, p.Status, p.URL)
	}
}

// inviteAll makes a link for every municipality of the register and returns them by code.
func inviteAll(t *testing.T, r *client) map[string]string {
	t.Helper()
	r.get(adminBase + "/uitnodigingen")
	p := r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"register"}})
	if p.Status != http.StatusOK || p.URL != adminBase+"/uitnodigingen" {
		t.Fatalf("invite all: %d at %s", p.Status, p.URL)
	}
	return linksOf(t, r)
}

// linksOf downloads the mail-merge CSV and returns each municipality's link path by code.
func linksOf(t *testing.T, r *client) map[string]string {
	t.Helper()
	rows := downloadCSV(t, r, adminBase+"/uitnodigingen/links.csv")
	links := map[string]string{}
	for _, row := range rows[1:] {
		u, err := url.Parse(row[5])
		if err != nil {
			t.Fatal(err)
		}
		links[row[0]] = u.Path
	}
	return links
}

func downloadCSV(t *testing.T, r *client, path string) [][]string {
	t.Helper()
	p := r.get(path)
	if p.Status != http.StatusOK || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("%s: %d %s", path, p.Status, p.Header.Get("Content-Type"))
	}
	if !strings.HasPrefix(p.Body, "\ufeff") {
		t.Fatalf("%s does not start with a BOM: %.20q", path, p.Body)
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(p.Body, "\ufeff")))
	cr.Comma = ';'
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// respondVia follows an invitation link in a new browser and answers every step, with
// overleg as the answer to that question; submit sends the answers.
func (a *testApp) respondVia(t *testing.T, link, overleg string, submit bool) *client {
	t.Helper()
	c := a.newClient()
	if p := c.get(link); p.Status != http.StatusOK || p.URL != "/s/"+refSlug {
		t.Fatalf("follow %s: %d at %s", link, p.Status, p.URL)
	}
	if p := c.post("/s/"+refSlug+"/start", nil); !strings.HasSuffix(p.URL, "/stap/1") {
		t.Fatalf("start via invitation: %d at %s", p.Status, p.URL)
	}
	var p *page
	for i, form := range sectionAnswers("Westerwolde") { // the invitation decides, not the form
		form.Set("actie", "volgende")
		if i == 0 {
			form.Set("overleg", overleg)
		}
		p = c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
		if p.Status != http.StatusOK {
			t.Fatalf("step %d via invitation: %d", i+1, p.Status)
		}
		if !submit {
			return c
		}
	}
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("submit via invitation: %d at %s", p.Status, p.URL)
	}
	return c
}

// responseCode is the municipality stored with the only response of the reference survey.
func (a *testApp) municipalityCodes(status string) []string {
	a.t.Helper()
	var codes []string
	if err := a.db.Read.Model(&models.Response{}).Where("status = ?", status).Order("municipality_code").Pluck("municipality_code", &codes).Error; err != nil {
		a.t.Fatal(err)
	}
	return codes
}

func TestInvitationOnlySurveyNeedsAValidLinkAndLocksTheMunicipality(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	setAccess(t, r, models.AccessInvitation)
	r.get(adminBase).mustContain(t, "Toegang: alleen op uitnodiging", `id="toegang-uitnodiging" name="toegang" value="invitation" checked`)
	links := inviteAll(t, r)
	if len(links) != 380 {
		t.Fatalf("%d links for the 2018 register", len(links))
	}

	anon := app.newClient()
	p := anon.get("/s/" + refSlug)
	if p.Status != http.StatusForbidden {
		t.Fatalf("no token: %d", p.Status)
	}
	p.mustContain(t, "Deze peiling is alleen op uitnodiging", "persoonlijke link")
	if strings.Contains(p.Body, "Start de peiling") {
		t.Error("the page without a token offers Start")
	}
	if p = anon.post("/s/"+refSlug+"/start", nil); p.Status != http.StatusForbidden || app.responses(models.ResponseDraft) != 0 {
		t.Fatalf("start without token: %d, %d drafts", p.Status, app.responses(models.ResponseDraft))
	}

	utrecht := app.newClient()
	p = utrecht.get(links["0344"])
	p.mustContain(t, "U vult deze peiling in voor gemeente <strong>Utrecht</strong>")
	utrecht.post("/s/"+refSlug+"/start", nil)
	p = utrecht.get("/s/" + refSlug + "/stap/1")
	p.mustContain(t, `<p class="locked-value"><strong>Utrecht</strong></p>`, `<input type="hidden" name="gemeente" value="0344">`)
	if strings.Contains(p.Body, "<datalist") {
		t.Error("the locked municipality still has a picker")
	}
	form := sectionAnswers("Groningen")[0] // another municipality sent anyway
	form.Set("actie", "volgende")
	utrecht.post("/s/"+refSlug+"/stap/1", form)
	if got := app.municipalityCodes(models.ResponseDraft); len(got) != 1 || got[0] != "0344" {
		t.Fatalf("draft municipalities %v, want [0344]: the server took the form's municipality", got)
	}
	p = utrecht.get("/s/" + refSlug + "/later")
	p.mustContain(t, "/s/"+refSlug+"/hervat/") // the way back is the response's own private link
	if strings.Contains(p.Body, links["0344"]) {
		t.Error("the resume page offers the invitation link, which is bound to this browser")
	}

	// Revoked: a clear page, also for the browser that already used it.
	r.get(adminBase + "/uitnodigingen")
	id := invitationID(t, app, "0344")
	revoke := fmt.Sprintf("%s/uitnodigingen/%d/intrekken", adminBase, id)
	r.get(adminBase+"/uitnodigingen").mustContain(t, `href="`+revoke+`"`)
	r.get(revoke).mustContain(t, "Link van gemeente Utrecht intrekken?", `name="bevestig"`)
	if p = r.post(revoke, nil); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("revoke without confirmation: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Vink aan dat u de link wilt intrekken")
	if p = app.newClient().get(links["0344"]); p.Status == http.StatusGone {
		t.Fatal("an unconfirmed revoke revoked the link")
	}
	p = r.post(revoke, url.Values{"bevestig": {"ja"}})
	p.mustContain(t, "De link van gemeente Utrecht is ingetrokken")
	p = app.newClient().get(links["0344"])
	if p.Status != http.StatusGone {
		t.Fatalf("revoked link: %d", p.Status)
	}
	p.mustContain(t, "Deze uitnodigingslink is ingetrokken")
	// The draft started through it is set aside: kept, and its browser is told why.
	if p = utrecht.get("/s/" + refSlug); p.Status != http.StatusConflict {
		t.Errorf("the browser with the revoked link: %d", p.Status)
	}
	p.mustContain(t, "De uitnodigingslink is ingetrokken", "tellen niet mee")
	if got := app.municipalityCodes(models.ResponseSetAside); len(got) != 1 || got[0] != "0344" {
		t.Errorf("set aside %v, want Utrecht's draft", got)
	}

	// Reissued: a new link, the old one stays dead, the draft is waiting behind the new one.
	id = invitationID(t, app, "0014") // Groningen
	reissue := fmt.Sprintf("%s/uitnodigingen/%d/vernieuwen", adminBase, id)
	r.get(reissue).mustContain(t, "Nieuwe link voor gemeente Groningen maken?")
	if p = r.post(reissue, nil); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("reissue without confirmation: %d", p.Status)
	}
	p = r.post(reissue, url.Values{"bevestig": {"ja"}})
	p.mustContain(t, "Nieuwe link voor gemeente Groningen")
	fresh := linksOf(t, r)["0014"]
	if fresh == links["0014"] || fresh == "" {
		t.Fatal("reissue kept the old link")
	}
	if p = app.newClient().get(links["0014"]); p.Status != http.StatusGone {
		t.Errorf("old link after reissue: %d", p.Status)
	}
	if p = app.newClient().get(fresh); p.Status != http.StatusOK {
		t.Errorf("new link: %d", p.Status)
	}
	r.get(adminBase).mustContain(t, "Uitnodigingslinks gemaakt: 380 nieuw, 0 bijgewerkt", "Uitnodigingslink ingetrokken: Utrecht", "Nieuwe uitnodigingslink: Groningen")
	r.get(adminBase+"?lang=en").mustContain(t, ": 380 new, 0 updated")
}

func invitationID(t *testing.T, app *testApp, code string) uint {
	t.Helper()
	var inv models.Invitation
	if err := app.db.Read.Where("municipality_code = ? AND revoked_at IS NULL", code).Take(&inv).Error; err != nil {
		t.Fatal(err)
	}
	return inv.ID
}

func TestInvitationLinkIsBoundToTheBrowserThatStarted(t *testing.T) {
	app := newTestApp(t)
	links := inviteAll(t, app.asResearcher()) // the survey stays open: invitations work in both modes
	first := app.respondVia(t, links["0003"], "ja", false)
	// The same browser following its link again continues its draft.
	if p := first.get(links["0003"]); !strings.HasSuffix(p.URL, "/stap/2") {
		t.Errorf("the link in its own browser led to %s", p.URL)
	}
	// Anyone else with the link reaches nothing: no draft, no answers, no Start.
	colleague := app.newClient()
	p := colleague.get(links["0003"])
	if p.Status != http.StatusConflict {
		t.Fatalf("the link in another browser: %d", p.Status)
	}
	p.mustContain(t, "Deze uitnodigingslink is al gebruikt", "Opslaan en later verder")
	p = colleague.get("/s/" + refSlug)
	if strings.Contains(p.Body, "Verder met invullen") || strings.Contains(p.Body, "Appingedam") {
		t.Error("the start page offers another browser's draft")
	}
	if p = colleague.get("/s/" + refSlug + "/stap/1"); strings.Contains(p.Body, `value="ja"`) || strings.HasSuffix(p.URL, "/stap/1") {
		t.Errorf("another browser reached step 1 of the bound draft: %s", p.URL)
	}
	// The private resume link of the response is the way to continue elsewhere.
	link := first.get("/s/" + refSlug + "/later")
	token := regexp.MustCompile(`/hervat/([A-Za-z0-9_-]+)`).FindStringSubmatch(link.Body)
	if token == nil {
		t.Fatal("no resume link")
	}
	if p = colleague.get("/s/" + refSlug + "/hervat/" + token[1]); !strings.HasSuffix(p.URL, "/stap/2") {
		t.Errorf("the resume link led to %s", p.URL)
	}
	var n int64
	app.db.Read.Model(&models.Response{}).Count(&n)
	if n != 1 {
		t.Errorf("%d responses, want the one of Appingedam", n)
	}
	// Opening the link creates nothing: mail scanners follow links too.
	app.newClient().get(links["0005"])
	app.db.Read.Model(&models.Response{}).Count(&n)
	if n != 1 {
		t.Errorf("following a link created a response")
	}
}

func TestInvitationTokensAreLongHashedAndGuessesAreRateLimited(t *testing.T) {
	app := newTestApp(t)
	links := inviteAll(t, app.asResearcher())
	token := strings.TrimPrefix(links["0344"], "/s/"+refSlug+"/uitnodiging/")
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw)*8 < 128 {
		t.Fatalf("token %q: %d bits (%v)", token, len(raw)*8, err)
	}
	var stored int64
	app.db.Read.Model(&models.Invitation{}).Where("token_hash = ? OR sealed LIKE ?", token, "%"+token+"%").Count(&stored)
	if stored != 0 {
		t.Error("the token is stored in the clear")
	}
	if inv, err := models.FindInvitation(app.db.Read, app.survey(), token); err != nil || inv.TokenHash != models.HashToken(token) {
		t.Fatalf("lookup by hash: %v", err)
	}

	guesser := app.newClient()
	for i := 0; i < 20; i++ {
		p := guesser.get(fmt.Sprintf("/s/%s/uitnodiging/geraden-%d", refSlug, i))
		if p.Status != http.StatusNotFound {
			t.Fatalf("guess %d: %d", i, p.Status)
		}
		if i == 0 {
			p.mustContain(t, "Deze uitnodigingslink werkt niet")
		}
	}
	p := guesser.get(fmt.Sprintf("/s/%s/uitnodiging/geraden-%d", refSlug, 21))
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("guess after 20 failures: %d, Retry-After %q", p.Status, p.Header.Get("Retry-After"))
	}
	// Wrong guesses never block a valid link, not even from the guessing address: behind a
	// shared gateway (Gemnet) the guesser and the municipality are one address.
	if p = guesser.get(links["0344"]); p.Status != http.StatusOK {
		t.Fatalf("valid link after 20 failures from the same address: %d", p.Status)
	}
}

func TestInvitationListFromPastedCSV(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	bad := "code;naam;email\n0344;Anna;anna@utrecht.nl\n9999;Piet;piet@example.nl\n0014;Kees;geen-adres\n"
	p := r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {bad}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad list: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Regel 3: Code &#34;9999&#34; staat niet in de gemeentelijst 2018", "Regel 4: &#34;geen-adres&#34; is geen e-mailadres", "anna@utrecht.nl")
	var n int64
	app.db.Read.Model(&models.Invitation{}).Count(&n)
	if n != 0 {
		t.Fatalf("a list with errors made %d links", n)
	}
	good := "\ufeffgemeentecode,contactpersoon,e-mail\r\n344,Anna de Vries,anna@utrecht.nl\r\nGM0014;\"Kees; senior adviseur\";kees@groningen.nl\r\n0003,,\r\n"
	p = r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {good}})
	p.mustContain(t, "3 nieuwe uitnodigingslinks gemaakt, 0 bijgewerkt")
	p.mustContain(t, "Anna de Vries", "kees@groningen.nl", "Appingedam", "geen e-mailadres")
	p = r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0003;Jan;jan@appingedam.nl"}})
	p.mustContain(t, "0 nieuwe uitnodigingslinks gemaakt, 1 bijgewerkt", "jan@appingedam.nl")
	if p = r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"  "}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty list: %d", p.Status)
	}
}

func TestInvitationCSVIsReadyForDutchExcelAndSafe(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0344;=HYPERLINK(\"http://x\");anna@utrecht.nl\n0080;Piet;piet@example.nl"}})
	p := r.get(adminBase + "/uitnodigingen/links.csv")
	if !strings.Contains(p.Header.Get("Content-Disposition"), "uitnodigingen-"+refSlug+".csv") {
		t.Errorf("Content-Disposition %q", p.Header.Get("Content-Disposition"))
	}
	first := strings.SplitN(strings.TrimPrefix(p.Body, "\ufeff"), "\r\n", 2)[0]
	if first != `gemeentecode;gemeente;provincie;contactpersoon;e-mailadres;link;status;taal` {
		t.Errorf("header line %q", first)
	}
	rows := downloadCSV(t, r, adminBase+"/uitnodigingen/links.csv")
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	byCode := map[string][]string{}
	for _, row := range rows[1:] {
		byCode[row[0]] = row
	}
	if got := byCode["0344"][3]; got != `'=HYPERLINK("http://x")` {
		t.Errorf("formula not neutralised: %q", got)
	}
	if got := byCode["0080"]; got[1] != "Leeuwarden" || got[2] != "Fryslân" || got[6] != "nog niet begonnen" || !strings.Contains(got[5], "/s/"+refSlug+"/uitnodiging/") {
		t.Errorf("Leeuwarden row %q", got)
	}
}
