package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"peiling/models"
)

// answerWith fills every step of the reference survey through c, with marker as the text of
// the open answer "uitdaging", ending on the check page.
func answerWith(t *testing.T, c *client, municipality, marker string) *page {
	t.Helper()
	var p *page
	for i, form := range sectionAnswers(municipality) {
		form.Set("actie", "volgende")
		if form.Has("uitdaging") {
			form.Set("uitdaging", marker)
		}
		p = c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
		if p.Status != http.StatusOK {
			t.Fatalf("step %d: %d", i+1, p.Status)
		}
	}
	return p
}

func send(t *testing.T, c *client, check *page) *page {
	t.Helper()
	return c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {check.hidden(t, "inzending")}})
}

// TestSquatThenInviteTakesNothingOver plays the takeover: an attacker starts Utrecht's
// response before the researcher invites Utrecht. The invited respondent gets a response of
// their own, which the attacker can neither read, nor change, nor send; the attacker's draft
// is set aside, also when they try to send it.
func TestSquatThenInviteTakesNothingOver(t *testing.T) {
	app := newTestApp(t)
	attacker := app.newClient()
	attacker.start()
	attacker.post("/s/"+refSlug+"/stap/1", withAction(sectionAnswers("Utrecht")[0], "volgende"))

	links := inviteAll(t, app.asResearcher())
	if got := app.municipalityCodes(models.ResponseSetAside); len(got) != 1 || got[0] != "0344" {
		t.Fatalf("set aside at inviting: %v, want the attacker's Utrecht draft", got)
	}

	utrecht := app.newClient()
	utrecht.get(links["0344"])
	if p := utrecht.post("/s/"+refSlug+"/start", nil); !strings.HasSuffix(p.URL, "/stap/1") {
		t.Fatalf("the invited respondent's start: %s", p.URL)
	}
	check := answerWith(t, utrecht, "Utrecht", "Geheim plan van Utrecht")

	for _, path := range []string{"", "/stap/1", "/stap/5", "/controleren", "/bevestiging", "/later"} {
		p := attacker.get("/s/" + refSlug + path)
		if strings.Contains(p.Body, "Geheim plan van Utrecht") {
			t.Fatalf("the attacker reads the invited respondent's answer on %s", path)
		}
	}
	// The attacker's own draft cannot go on, nor be sent.
	p := attacker.post("/s/"+refSlug+"/stap/2", withAction(sectionAnswers("Utrecht")[1], "volgende"))
	if p.Status != http.StatusConflict {
		t.Errorf("the attacker saves step 2: %d", p.Status)
	}
	p.mustContain(t, "Gemeente Utrecht vult in met een uitnodigingslink")
	// Following the link after the respondent started gets the attacker nowhere either.
	if p = attacker.get(links["0344"]); p.Status != http.StatusConflict || strings.Contains(p.Body, "Geheim plan") {
		t.Errorf("the attacker follows the used link: %d", p.Status)
	}
	if p = send(t, utrecht, check); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("the invited respondent's send: %d at %s", p.Status, p.URL)
	}
	var text string
	app.db.Read.Model(&models.Answer{}).Joins("JOIN responses r ON r.id = answers.response_id").
		Where("r.status = ? AND r.municipality_code = ? AND answers.question = ?", models.ResponseSubmitted, "0344", "uitdaging").
		Pluck("answers.text", &text)
	if text != "Geheim plan van Utrecht" {
		t.Errorf("Utrecht's counted answer is %q", text)
	}
}

// TestAnAnonymousDraftOfAnInvitedMunicipalityCannotBeSent: once a municipality has a link,
// an anonymous respondent who picks it hears at step 1 that the link is the way, without
// learning whether anyone has started or sent.
func TestAnAnonymousDraftOfAnInvitedMunicipalityCannotBeSent(t *testing.T) {
	app := newTestApp(t)
	inviteAll(t, app.asResearcher())
	anon := app.newClient()
	anon.start()
	p := anon.post("/s/"+refSlug+"/stap/1", withAction(sectionAnswers("Zeist")[0], "volgende"))
	if p.Status != http.StatusConflict {
		t.Fatalf("an anonymous draft names an invited municipality: %d", p.Status)
	}
	p.mustContain(t, "Gemeente Zeist heeft een persoonlijke uitnodigingslink", `value="Informatiebeheer"`)
	if n := app.responses(models.ResponseSubmitted); n != 0 {
		t.Fatal("something was sent")
	}
}

// TestInvitationOnlySetsAsideAnonymousDrafts: switching to invitation only stops every draft
// started without a link; its resume link says why and shows nothing.
func TestInvitationOnlySetsAsideAnonymousDrafts(t *testing.T) {
	app := newTestApp(t)
	anon := app.newClient()
	anon.start()
	answerWith(t, anon, "Ede", "Concept van Ede")
	token := regexp.MustCompile(`/hervat/([A-Za-z0-9_-]+)`).FindStringSubmatch(anon.get("/s/" + refSlug + "/later").Body)
	if token == nil {
		t.Fatal("no resume link")
	}
	setAccess(t, app.asResearcher(), models.AccessInvitation)
	if n := app.responses(models.ResponseSetAside); n != 1 {
		t.Fatalf("%d set aside, want the anonymous draft", n)
	}
	other := app.newClient()
	p := other.get("/s/" + refSlug + "/hervat/" + token[1])
	if p.Status != http.StatusConflict || strings.Contains(p.Body, "Concept van Ede") {
		t.Fatalf("the resume link after the switch: %d", p.Status)
	}
	p.mustContain(t, "Deze peiling is nu alleen op uitnodiging", "bewaard")
	if p = send(t, anon, &page{Body: `name="inzending" value="` + models.NewToken() + `"`}); p.Status != http.StatusConflict {
		t.Errorf("sending the set-aside draft: %d", p.Status)
	}
}

// TestResearcherWithEveryLinkReadsNoAnswersDuringFieldwork plays the curious researcher:
// Leiden sends without an invitation and Zeist works through its link; then the researcher
// makes links for the whole register, downloads them and follows Leiden's and Zeist's. No
// page the researcher can reach shows an answer.
func TestResearcherWithEveryLinkReadsNoAnswersDuringFieldwork(t *testing.T) {
	app := newTestApp(t)
	leiden := app.newClient()
	leiden.start()
	if p := send(t, leiden, answerWith(t, leiden, "Leiden", "Antwoord van Leiden geheim-antwoord-leiden")); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("Leiden's send: %s", p.URL)
	}
	r := app.asResearcher()
	links := inviteAll(t, r)
	zeist := app.newClient()
	zeist.get(links["0355"])
	zeist.post("/s/"+refSlug+"/start", nil)
	zeist.post("/s/"+refSlug+"/stap/1", withAction(sectionAnswers("Zeist")[0], "volgende"))
	step2 := sectionAnswers("Zeist")[1]
	step2.Set("kc_concreet", "Concept van Zeist geheim-antwoord-zeist")
	if p := zeist.post("/s/"+refSlug+"/stap/2", withAction(step2, "volgende")); !strings.HasSuffix(p.URL, "/stap/3") {
		t.Fatalf("Zeist's step 2: %d at %s", p.Status, p.URL)
	}

	var stored int64
	app.db.Read.Model(&models.Answer{}).Where("text LIKE ?", "%geheim-antwoord-%").Count(&stored)
	if stored != 2 {
		t.Fatalf("%d marked answers stored, want Leiden's and Zeist's", stored)
	}
	secret := regexp.MustCompile(`geheim-antwoord-(leiden|zeist)`)
	look := func(p *page) {
		t.Helper()
		if secret.MatchString(p.Body) {
			t.Errorf("the researcher reads an answer on %s (%d)", p.URL, p.Status)
		}
	}
	code := map[string]string{"Leiden": "0546", "Zeist": "0355"}
	for _, name := range []string{"Leiden", "Zeist"} {
		look(r.get(links[code[name]]))
		for _, path := range []string{"", "/stap/1", "/stap/2", "/controleren", "/bevestiging", "/later"} {
			look(r.get("/s/" + refSlug + path))
		}
		look(r.post("/s/"+refSlug+"/start", nil))
	}
	for _, path := range []string{"", "/veldwerk", "/concepten", "/uitnodigingen", "/email", "/results", "/export.csv"} {
		look(r.get(adminBase + path))
	}
	look(r.get(adminBase + "/uitnodigingen/links.csv"))
	if n := app.responses(models.ResponseSubmitted); n != 1 {
		t.Errorf("%d submitted, want Leiden's one", n)
	}
}

// TestResearcherDiscardsAndWithdrawsAtTheMunicipalitysRequest: a bound link is reissued only
// after its draft is discarded; a sent response withdrawn stops counting, and the
// municipality answers anew. Both are in the audit log.
func TestResearcherDiscardsAndWithdrawsAtTheMunicipalitysRequest(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	links := inviteAll(t, r)
	app.respondVia(t, links["0003"], "ja", false) // Appingedam's draft, in a browser now lost

	id := invitationID(t, app, "0003")
	r.get(adminBase + "/uitnodigingen")
	p := r.post(fmt.Sprintf("%s/uitnodigingen/%d/vernieuwen", adminBase, id), url.Values{"bevestig": {"ja"}})
	p.mustContain(t, "Laat eerst dat concept vervallen")
	if invitationID(t, app, "0003") != id {
		t.Fatal("the link was reissued while its draft lives")
	}
	p = r.get(adminBase + "/concepten")
	p.mustContain(t, "Appingedam", "1 van 5 stappen", "Laten vervallen")
	var draft models.Response
	app.db.Read.Where("status = ?", models.ResponseDraft).Take(&draft)
	confirm := fmt.Sprintf("%s/concepten/%d/vervallen", adminBase, draft.ID)
	r.get(confirm).mustContain(t, "Concept laten vervallen: Appingedam")
	if p = r.post(confirm, nil); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("discard without confirming: %d", p.Status)
	}
	p.mustContain(t, "Vink aan dat u dit zeker weet")
	r.post(confirm, url.Values{"bevestig": {"ja"}}).mustContain(t, "Het concept is vervallen")
	r.get(adminBase + "/uitnodigingen")
	r.post(fmt.Sprintf("%s/uitnodigingen/%d/vernieuwen", adminBase, id), url.Values{"bevestig": {"ja"}}).mustContain(t, "Nieuwe link voor gemeente Appingedam")
	fresh := linksOf(t, r)["0003"]
	appingedam := app.respondVia(t, fresh, "nee", true)

	// Withdrawn at the municipality's request: no longer counted, answered again afresh.
	var sent models.Response
	app.db.Read.Where("status = ?", models.ResponseSubmitted).Take(&sent)
	withdraw := fmt.Sprintf("%s/concepten/%d/intrekken", adminBase, sent.ID)
	r.get(withdraw).mustContain(t, "Inzending intrekken: Appingedam")
	r.post(withdraw, url.Values{"bevestig": {"ja"}}).mustContain(t, "De inzending is ingetrokken")
	if n := app.responses(models.ResponseSubmitted); n != 0 {
		t.Fatalf("%d submitted after withdrawing", n)
	}
	if p = appingedam.get("/s/" + refSlug + "/bevestiging"); p.Status != http.StatusConflict {
		t.Errorf("the withdrawn response's confirmation: %d", p.Status)
	}
	p.mustContain(t, "Deze inzending is ingetrokken")
	id = invitationID(t, app, "0003")
	r.get(adminBase + "/uitnodigingen")
	r.post(fmt.Sprintf("%s/uitnodigingen/%d/vernieuwen", adminBase, id), url.Values{"bevestig": {"ja"}}).mustContain(t, "Nieuwe link voor gemeente Appingedam")
	app.respondVia(t, linksOf(t, r)["0003"], "ja", true)
	if n := app.responses(models.ResponseSubmitted); n != 1 {
		t.Fatalf("%d submitted after answering anew", n)
	}
	r.get(adminBase).mustContain(t, "Concept laten vervallen: Appingedam", "Inzending ingetrokken: Appingedam")

	// The tallies follow: closing counts exactly the one response sent last.
	r.get(adminBase + "/sluiten")
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	var tallied int64
	app.db.Read.Model(&models.Tally{}).Where("question = ''").Select("COALESCE(SUM(n), 0)").Scan(&tallied)
	if tallied != 1 {
		t.Errorf("the tallies count %d respondents, want 1", tallied)
	}
	r.get(adminBase+"/concepten").mustContain(t, "door u ingetrokken", "door u laten vervallen")
}
