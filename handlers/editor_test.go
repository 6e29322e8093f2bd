package handlers

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

const editorSlug = "dienstverlening-2027"

// editorBase is the editor of the survey made by newDraft.
const editorBase = "/admin/surveys/" + editorSlug + "/editor"

// newDraft makes an empty survey through the form, as a researcher would.
func newDraft(t *testing.T, c *client) *page {
	t.Helper()
	c.get("/admin/surveys/new")
	p := c.post("/admin/surveys/new", url.Values{"titel": {"Dienstverlening 2027"}, "register": {"2025"}})
	if p.Status != http.StatusOK || p.URL != editorBase {
		t.Fatalf("create: %d at %s: %s", p.Status, p.URL, p.Body)
	}
	return p
}

// definition reads the stored definition of slug.
func (a *testApp) definition(slug string) *models.Definition {
	a.t.Helper()
	s, err := models.FindSurvey(a.db.Read, slug)
	if err != nil {
		a.t.Fatal(err)
	}
	def, err := s.Def()
	if err != nil {
		a.t.Fatal(err)
	}
	return def
}

// register is the list of municipalities survey slug is answered for.
func (a *testApp) register(slug string) *models.Register {
	a.t.Helper()
	s, err := models.FindSurvey(a.db.Read, slug)
	if err != nil {
		a.t.Fatal(err)
	}
	reg, err := a.h.registers.Get(a.db.Read, s.Register)
	if err != nil {
		a.t.Fatal(err)
	}
	return reg
}

func codes(def *models.Definition) string {
	var out []string
	for _, s := range def.Sections {
		var qs []string
		for _, q := range s.Questions {
			qs = append(qs, q.Code)
		}
		out = append(out, strings.Join(qs, ","))
	}
	return strings.Join(out, " | ")
}

// addQuestion opens the new-question form of section n for kind and sends form.
func (c *client) addQuestion(n, kind string, form url.Values) *page {
	c.t.Helper()
	c.get(editorBase + "/secties/" + n + "/nieuw?soort=" + kind)
	form.Set("soort", kind)
	return c.post(editorBase+"/secties/"+n+"/nieuw", form)
}

func TestEditorBuildsASurveyWithEveryKindOfQuestion(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c).mustContain(t, "De peiling is gemaakt", "Sectie 1: Over uw gemeente", "Voor welke gemeente vult u deze peiling in?")

	steps := []struct {
		kind string
		form url.Values
	}{
		{models.KindSingle, url.Values{"tekst": {"Heeft uw gemeente een KCC?"}, "verplicht": {"ja"},
			"optie-tekst": {"Ja", "Nee", ""}, "optie-code": {"", "", ""}, "weetniet": {"ja"}}},
		{models.KindMulti, url.Values{"tekst": {"Via welke kanalen komen inwoners binnen?"}, "code": {"kanalen"},
			"optie-tekst": {"Balie", "Telefoon", "E-mail"}, "optie-code": {"", "tel", ""}, "anders": {"ja"}, "anders-tekst": {"Anders, namelijk"}}},
		{models.KindLikert, url.Values{"tekst": {"In hoeverre bent u het eens?"}, "schaal": {"eens5"}, "verplicht": {"ja"},
			"stelling-tekst": {"We sturen op kanaalkeuze.", "Inwoners zijn tevreden."}, "stelling-code": {"", ""}}},
		{models.KindText, url.Values{"tekst": {"Wat is uw grootste uitdaging?"}, "hulp": {"Een paar zinnen is genoeg."}, "maxlengte": {"500"}}},
		{models.KindNumber, url.Values{"tekst": {"Hoeveel fte heeft uw KCC?"}, "min": {"0"}, "max": {"2000,5"}, "eenheid": {"fte"}}},
	}
	for _, s := range steps {
		p := c.addQuestion("1", s.kind, s.form)
		if p.Status != http.StatusOK || p.URL != editorBase {
			t.Fatalf("add %s: %d at %s: %s", s.kind, p.Status, p.URL, p.Body)
		}
	}
	def := app.definition(editorSlug)
	if got, want := codes(def), "gemeente,heeft_uw_gemeente_een_kcc,kanalen,in_hoeverre_bent_u_het_eens,wat_is_uw_grootste_uitdaging,hoeveel_fte_heeft_uw_kcc"; got != want {
		t.Fatalf("codes: got %s, want %s", got, want)
	}
	qs := def.Questions()
	if o := qs[1].Options; len(o) != 2 || o[0].Code != "ja" || o[1].Code != "nee" || !qs[1].DontKnow || !qs[1].Required {
		t.Errorf("single: %+v", qs[1])
	}
	if o := qs[2].Options; len(o) != 4 || o[1].Code != "tel" || o[2].Code != "e_mail" || !o[3].Other || qs[2].Required {
		t.Errorf("multi: %+v", o)
	}
	if qs[3].Scale != "eens5" || len(def.Scales["eens5"]) != 5 || qs[3].Statements[0].Code != "we_sturen_op_kanaalkeuze" {
		t.Errorf("likert: %+v", qs[3])
	}
	if qs[4].MaxLength != 500 || qs[4].Help == "" || *qs[5].Max != 2000.5 || qs[5].Unit != "fte" {
		t.Errorf("text and number: %+v %+v", qs[4], qs[5])
	}

	// Edit a question: its form shows it as stored, and a change is kept.
	c.get(editorBase+"/vragen/kanalen").mustContain(t, `value="Balie"`, `value="tel"`, `name="anders" value="ja" checked`)
	p := c.post(editorBase+"/vragen/kanalen", url.Values{"tekst": {"Via welke kanalen?"}, "code": {"kanalen"},
		"optie-tekst": {"Balie", "Telefoon", "E-mail", "Chat"}, "optie-code": {"balie", "tel", "e_mail", ""}, "anders": {"ja"},
		"anders-code": {"anders"}, "anders-tekst": {"Anders, namelijk"}})
	if p.Status != http.StatusOK || p.URL != editorBase {
		t.Fatalf("edit: %d at %s", p.Status, p.URL)
	}
	if o := app.definition(editorSlug).Questions()[2].Options; len(o) != 5 || o[3].Code != "chat" || o[4].Code != "anders" {
		t.Errorf("after edit: %+v", o)
	}

	// The survey's facts, shown to respondents.
	c.get(editorBase)
	p = c.post(editorBase+"/gegevens", url.Values{"titel": {"Dienstverlening 2027"}, "organisatie": {"VNG"},
		"intro": {"Welkom."}, "privacy": {"Wij delen niets."}, "minuten": {""}, "contact-naam": {"Anna de Vries"},
		"contact-email": {"anna@example.nl"}, "contact-telefoon": {"030 123 45 67"}, "register": {"2025"}})
	if p.Status != http.StatusOK {
		t.Fatalf("facts: %d: %s", p.Status, p.Body)
	}
	def = app.definition(editorSlug)
	if def.Contact.Email != "anna@example.nl" || def.Organisation != "VNG" || def.Minutes != 0 {
		t.Errorf("facts: %+v", def)
	}
	p.mustContain(t, "Berekend uit de vragen: ongeveer 3 minuten")
	c.get("/admin/surveys/"+editorSlug).mustContain(t, "Peiling gemaakt", "Vragen of gegevens gewijzigd")
}

func TestEditorReordersQuestionsAndSections(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	for _, text := range []string{"Eerste vraag", "Tweede vraag"} {
		c.addQuestion("1", models.KindText, url.Values{"tekst": {text}})
	}
	c.get(editorBase)
	c.post(editorBase+"/secties", url.Values{"nieuwe-sectie-titel": {"Kanalen"}}).mustContain(t, "Titel van de nieuwe sectie", `value="Kanalen"`)
	if p := c.addQuestion("2", models.KindText, url.Values{"tekst": {"Derde vraag"}, "sectie-titel": {"Kanalen"}}); p.URL != editorBase {
		t.Fatalf("first question of a new section: %d at %s: %s", p.Status, p.URL, p.Body)
	}
	if got := codes(app.definition(editorSlug)); got != "gemeente,eerste_vraag,tweede_vraag | derde_vraag" {
		t.Fatalf("before: %s", got)
	}
	moves := []struct {
		path, dir, want string
	}{
		{"/vragen/tweede_vraag/verplaats", "omhoog", "gemeente,tweede_vraag,eerste_vraag | derde_vraag"},
		{"/vragen/eerste_vraag/verplaats", "omlaag", "gemeente,tweede_vraag | eerste_vraag,derde_vraag"},
		{"/vragen/derde_vraag/verplaats", "omhoog", "gemeente,tweede_vraag | derde_vraag,eerste_vraag"},
		{"/secties/2/verplaats", "omhoog", "derde_vraag,eerste_vraag | gemeente,tweede_vraag"},
	}
	for i, m := range moves {
		c.get(editorBase)
		p := c.post(editorBase+m.path, url.Values{"richting": {m.dir}})
		got := codes(app.definition(editorSlug))
		if i < 3 && (p.Status != http.StatusOK || got != m.want) {
			t.Fatalf("%s %s: %d, %s, want %s", m.path, m.dir, p.Status, got, m.want)
		}
		if i == 3 { // the municipality question must stay first: refused, nothing changed
			if p.Status != http.StatusUnprocessableEntity || got != moves[2].want {
				t.Fatalf("moving the municipality away: %d, %s", p.Status, got)
			}
			p.mustContain(t, "Er is een probleem", "e eerste vraag moet de verplichte gemeentevraag")
		}
	}
	// A script drops a question at a place: the same rules.
	c.get(editorBase)
	c.post(editorBase+"/vragen/eerste_vraag/verplaats", url.Values{"sectie": {"1"}, "positie": {"2"}})
	if got := codes(app.definition(editorSlug)); got != "gemeente,eerste_vraag,tweede_vraag | derde_vraag" {
		t.Fatalf("after the drop: %s", got)
	}
	c.get(editorBase)
	c.post(editorBase+"/vragen/tweede_vraag/verwijder", nil)
	c.get(editorBase)
	c.post(editorBase+"/secties/2/verwijder", nil)
	if got := codes(app.definition(editorSlug)); got != "gemeente,eerste_vraag" {
		t.Fatalf("after removing: %s", got)
	}
}

func TestEditorShowsProblemsBesideTheFieldAndKeepsTheInput(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	c.get("/admin/surveys/new")
	p := c.post("/admin/surveys/new", url.Values{"titel": {""}, "adres": {"Niet Goed!"}, "register": {"2025"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty title: %d", p.Status)
	}
	p.mustContain(t, "Er is een probleem", `href="#titel"`, "Vul titel in", `value="Niet Goed!"`)
	p = c.post("/admin/surveys/new", url.Values{"titel": {"Goed"}, "adres": {"Niet Goed!"}, "register": {"2025"}})
	p.mustContain(t, `href="#adres"`, "geen geldige slug", `id="adres-error"`)
	p = c.post("/admin/surveys/new", url.Values{"titel": {"Peiling"}, "adres": {refSlug}, "register": {"2025"}})
	p.mustContain(t, "r is al een peiling met het adres")

	newDraft(t, c)
	cases := []struct {
		name, kind string
		form       url.Values
		field      string
		want       string
	}{
		{"one option", models.KindSingle, url.Values{"tekst": {"Vraag"}, "optie-tekst": {"Alleen"}}, "optie-tekst-0", "minstens twee opties"},
		{"bad code", models.KindText, url.Values{"tekst": {"Vraag"}, "code": {"1 fout"}}, "code", "geen geldige code"},
		{"taken code", models.KindText, url.Values{"tekst": {"Vraag"}, "code": {"gemeente"}}, "code", "staat ook al bij"},
		{"same option twice", models.KindMulti, url.Values{"tekst": {"Vraag"}, "optie-tekst": {"A", "B"}, "optie-code": {"x", "x"}}, "optie-code-1", "komt twee keer voor"},
		{"no statement", models.KindLikert, url.Values{"tekst": {"Vraag"}, "schaal": {"eens5"}}, "stelling-tekst-0", "minstens één stelling"},
		{"min above max", models.KindNumber, url.Values{"tekst": {"Vraag"}, "min": {"10"}, "max": {"2"}}, "min", "in is groter dan max"},
		{"not a number", models.KindNumber, url.Values{"tekst": {"Vraag"}, "min": {"tien"}}, "min", "ul een getal in"},
		{"no text", models.KindText, url.Values{"tekst": {""}, "hulp": {"Getypte hulp"}}, "tekst", "ul de vraag in"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := c.addQuestion("1", tc.kind, tc.form)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", p.Status)
			}
			p.mustContain(t, "Er is een probleem", `href="#`+tc.field+`"`, `id="`+tc.field+`-error"`, tc.want)
			for _, v := range tc.form {
				if v[0] != "" {
					p.mustContain(t, v[0])
				}
			}
		})
	}
	if got := codes(app.definition(editorSlug)); got != "gemeente" {
		t.Errorf("a refused change was stored: %s", got)
	}
	c.get(editorBase)
	p = c.post(editorBase+"/gegevens", url.Values{"titel": {"Dienstverlening 2027"}, "contact-email": {"geen adres"}, "register": {"2025"}, "minuten": {"twee"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("facts: %d", p.Status)
	}
	p.mustContain(t, `href="#contact-email"`, "e-mailadres", `value="geen adres"`)
}

// TestEditorAfterOpeningFollowsTheVersionRules: on an open survey a corrected text is fixed in
// place and audited with before and after; moving a question makes version 2, which only
// respondents who start after it get; a closed survey takes texts only.
func TestEditorAfterOpeningFollowsTheVersionRules(t *testing.T) {
	app := newTestApp(t)
	early := app.newClient()
	early.start()
	c := app.asResearcher()
	c.get("/admin/surveys/"+refSlug+"/editor").mustContain(t, "staat op versie 1", "Een tekstverbetering")
	p := c.get("/admin/surveys/" + refSlug + "/editor/vragen/overleg")
	p.mustContain(t, "De peiling is al geopend")
	form := url.Values{"tekst": {"Heeft u voor het invullen overlegd met collega’s van andere afdelingen (gecorrigeerd)?"},
		"code": {"overleg"}, "optie-tekst": {"Ja", "Nee"}, "optie-code": {"ja", "nee"}}
	p = c.post("/admin/surveys/"+refSlug+"/editor/vragen/overleg", form)
	p.mustContain(t, "De tekstverbetering geldt meteen voor iedereen")
	if s := app.survey(); s.Version != 1 {
		t.Fatalf("a text correction made version %d", s.Version)
	}
	c.get("/admin/surveys/"+refSlug).mustContain(t, "(gecorrigeerd)")

	before := codes(app.definition(refSlug))
	c.get("/admin/surveys/" + refSlug + "/editor")
	p = c.post("/admin/surveys/"+refSlug+"/editor/vragen/overleg/verplaats", url.Values{"richting": {"omhoog"}})
	p.mustContain(t, "Dit is versie 2 van de vragenlijst")
	if s := app.survey(); s.Version != 2 || codes(app.definition(refSlug)) == before {
		t.Fatalf("moving a question: version %d", s.Version)
	}
	// The respondent who had started keeps version 1's order; a newcomer gets version 2's.
	var r models.Response
	app.db.Read.Where("status = ?", models.ResponseDraft).Take(&r)
	if r.Version != 1 {
		t.Errorf("the early draft is on version %d", r.Version)
	}

	app.setStatus(refSlug, models.StatusClosed)
	c.get("/admin/surveys/" + refSlug + "/editor")
	p = c.post("/admin/surveys/"+refSlug+"/editor/vragen/overleg/verplaats", url.Values{"richting": {"omlaag"}})
	if p.Status != http.StatusUnprocessableEntity && p.Status != http.StatusConflict || app.survey().Version != 2 {
		t.Errorf("a structural change after closing: %d, version %d", p.Status, app.survey().Version)
	}
}

func TestDuplicateAsNextWaveKeepsTheCodesAndLinksThePredecessor(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	c.get("/admin/surveys/new?vorige="+refSlug).mustContain(t, "Herhalen als nieuwe ronde", `<option value="`+refSlug+`" selected>`)
	p := c.post("/admin/surveys/new/golf", url.Values{"golf-vorige": {refSlug}, "golf-titel": {"Klantcontact en interactie 2019"}, "golf-register": {"2017"}})
	if p.Status != http.StatusOK || p.URL != "/admin/surveys/klantcontact-en-interactie-2019/editor" {
		t.Fatalf("wave: %d at %s: %s", p.Status, p.URL, p.Body)
	}
	p.mustContain(t, "als vervolg op Klantcontact en interactie 2018", "Nieuwe ronde van <a href=\"/admin/surveys/"+refSlug+"\">")
	wave, err := models.FindSurvey(app.db.Read, "klantcontact-en-interactie-2019")
	if err != nil {
		t.Fatal(err)
	}
	old := app.survey()
	if wave.PredecessorID == nil || *wave.PredecessorID != old.ID || wave.Status != models.StatusDraft || wave.Register != "2017" {
		t.Errorf("wave: %+v", wave)
	}
	if a, b := codes(app.definition(refSlug)), codes(app.definition(wave.Slug)); a != b {
		t.Errorf("codes differ:\n%s\n%s", a, b)
	}
}

// upload sends a definition file as the form on /admin/surveys/new does.
func (c *client) upload(name, content string) *page {
	c.t.Helper()
	c.get("/admin/surveys/new")
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", c.last.hidden(c.t, "_csrf"))
	fw, _ := w.CreateFormFile("bestand", name)
	_, _ = fw.Write([]byte(content))
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, c.app.srv.URL+"/admin/surveys/new/bestand", &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.do(req)
}

func TestUploadedDefinitionWithAnErrorNamesTheLine(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	ref, _ := models.ReferenceSurvey()
	broken := strings.Replace(string(ref), "kind: multi", "kind: grid", 1)
	p := c.upload("kapot.yaml", broken)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("broken file: %d", p.Status)
	}
	p.mustContain(t, "Er is een probleem", `href="#bestand"`, "kapot.yaml:", `&#34;grid&#34; is geen geldige waarde`)
	good := strings.Replace(string(ref), "slug: klantcontact-2018", "slug: uit-bestand", 1)
	p = c.upload("goed.yaml", good)
	if p.Status != http.StatusOK || p.URL != "/admin/surveys/uit-bestand/editor" {
		t.Fatalf("good file: %d at %s", p.Status, p.URL)
	}
	if s, _ := models.FindSurvey(app.db.Read, "uit-bestand"); s.Status != models.StatusDraft {
		t.Errorf("uploaded survey is %s", s.Status)
	}
}

func TestRespondentPagesShowTheContactClosingDateAndEstimate(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	c.addQuestion("1", models.KindText, url.Values{"tekst": {"Wat wilt u verbeteren?"}})
	c.get(editorBase)
	c.post(editorBase+"/gegevens", url.Values{"titel": {"Dienstverlening 2027"}, "organisatie": {"VNG"}, "contact-naam": {"Anna de Vries"},
		"contact-email": {"anna@example.nl"}, "contact-telefoon": {"030 123 45 67"}, "register": {"2025"}})
	s, _ := models.FindSurvey(app.db.Read, editorSlug)
	if err := models.OpenSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	closes := time.Date(time.Now().Year()+1, 12, 16, 0, 0, 0, 0, amsterdam)
	if err := models.SetClosingTime(app.db.Write, s.ID, &closes, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	app.h.surveys.forget()
	r := app.newClient()
	contact := []string{"Vragen over deze peiling?", "Anna de Vries (VNG)", `href="mailto:anna@example.nl"`, "030 123 45 67"}
	r.get("/s/"+editorSlug).mustContain(t, append(contact, "Invullen kan tot en met <strong>15 december</strong>", "Invullen duurt ongeveer <strong>2 minuten</strong>")...)
	r.post("/s/"+editorSlug+"/start", nil)
	r.post("/s/"+editorSlug+"/stap/1", url.Values{"gemeente": {"Ede"}, "wat_wilt_u_verbeteren": {"Alles"}, "actie": {"volgende"}})
	p := r.post("/s/"+editorSlug+"/verzenden", url.Values{"inzending": {r.last.hidden(t, "inzending")}})
	p.mustContain(t, append(contact, "Uw antwoorden zijn verzonden")...)
	r.get("/s/"+editorSlug).mustContain(t, append(contact, "U heeft deze peiling al ingevuld")...)
	app.setStatus(editorSlug, models.StatusClosed)
	if p := r.get("/s/" + editorSlug); p.Status != http.StatusGone {
		t.Errorf("closed: %d", p.Status)
	}
	r.last.mustContain(t, append(contact, "Deze peiling is gesloten")...)
}

func TestEditorSectionTextProblemsStayBesideTheSection(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	p := c.post(editorBase+"/secties/1", url.Values{"titel": {""}, "intro": {"Getypte introductie"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty section title: %d", p.Status)
	}
	p.mustContain(t, `href="#sectie-1-titel"`, "Sectie 1: Dit veld ontbreekt", "Getypte introductie", "<details class=\"editor-details\" open>")
	p = c.post(editorBase+"/secties/1", url.Values{"titel": {"Over u"}, "intro": {"Fijn dat u meedoet."}})
	if def := app.definition(editorSlug); p.Status != http.StatusOK || def.Sections[0].Title != "Over u" || def.Sections[0].Intro == "" {
		t.Errorf("section text: %d %+v", p.Status, def.Sections[0])
	}
	c.get(editorBase)
	if p = c.post(editorBase+"/secties", url.Values{"nieuwe-sectie-titel": {""}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("a new section without a title: %d", p.Status)
	}
	p.mustContain(t, `href="#nieuwe-sectie-titel"`, `id="nieuwe-sectie-titel-error"`)
}

func TestEditorMakesALikertScaleOfTheResearchersOwn(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	p := c.addQuestion("1", models.KindLikert, url.Values{"tekst": {"Hoe vaak?"}, "code": {"hoe_vaak"}, "nieuwe-schaal": {"Nooit"},
		"stelling-tekst": {"Balie"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a scale of one answer: %d", p.Status)
	}
	p.mustContain(t, `href="#nieuwe-schaal"`, "minstens 2")
	p = c.addQuestion("1", models.KindLikert, url.Values{"tekst": {"Hoe vaak?"}, "code": {"hoe_vaak"}, "nieuwe-schaal": {"Nooit\r\nSoms\r\nVaak"},
		"stelling-tekst": {"Balie"}})
	if p.Status != http.StatusOK {
		t.Fatalf("own scale: %d: %s", p.Status, p.Body)
	}
	def := app.definition(editorSlug)
	if q := def.Questions()[1]; q.Scale != "hoe_vaak_schaal" || len(q.ScaleOptions) != 3 || q.ScaleOptions[2].Code != "vaak" {
		t.Errorf("own scale: %+v", q)
	}
}

func TestEditorShowsSkipRulesAndKeepsThemWhenAQuestionChanges(t *testing.T) {
	app := newTestApp(t)
	ref, _ := models.ReferenceSurvey()
	src := strings.Replace(string(ref), "slug: klantcontact-2018", "slug: met-regel", 1)
	src = strings.Replace(src, "  - title: {nl: \"Burgerparticipatie\", en: \"Citizen participation\"}\n", "  - title: {nl: \"Burgerparticipatie\", en: \"Citizen participation\"}\n    show_if: {question: overleg, values: [ja]}\n", 1)
	src = strings.Replace(src, "      - code: part_concreet\n", "      - code: part_concreet\n        show_if: {question: overleg, values: [ja, nee]}\n", 1)
	def, err := models.ParseDefinition("regel.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(app.db.Write, def, models.StatusDraft); err != nil {
		t.Fatal(err)
	}
	c := app.asResearcher()
	base := "/admin/surveys/met-regel/editor"
	c.get(base).mustContain(t, "Deze sectie staat er alleen als ‘Heeft u voor het invullen overlegd met collega&#39;s van andere afdelingen?’ is: Ja.",
		"Gesteld alleen als ‘Heeft u voor het invullen overlegd met collega&#39;s van andere afdelingen?’ is: Ja of Nee")
	p := c.post(base+"/vragen/part_concreet", url.Values{"tekst": {"Wat gaat u concreet doen?"}, "code": {"part_concreet"}})
	if p.Status != http.StatusOK {
		t.Fatalf("edit: %d", p.Status)
	}
	si, qi, _ := app.definition("met-regel").FindQuestion("part_concreet")
	if q := app.definition("met-regel").Sections[si].Questions[qi]; q.ShowIf == nil || q.Text != "Wat gaat u concreet doen?" {
		t.Errorf("after the edit: %+v", q)
	}
}

// TestEditorSetsAndRemovesASkipRule: a page gets "alleen tonen als" through two plain forms
// (choose the question, tick its answers); a rule without answers is refused beside the field;
// page 1 has nothing earlier to depend on.
func TestEditorSetsAndRemovesASkipRule(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	rule := "/admin/surveys/" + refSlug + "/editor/regel"
	c.get(rule+"?doel=sectie-1").mustContain(t, "Er staat geen keuzevraag op een eerdere pagina")
	p := c.get(rule + "?doel=sectie-3")
	p.mustContain(t, `<option value="overleg">`, `<option value="kc_plannen">`)
	if strings.Contains(p.Body, `<option value="part_plannen">`) {
		t.Error("a question of the page itself is offered")
	}
	p = c.get(rule + "?doel=sectie-3&vraag=overleg")
	p.mustContain(t, `name="waarde" value="ja"`, `name="waarde" value="nee"`)
	if p = c.post(rule, url.Values{"doel": {"sectie-3"}, "vraag": {"overleg"}}); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("a rule without answers: %d", p.Status)
	}
	p.mustContain(t, "Vink minstens één antwoord aan", `href="#waarde-1"`)
	p = c.post(rule, url.Values{"doel": {"sectie-3"}, "vraag": {"overleg"}, "waarde": {"ja"}})
	p.mustContain(t, "De regel is opgeslagen.", "Dit is versie 2", "Deze sectie staat er alleen als")
	if d := app.definition(refSlug); d.Sections[2].ShowIf == nil || d.Sections[2].ShowIf.Question != "overleg" {
		t.Fatalf("the rule was not stored: %+v", d.Sections[2].ShowIf)
	}
	c.get(rule + "?doel=sectie-3")
	c.post(rule, url.Values{"doel": {"sectie-3"}, "vraag": {"overleg"}, "actie": {"geen"}}).mustContain(t, "De regel is opgeslagen.")
	if d := app.definition(refSlug); d.Sections[2].ShowIf != nil {
		t.Error("the rule was not removed")
	}
}
