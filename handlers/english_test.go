package handlers

import (
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"peiling/models"
)

// englishAnswers are valid answers for each step of the reference survey, written in English.
func englishAnswers(municipality string) []url.Values {
	return []url.Values{
		{"gemeente": {municipality}, "afdeling": {"anders"}, "afdeling.anders": {"Information management"}, "overleg": {"ja"}},
		{"kc_plannen": {"basis_op_orde"}, "kc_stellingen.meer_samenwerken": {"helemaal_eens"}, "kc_stellingen.bestuur_geen_reden": {"weet_niet"},
			"kc_concreet": {"A chat channel"}},
		{"part_plannen": {"converseren"}, "part_stellingen.belangrijk_moeilijk": {"eens"}, "part_concreet": {"A residents' panel"}},
		{"bnb_plannen": {"online_luisteren"}, "bnb_stellingen.wil_buiten_binnen": {"helemaal_eens"}},
		{"uitdaging": {"The Environment and Planning Act"}},
	}
}

var (
	pageTags    = regexp.MustCompile(`(?s)<script.*?</script>|<style.*?</style>|<[^>]*>`)
	spokenAttrs = regexp.MustCompile(`\s(aria-label|title|placeholder|alt|data-[a-z-]+)="([^"]*)"`)
	// dutchWords are common Dutch words that no English sentence uses; "Peiling" is a name.
	dutchWords = regexp.MustCompile(`(?i)\b(het|een|uw|niet|voor|gemeente|gemeenten|vraag|vragen|antwoord|antwoorden|verder|volgende|vorige|invullen|opslaan|naar|deze|zijn|kunt|wordt|bij|stap|alleen|terug|fout)\b`)
	missingKey = regexp.MustCompile(`\b(common|respond|question|problem|site|error|mail|preview)\.[a-z_]+\.[a-z_.]+`)
)

// readable is what a person reads or hears on a page: its text and its spoken attributes,
// and the messages scripts show (data-* attributes that hold sentences).
func readable(body string) string {
	var b strings.Builder
	for _, m := range spokenAttrs.FindAllStringSubmatch(body, -1) {
		if !strings.HasPrefix(m[1], "data-") || strings.Contains(m[2], " ") {
			b.WriteString(html.UnescapeString(m[2]) + "\n")
		}
	}
	b.WriteString(html.UnescapeString(pageTags.ReplaceAllString(body, " ")))
	return b.String()
}

// checkLanguage fails when the page is not in lang: its <html lang>, a message id left in
// it, and, in English, a Dutch word outside the answers the test itself typed.
func checkLanguage(t *testing.T, p *page, lang string, typed ...string) {
	t.Helper()
	if !strings.Contains(p.Body, `<html lang="`+lang+`">`) {
		t.Errorf("%s (%d): not <html lang=%q>", p.URL, p.Status, lang)
	}
	text := readable(p.Body)
	if m := missingKey.FindString(text); m != "" {
		t.Errorf("%s: shows the message id %s", p.URL, m)
	}
	if lang == "nl" && !dutchWords.MatchString(text) { // the check below would find nothing either
		t.Errorf("%s: a Dutch page without a Dutch word", p.URL)
	}
	if lang != "en" {
		return
	}
	for _, s := range typed {
		text = strings.ReplaceAll(text, s, "")
	}
	if words := dutchWords.FindAllString(text, 5); len(words) > 0 {
		i := strings.Index(text, words[0])
		t.Errorf("%s (%d): Dutch on an English page: %q in …%s…", p.URL, p.Status, words, strings.Join(strings.Fields(text[max(0, i-80):min(len(text), i+80)]), " "))
	}
}

// TestEnglishRespondentAnswersTheReferenceSurvey: an English-speaking respondent answers the
// whole reference survey, with a mistake on the way, without meeting a Dutch word; the
// response records English, with the same codes as a Dutch one.
func TestEnglishRespondentAnswersTheReferenceSurvey(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.get("/s/" + refSlug + "?lang=en")
	p.mustContain(t, "Customer contact and interaction 2018", "It takes about <strong>10 minutes</strong>.", "Start the survey",
		`lang="nl" hreflang="nl">Nederlands</a>`)
	checkLanguage(t, p, "en")
	p = c.post("/s/"+refSlug+"/start", nil)
	p.mustContain(t, "Step 1 of 5", "Which municipality are you answering this survey for?", "Which department do you work in?", "(optional)", "Continue")
	checkLanguage(t, p, "en")

	bad := url.Values{"gemeente": {"Atlantis"}, "afdeling": {"anders"}, "actie": {"volgende"}}
	p = c.post("/s/"+refSlug+"/stap/1", bad)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a wrong answer: %d", p.Status)
	}
	p.mustContain(t, "<title>Error: ", "There is a problem", "We do not know a municipality called Atlantis",
		"You chose ‘Other’. Say what you mean for: Which department do you work in?", `value="Atlantis"`)
	checkLanguage(t, p, "en", "Atlantis")

	typed := []string{"Utrecht", "Information management", "A chat channel", "A residents' panel", "The Environment and Planning Act"}
	for i, form := range englishAnswers("Utrecht") {
		form.Set("actie", "volgende")
		p = c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
		if p.Status != http.StatusOK {
			t.Fatalf("step %d: %d", i+1, p.Status)
		}
		checkLanguage(t, p, "en", typed...)
	}
	p.mustContain(t, "Check your answers", "Other: Information management", "Don’t know / no opinion", "Strongly agree", "Change")
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("send: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "Your answers have been sent", "on behalf of the municipality of <strong>Utrecht</strong>", "We received your answers on ")
	checkLanguage(t, p, "en", typed...)

	var r models.Response
	if err := app.db.Read.Where("status = ?", models.ResponseSubmitted).Take(&r).Error; err != nil {
		t.Fatal(err)
	}
	if r.Lang != "en" {
		t.Errorf("the response records language %q, want en", r.Lang)
	}
	answers, _ := models.AnswersOf(app.db.Read, r.ID)
	codes := map[string]bool{}
	for _, a := range answers {
		codes[a.Question+"/"+a.Item+"/"+a.Option] = true
	}
	for _, want := range []string{"gemeente//0344", "afdeling//anders", "kc_stellingen/bestuur_geen_reden/weet_niet", "bnb_plannen//online_luisteren"} {
		if !codes[want] {
			t.Errorf("answer %s not stored by its code", want)
		}
	}
}

// TestEveryRespondentPageInBothLanguages renders each respondent page in Dutch and in English
// through the real app: the right <html lang>, no message id, and in English no Dutch word.
func TestEveryRespondentPageInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	app.importCopyAs(t, "gesloten-2018", models.StatusClosed)
	only := app.importCopyAs(t, "uitnodiging-2018", models.StatusOpen)
	if err := models.SetAccessMode(app.db.Write, only.ID, models.AccessInvitation, models.Actor{}, only.CreatedAt); err != nil {
		t.Fatal(err)
	}
	typed := []string{"Utrecht", "Zeist", "Information management", "A chat channel", "A residents' panel", "The Environment and Planning Act", "Atlantis"}
	for lang, municipality := range map[string]string{"nl": "Zeist", "en": "Utrecht"} {
		t.Run(lang, func(t *testing.T) {
			c := app.newClient()
			c.get("/?lang=" + lang)
			visit := func(p *page, status int) {
				t.Helper()
				if p.Status != status {
					t.Errorf("%s: status %d, want %d", p.URL, p.Status, status)
				}
				checkLanguage(t, p, lang, typed...)
			}
			for _, path := range []string{"/", "/privacy", "/toegankelijkheid", "/contact", "/s/" + refSlug} {
				visit(c.get(path), http.StatusOK)
			}
			visit(c.get("/bestaat-niet"), http.StatusNotFound)
			visit(c.get("/s/gesloten-2018"), http.StatusGone)
			visit(c.get("/s/uitnodiging-2018"), http.StatusForbidden)
			visit(c.post("/s/uitnodiging-2018/start", nil), http.StatusForbidden)
			visit(c.get("/s/"+refSlug+"/hervat/"+strings.Repeat("x", 43)), http.StatusNotFound)
			visit(c.get("/s/"+refSlug+"/uitnodiging/"+strings.Repeat("x", 43)), http.StatusNotFound)
			visit(c.post("/s/"+refSlug+"/start", nil), http.StatusOK)
			visit(c.post("/s/"+refSlug+"/stap/1", url.Values{"gemeente": {"Atlantis"}, "actie": {"volgende"}}), http.StatusUnprocessableEntity)
			form := englishAnswers(municipality)[0]
			form.Set("actie", "later")
			visit(c.post("/s/"+refSlug+"/stap/1", form), http.StatusOK) // the resume link page
			visit(c.get("/s/"+refSlug), http.StatusOK)                  // "you have already started"
			for i, form := range englishAnswers(municipality) {
				form.Set("actie", "volgende")
				visit(c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form), http.StatusOK)
			}
			p := c.last
			visit(c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}}), http.StatusOK)
			visit(c.get("/s/"+refSlug), http.StatusOK) // "you have already answered"
			visit(c.postRaw("/s/"+refSlug+"/verzenden", "inzending=x"), http.StatusForbidden)
		})
	}
}

// importCopyAs imports the reference survey under another slug with a status.
func (a *testApp) importCopyAs(t *testing.T, slug, status string) *models.Survey {
	t.Helper()
	ref, _ := models.ReferenceSurvey()
	def, err := models.ParseDefinition("copy.yaml", []byte(strings.Replace(string(ref), "slug: "+refSlug, "slug: "+slug, 1)))
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.ImportSurvey(a.db.Write, def, status)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestADutchOnlySurveyOnAnEnglishPageIsMarkedDutch: the survey's own texts keep lang="nl"
// when the survey has no English, while the page around them is English.
func TestADutchOnlySurveyOnAnEnglishPageIsMarkedDutch(t *testing.T) {
	app := newTestApp(t)
	src := `slug: alleen-nl
title: Alleen in het Nederlands
register: "2018"
sections:
  - title: Over u
    questions:
      - {code: gemeente, kind: municipality, text: "Voor welke gemeente vult u dit in?", required: true}
      - code: kanaal
        kind: single
        text: "Welk kanaal?"
        options: [{code: balie, label: Balie}, {code: web, label: Website}]
`
	def, err := models.ParseDefinition("nl.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen); err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	p := c.get("/s/alleen-nl?lang=en")
	p.mustContain(t, `<html lang="en">`, `<h1 lang="nl">Alleen in het Nederlands</h1>`, "Start the survey")
	c.get("/").mustContain(t, `href="/s/alleen-nl" lang="nl">Alleen in het Nederlands</a>`, `href="/s/klantcontact-2018">Customer contact and interaction 2018</a>`)
	c.post("/s/alleen-nl/start", nil).mustContain(t, `lang="nl">Welk kanaal?`, `lang="nl">Balie</label>`, "Go to the summary")
}

// TestAPartlyTranslatedSurveyMarksEachDutchText: a survey that gives English for some texts
// only shows the others in Dutch, each marked lang="nl", and the translated ones unmarked, on
// the start page, a section and the check page.
func TestAPartlyTranslatedSurveyMarksEachDutchText(t *testing.T) {
	app := newTestApp(t)
	src := `slug: deels-en
title: {nl: Deels vertaald, en: Partly translated}
intro: Alleen in het Nederlands.
register: "2018"
sections:
  - title: {nl: Over u, en: About you}
    intro: Een inleiding zonder vertaling.
    questions:
      - {code: gemeente, kind: municipality, text: {nl: "Voor welke gemeente vult u dit in?", en: "Which municipality are you answering for?"}, required: true}
      - code: kanaal
        kind: single
        text: "Welk kanaal?"
        help: {nl: "Kies er één.", en: "Choose one."}
        options: [{code: balie, label: {nl: Balie, en: Desk}}, {code: web, label: Website}]
`
	def, err := models.ParseDefinition("deels.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen); err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	c.get("/s/deels-en?lang=en").mustContain(t, `<html lang="en">`, `<h1>Partly translated</h1>`, `<p lang="nl">Alleen in het Nederlands.</p>`)
	p := c.post("/s/deels-en/start", nil)
	p.mustContain(t, `<span>About you</span>`, `<p class="lead" lang="nl">Een inleiding zonder vertaling.</p>`,
		`<span>Which municipality are you answering for?</span>`, `<span lang="nl">Welk kanaal?</span>`,
		`>Choose one.</p>`, `>Desk</label>`, `lang="nl">Website</label>`)
	for _, wrong := range []string{`lang="nl">About you`, `lang="nl">Desk`, `lang="nl">Choose one.`, `lang="nl">Which municipality`} {
		if strings.Contains(p.Body, wrong) {
			t.Errorf("an English text marked Dutch: %s", wrong)
		}
	}
	p = c.post("/s/deels-en/stap/1", url.Values{"gemeente": {"Zeist"}, "kanaal": {"web"}, "actie": {"volgende"}})
	p.mustContain(t, `<h2 class="summary-section__title">About you</h2>`, `<dt class="summary-list__key" lang="nl">Welk kanaal?</dt>`,
		`<dt class="summary-list__key">Which municipality are you answering for?</dt>`)
}

// TestEditingTheDutchKeepsTheEnglish: the editor shows the Dutch; changing it leaves the
// question's English as it was.
func TestEditingTheDutchKeepsTheEnglish(t *testing.T) {
	app := newTestApp(t)
	app.importCopyAs(t, "bewerken-2018", models.StatusDraft)
	c := app.asResearcher()
	p := c.post("/admin/surveys/bewerken-2018/editor/vragen/kc_concreet", url.Values{"tekst": {"Wat gaat u concreet doen?"}, "code": {"kc_concreet"}})
	if p.Status != http.StatusOK {
		t.Fatalf("save: %d", p.Status)
	}
	def := app.definition("bewerken-2018")
	_, q := findQuestion(t, def, "kc_concreet")
	if q.Text != "Wat gaat u concreet doen?" {
		t.Errorf("the Dutch was not saved: %q", q.Text)
	}
	_, en := findQuestion(t, def.In("en"), "kc_concreet")
	if en.Text != "What specifically will your municipality work on in customer contact in 2018?" {
		t.Errorf("the English was lost: %q", en.Text)
	}
}

func findQuestion(t *testing.T, def *models.Definition, code string) (int, *models.Question) {
	t.Helper()
	for i, q := range def.Questions() {
		if q.Code == code {
			return i, q
		}
	}
	t.Fatalf("no question %s", code)
	return 0, nil
}

// TestAnInvitationInEnglish: a contact listed with "en" gets English pages when the browser
// names no language of ours, the browser's language otherwise.
func TestAnInvitationInEnglish(t *testing.T) {
	app := newTestApp(t)
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	reg := app.register(refSlug)
	contacts, problems := models.ReadContacts(strings.NewReader("0344;Anna;anna@utrecht.nl;en\n0363;Bert;bert@amsterdam.nl\n"), reg)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if _, _, err := models.Invite(app.db.Write, s, app.h.links, contacts, models.Actor{}, s.CreatedAt); err != nil {
		t.Fatal(err)
	}
	var invs []models.Invitation
	app.db.Read.Order("municipality_code").Find(&invs)
	if len(invs) != 2 || invs[0].Lang != "en" || invs[1].Lang != "nl" {
		t.Fatalf("invitations: %+v", invs)
	}
	r := app.asResearcher()
	rows := downloadCSV(t, r, adminBase+"/uitnodigingen/links.csv")
	if head := rows[0]; head[len(head)-1] != "taal" || rows[1][len(head)-1] != "en" || rows[2][len(head)-1] != "nl" {
		t.Errorf("the links for a mail merge: %q", rows)
	}
	token, err := app.h.links.Token(&invs[0])
	if err != nil {
		t.Fatal(err)
	}
	link := "/s/" + refSlug + "/uitnodiging/" + token
	for _, tc := range []struct{ accept, want string }{{"", "en"}, {"de-DE", "en"}, {"nl-NL", "nl"}} {
		c := app.newClient()
		req, _ := http.NewRequest(http.MethodGet, app.srv.URL+link, nil)
		if tc.accept != "" {
			req.Header.Set("Accept-Language", tc.accept)
		}
		if p := c.do(req); !strings.Contains(p.Body, `<html lang="`+tc.want+`">`) {
			t.Errorf("Accept-Language %q: want %s; page starts %.60q", tc.accept, tc.want, p.Body)
		}
	}
	run := &models.MailRun{Kind: models.MailInvitation, Subject: "Uitnodiging: {{peiling}}", Body: "Beste {{naam}}, {{link}}"}
	ts, err := models.MailTemplates(app.db.Read, s.ID, app.h.mailDefaults)
	if err != nil {
		t.Fatal(err)
	}
	run.SetTexts(ts)
	for _, tc := range []struct {
		inv           models.Invitation
		subject, body string
	}{
		{invs[0], "Invitation: Customer contact and interaction 2018", "Dear Anna,"},
		{invs[1], "Uitnodiging: Klantcontact en interactie 2018", "Beste Bert,"},
	} {
		m, problem := app.h.composeMail(&models.QueuedMail{Survey: *s, Invitation: tc.inv, Run: *run, Message: models.MailMessage{Email: tc.inv.Email, ContactName: tc.inv.ContactName}})
		if problem != "" || m.Subject != tc.subject || !strings.HasPrefix(m.Body, tc.body) {
			t.Errorf("mail to %s: %q, %q (%s)", tc.inv.Email, m.Subject, m.Body, problem)
		}
	}
}

// TestExportsInBothLanguages: the raw export says which language each response was given in,
// with the same codes, and a codebook downloaded in English has the English questions.
func TestExportsInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	nl, en := app.newClient(), app.newClient()
	nl.start()
	nl.fillAll("Zeist")
	nl.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {nl.last.hidden(t, "inzending")}})
	en.get("/?lang=en")
	en.start()
	for i, form := range englishAnswers("Utrecht") {
		form.Set("actie", "volgende")
		en.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
	}
	en.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {en.last.hidden(t, "inzending")}})
	app.setStatus(refSlug, models.StatusClosed)
	r := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/export/"
	rows := readRows(t, r.get(base+"antwoorden.csv").Body, ',')
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	langs := map[string]string{}
	for _, row := range rows[1:] {
		langs[row[col["gemeente"]]] = row[col["taal"]] + " " + row[col["afdeling"]] + " " + row[col["kc_plannen_basis_op_orde"]]
	}
	if langs["0355"] != "nl anders 1" || langs["0344"] != "en anders 1" {
		t.Errorf("language and codes per response: %v", langs)
	}
	r.get("/admin?lang=en")
	book := r.get(base + "codeboek.csv").Body
	if !strings.Contains(book, "Which department do you work in?") || strings.Contains(book, "Voor welke afdeling werkt u?") {
		t.Errorf("the English codebook has no English questions:\n%.400s", book)
	}
	r.get("/admin?lang=nl")
	if book := r.get(base + "codeboek.csv").Body; !strings.Contains(book, "Voor welke afdeling werkt u?") {
		t.Errorf("the Dutch codebook has no Dutch questions:\n%.400s", book)
	}
}

func readRows(t *testing.T, body string, sep rune) [][]string {
	t.Helper()
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	cr.Comma = sep
	rows, err := cr.ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("csv: %v (%d rows)\n%.300s", err, len(rows), body)
	}
	return rows
}

// TestTheReportPerMunicipalityInEnglish: the report a municipality opens after closing,
// in English: the survey's English texts and English figures.
func TestTheReportPerMunicipalityInEnglish(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	links := inviteAll(t, r)
	utrecht := app.respondVia(t, links["0344"], "ja", true)
	app.respondVia(t, links["0014"], "ja", true)
	app.respondVia(t, links["0003"], "nee", true)
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	r.post(adminBase+"/rapport-per-gemeente", url.Values{"rapport": {"aan"}, "bevestig": {"ja"}})
	p := utrecht.get(benchmarkURL(refSlug, "0344") + "?lang=en")
	if p.Status != http.StatusOK {
		t.Fatalf("report: %d", p.Status)
	}
	p.mustContain(t, "Report for the municipality of Utrecht", "all 3 municipalities that took part",
		`<tr class="bench-table__mine"><th scope="row">Yes</th><td><strong>your answer</strong></td><td>67% (2)</td></tr>`,
		"Did you consult colleagues in other departments before answering?", "Your municipality has 100,000 inhabitants or more.")
	var typed []string
	for _, form := range sectionAnswers("Utrecht") {
		for _, vs := range form {
			for _, v := range vs {
				typed = append(typed, strings.ReplaceAll(v, "\r\n", "\n"))
			}
		}
	}
	checkLanguage(t, p, "en", typed...)
}

// TestSiteTextsPerLanguage: an installation's own footer text in English where it has one,
// else its Dutch text marked as Dutch.
func TestSiteTextsPerLanguage(t *testing.T) {
	app := newTestApp(t, func(c *Config) {
		c.SiteTexts = map[string]string{"privacy": "Onze eigen privacytekst.", "contact": "Bel ons.", "contact.en": "Call us."}
	})
	c := app.newClient()
	c.get("/contact?lang=en").mustContain(t, "<p>Call us.</p>")
	c.get("/privacy").mustContain(t, `<div lang="nl"><p>Onze eigen privacytekst.</p></div>`, `<html lang="en">`)
	c.get("/contact?lang=nl").mustContain(t, "<p>Bel ons.</p>")
	if names := SiteTextNames(); !slices.Contains(names, "privacy.en") || !slices.Contains(names, "toegankelijkheid") {
		t.Errorf("site text files %v", names)
	}
}
