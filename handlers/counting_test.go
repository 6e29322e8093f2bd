package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

// countingSurvey is a small survey with what the reference survey lacks: a number question
// with a unit and a 4-point frequency scale without a middle.
const countingSurvey = `slug: tellen
title: Tellen
register: "2018"
scales:
  vaak4:
    - {code: nooit, label: Nooit}
    - {code: soms, label: Soms}
    - {code: vaak, label: Vaak}
    - {code: altijd, label: Altijd}
sections:
  - title: Vragen
    questions:
      - code: gemeente
        kind: municipality
        text: Voor welke gemeente vult u deze peiling in?
        required: true
      - code: kanalen
        kind: multi
        text: Welke kanalen gebruikt u?
        options:
          - {code: balie, label: Balie}
          - {code: chat, label: Chat}
      - code: nooit_gebruikt
        kind: multi
        text: Welke kanalen heeft u afgeschaft?
        options:
          - {code: fax, label: Fax}
          - {code: telex, label: Telex}
      - code: saldo
        kind: number
        text: Wat was het saldo van het klantcontactcentrum?
        unit: miljoen euro
      - code: frequentie
        kind: likert
        text: Hoe vaak gebeurt het volgende?
        scale: vaak4
        statements:
          - {code: terugbellen, text: We bellen binnen een dag terug.}
`

// closedCountingSurvey imports the counting survey, submits the given responses to it and
// closes it.
func closedCountingSurvey(t *testing.T, app *testApp, responses []models.SeededResponse) *models.Survey {
	t.Helper()
	def, err := models.ParseDefinition("tellen.yaml", []byte(countingSurvey))
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.InsertSubmitted(app.db.Write, s, responses); err != nil {
		t.Fatal(err)
	}
	if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return s
}

func num(x float64) *float64 { return &x }

// countingResponses: three respondents; the third ticks no channel. Nobody answers
// nooit_gebruikt. The saldi −2, −3 and −2.845 have a mean of −2.615.
func countingResponses() []models.SeededResponse {
	return []models.SeededResponse{
		{Answers: []models.Answer{{Question: "kanalen", Option: "balie"}, {Question: "kanalen", Option: "chat"},
			{Question: "saldo", Number: num(-2)}, {Question: "frequentie", Item: "terugbellen", Option: "nooit"}}},
		{Answers: []models.Answer{{Question: "kanalen", Option: "balie"},
			{Question: "saldo", Number: num(-3)}, {Question: "frequentie", Item: "terugbellen", Option: "vaak"}}},
		{Answers: []models.Answer{{Question: "saldo", Number: num(-2.845)}, {Question: "frequentie", Item: "terugbellen", Option: "altijd"}}},
	}
}

// article returns the <article> of question code on a results page.
func article(t *testing.T, p *page, code string) string {
	t.Helper()
	start := strings.Index(p.Body, `id="vraag-`+code+`"`)
	if start < 0 {
		t.Fatalf("no question %s on %s", code, p.URL)
	}
	end := strings.Index(p.Body[start:], "</article>")
	return p.Body[start : start+end]
}

func TestMultiChoiceBaseCountsWhoTickedNothingUnlessSwitched(t *testing.T) {
	app := newTestApp(t)
	closedCountingSurvey(t, app, countingResponses())
	res := app.asResearcher()
	p := res.get("/admin/surveys/tellen/results")
	kanalen := article(t, p, "kanalen")
	for _, want := range []string{"Totaal (n = 3)", "<th scope=\"row\">Balie</th><td>67 % (2)</td>", "<th scope=\"row\">Chat</th><td>33 % (1)</td>",
		"Percentages van alle respondenten aan wie de vraag is gesteld, ook wie niets aankruiste (n = 3).",
		"<th scope=\"row\">Van hen iets aangekruist</th><td>2</td>", "percentage per antwoord van alle respondenten aan wie de vraag is gesteld"} {
		if !strings.Contains(kanalen, want) {
			t.Errorf("base shown: kanalen lacks %q", want)
		}
	}
	var doc struct {
		Questions []struct {
			Code, Base string
			Total      struct {
				N, Answered int
				Options     []struct {
					Code    string
					Percent int
				}
			}
		}
	}
	apiDoc := func() {
		t.Helper()
		doc.Questions = nil
		if err := json.Unmarshal([]byte(res.get("/admin/surveys/tellen/export/resultaten.json").Body), &doc); err != nil {
			t.Fatal(err)
		}
	}
	apiDoc()
	if q := doc.Questions[0]; q.Code != "kanalen" || q.Base != models.BaseShown || q.Total.N != 3 || q.Total.Answered != 2 || q.Total.Options[0].Percent != 67 {
		t.Errorf("JSON kanalen with base shown = %+v", q)
	}
	// The codebook states the base of each multi column.
	book := res.get("/admin/surveys/tellen/export/codeboek.csv").Body
	if !strings.Contains(book, "alle respondenten aan wie de vraag is gesteld, ook wie niets aankruiste (n = 3)") {
		t.Errorf("codebook does not state the base: %s", book)
	}

	// One question switched to "only those who ticked at least one".
	res.post("/admin/surveys/tellen/results/settings", url.Values{"min_groep": {"5"}, "basis": {"shown"}, "basis_vraag": {"kanalen"}})
	p = res.get("/admin/surveys/tellen/results")
	kanalen = article(t, p, "kanalen")
	for _, want := range []string{"Totaal (n = 2)", "<th scope=\"row\">Balie</th><td>100 % (2)</td>", "Percentages van respondenten die minstens één antwoord aankruisten (n = 2).", `id="basis-kanalen" name="basis_vraag" value="kanalen" checked`} {
		if !strings.Contains(kanalen+p.Body, want) {
			t.Errorf("base answered for the question: lacks %q", want)
		}
	}
	apiDoc()
	if q := doc.Questions[0]; q.Base != models.BaseAnswered || q.Total.N != 2 || q.Total.Options[0].Percent != 100 {
		t.Errorf("JSON kanalen with base answered = %+v", q)
	}
	// The whole survey switched.
	res.post("/admin/surveys/tellen/results/settings", url.Values{"min_groep": {"5"}, "basis": {"answered"}})
	p = res.get("/admin/surveys/tellen/results")
	if kanalen = article(t, p, "kanalen"); !strings.Contains(kanalen, "Totaal (n = 2)") {
		t.Error("base answered for the survey: kanalen is not of n = 2")
	}
}

func TestQuestionNobodyAnsweredSaysSoInsteadOfZeroBars(t *testing.T) {
	app := newTestApp(t)
	closedCountingSurvey(t, app, countingResponses())
	p := app.asResearcher().get("/admin/surveys/tellen/results")
	empty := article(t, p, "nooit_gebruikt")
	if !strings.Contains(empty, "Niemand heeft deze vraag beantwoord.") {
		t.Error("a question nobody answered does not say so")
	}
	if strings.Contains(empty, "0 %") || strings.Contains(empty, "<svg") || strings.Contains(empty, "n = 3") {
		t.Errorf("a question nobody answered still shows bars or a base: %s", empty)
	}
}

func TestNumberQuestionShowsNMeanMedianMinMaxRoundedCorrectly(t *testing.T) {
	app := newTestApp(t)
	closedCountingSurvey(t, app, countingResponses())
	p := app.asResearcher().get("/admin/surveys/tellen/results")
	saldo := article(t, p, "saldo")
	for _, want := range []string{"(miljoen euro)", "<th scope=\"row\">Aantal antwoorden (n)</th><td>3</td>",
		"<th scope=\"row\">Gemiddelde</th><td>−2,6</td>", "<th scope=\"row\">Mediaan</th><td>−2,8</td>",
		"<th scope=\"row\">Laagste</th><td>−3</td>", "<th scope=\"row\">Hoogste</th><td>−2</td>"} {
		if !strings.Contains(saldo, want) {
			t.Errorf("number question lacks %q", want)
		}
	}
}

func TestLikertSummaryFollowsTheScaleLabels(t *testing.T) {
	app := newTestApp(t)
	closedCountingSurvey(t, app, countingResponses())
	p := app.asResearcher().get("/admin/surveys/tellen/results")
	freq := article(t, p, "frequentie")
	for _, want := range []string{"Samen: Nooit of soms", "Samen: Vaak of altijd", "<td>33 %</td><td>67 %</td><td>3</td>", "67 % vaak of altijd, 33 % nooit of soms (n = 3"} {
		if !strings.Contains(freq, want) {
			t.Errorf("4-point scale summary lacks %q", want)
		}
	}
	for _, wrong := range []string{"Neutraal", "neutraal", "eens"} {
		if strings.Contains(freq, wrong) {
			t.Errorf("4-point frequency scale is summarised with %q", wrong)
		}
	}
}

func TestSuppressedGroupsSayWhy(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	// Utrecht has exactly 5: with a minimum of 5 it is shown unless hidden as complement,
	// which it is here (Limburg, 3, is the only small group). With a minimum of 4, Limburg
	// is too small on its own and nothing else is small: the complement is the smallest
	// group shown, Utrecht.
	p := res.get("/admin/surveys/" + refSlug + "/results?indeling=provincie")
	p.mustContain(t, "<th scope=\"row\">Utrecht</th><td>verborgen om terugrekenen te voorkomen</td>", "<th scope=\"row\">Limburg</th><td>te klein (minder dan 5)</td>")
	res.post("/admin/surveys/"+refSlug+"/results/settings", url.Values{"min_groep": {"3"}})
	p = res.get("/admin/surveys/" + refSlug + "/results?indeling=provincie")
	p.mustContain(t, "<th scope=\"row\">Limburg</th><td>3</td>") // exactly at the minimum: shown
	// Groups without respondents say so, and do not count as suppressed: the counting
	// survey's respondents have no municipality, so every size class is empty.
	closedCountingSurvey(t, app, countingResponses())
	p = res.get("/admin/surveys/tellen/results?indeling=grootte")
	p.mustContain(t, "<th scope=\"row\">minder dan 10.000 inwoners</th><td>geen respondenten</td>",
		"<th scope=\"row\">Onbekend</th><td>te klein (minder dan 5)</td>", "Onbekend: te klein (minder dan 5)")
	var doc struct {
		Breakdown struct {
			Groups []struct {
				Key          string `json:"key"`
				HiddenReason string `json:"hidden_reason"`
			} `json:"groups"`
		} `json:"breakdown"`
	}
	body := res.get("/admin/surveys/tellen/export/resultaten.json?indeling=grootte").Body
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, g := range doc.Breakdown.Groups {
		reasons[g.Key] = g.HiddenReason
	}
	if reasons["a_lt10k"] != models.HiddenEmpty || reasons[""] != models.HiddenTooSmall {
		t.Errorf("hidden reasons in JSON: %v", reasons)
	}
}

func TestDraftCountsAgreeOnEveryPage(t *testing.T) {
	app := newTestApp(t)
	app.newClient().submit("Utrecht")
	app.newClient().draft("Appingedam")
	app.newClient().draft("Ede")
	app.newClient().start() // a draft without a municipality: not a municipality
	app.newClient().start()
	res := app.asResearcher()
	res.get("/admin").mustContain(t, "2 in behandeling")
	res.get("/admin/surveys/"+refSlug).mustContain(t, "<dt>Concepten in behandeling</dt><dd>2</dd>")
	res.get("/admin/surveys/"+refSlug+"/veldwerk").mustContain(t, "Bezig, met een concept (2)")
}

// publish makes the reference survey's results public through the confirmation page.
func (c *client) publish(t *testing.T, openAnswers bool) {
	t.Helper()
	c.get("/admin/surveys/" + refSlug + "/results/publiceren")
	form := url.Values{"bevestig": {"ja"}}
	if openAnswers {
		form.Set("open_antwoorden", "true")
	}
	if p := c.post("/admin/surveys/"+refSlug+"/results/publiceren", form); p.Status != http.StatusOK || !strings.Contains(p.Body, "De uitkomsten zijn openbaar.") {
		t.Fatalf("publish: %d at %s", p.Status, p.URL)
	}
}

func TestPublishingNeedsConfirmationAndShowsSinceWhenAndWhere(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug
	res.get(base+"/results").mustContain(t, "Niet openbaar.", `href="`+base+`/results/publiceren"`)
	// The settings form no longer publishes.
	res.post(base+"/results/settings", url.Values{"min_groep": {"5"}, "publiceren": {"true"}})
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusNotFound {
		t.Fatalf("the settings form published the results: %d", p.Status)
	}
	p := res.get(base + "/results/publiceren")
	p.mustContain(t, "Uitkomsten openbaar maken?", "/r/"+refSlug, `name="bevestig"`)
	p = res.post(base+"/results/publiceren", url.Values{"open_antwoorden": {"true"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("publishing without confirmation: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Vink aan dat u de uitkomsten openbaar wilt maken", `aria-describedby="bevestig-error"`, `id="open_antwoorden" name="open_antwoorden" value="true" checked`)
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusNotFound {
		t.Fatalf("unconfirmed publishing published: %d", p.Status)
	}
	res.publish(t, false)
	since, _, _ := strings.Cut(dutchTime(time.Now()), " om ")
	res.last.mustContain(t, "De uitkomsten zijn openbaar", "Openbaar sinds "+since, "/r/"+refSlug+"</a>, zonder de open antwoorden")
	res.get(base+"/results").mustContain(t, "<strong>Openbaar</strong> sinds "+since, "Offline halen…")
	res.get(base).mustContain(t, "Uitkomsten openbaar gemaakt", testEmail)
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusOK {
		t.Fatalf("public page after publishing: %d", p.Status)
	}
	res.get(base + "/results/publiceren")
	res.post(base+"/results/publiceren", url.Values{"actie": {"offline"}}).mustContain(t, "De openbare pagina is offline gehaald.", "Uitkomsten openbaar maken?")
	if p := app.newClient().get("/r/" + refSlug); p.Status != http.StatusNotFound {
		t.Fatalf("public page after taking it offline: %d", p.Status)
	}
	res.get(base).mustContain(t, "Openbare uitkomsten offline gehaald")
}

func TestDownloadsHaveTheirOwnPage(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug
	p := res.get(base + "/results")
	p.mustContain(t, `href="`+base+`/downloads"`)
	if strings.Contains(p.Body, base+"/export/") {
		t.Error("the results page still lists the export files")
	}
	p = res.get(base + "/downloads")
	for _, e := range exports {
		p.mustContain(t, `href="`+base+`/export/`+e.File+`" download`)
	}
	p.mustContain(t, "<h1>Downloads</h1>", "gemeente_gm")
}
