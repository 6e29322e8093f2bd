package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"peiling/models"
)

// skipSurvey imports the reference survey as "overslaan" with skip logic: page 3
// (Burgerparticipatie, its first question required) only after overleg = ja, and the last question only when
// "basis op orde" was ticked on page 2.
func skipSurvey(t *testing.T, app *testApp) string {
	t.Helper()
	data, err := models.ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	def, err := models.ParseDefinition(models.ReferenceSurveyFile, data)
	if err != nil {
		t.Fatal(err)
	}
	def.Slug = "overslaan"
	def.Sections[2].ShowIf = &models.Condition{Question: "overleg", Values: []string{"ja"}}
	def.Sections[2].Questions[0].Required = true // required, but only for who is shown it
	def.Sections[4].Questions[0].ShowIf = &models.Condition{Question: "kc_plannen", Values: []string{"basis_op_orde"}}
	body, err := models.MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	if def, err = models.ParseDefinition("overslaan.yaml", body); err != nil { // as a file would come in
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen); err != nil {
		t.Fatal(err)
	}
	return "/s/overslaan"
}

func countAnswers(t *testing.T, app *testApp, question string) int64 {
	t.Helper()
	var n int64
	app.db.Read.Model(&models.Answer{}).Where("question = ?", question).Count(&n)
	return n
}

// TestSkipLogicFollowsTheAnswers: "nee" to overleg skips page 3 everywhere — the step count,
// the route, the check page and what is required — and changing an earlier answer removes
// the answers of what it hides.
func TestSkipLogicFollowsTheAnswers(t *testing.T) {
	app := newTestApp(t)
	base := skipSurvey(t, app)
	c := app.newClient()
	c.get(base)
	c.post(base+"/start", nil)
	step1 := sectionAnswers("Ede")[0]
	step1.Set("overleg", "nee")
	p := c.post(base+"/stap/1", withAction(step1, "volgende"))
	if !strings.HasSuffix(p.URL, "/stap/2") {
		t.Fatalf("after step 1: %s", p.URL)
	}
	p.mustContain(t, "Stap 2 van 4")
	if p = c.post(base+"/stap/2", withAction(sectionAnswers("Ede")[1], "volgende")); !strings.HasSuffix(p.URL, "/stap/4") {
		t.Fatalf("after step 2 with overleg = nee: %s, want page 4", p.URL)
	}
	p.mustContain(t, "Stap 3 van 4")
	if back := c.post(base+"/stap/4", withAction(sectionAnswers("Ede")[3], "vorige")); !strings.HasSuffix(back.URL, "/stap/2") {
		t.Errorf("Vorige on page 4 led to %s, want page 2", back.URL)
	}
	if p = c.get(base + "/stap/3"); !strings.HasSuffix(p.URL, "/stap/4") {
		t.Errorf("the skipped page by its URL: %s", p.URL)
	}
	c.post(base+"/stap/4", withAction(sectionAnswers("Ede")[3], "volgende"))
	p = c.post(base+"/stap/5", withAction(sectionAnswers("Ede")[4], "volgende"))
	if !strings.HasSuffix(p.URL, "/controleren") || strings.Contains(p.Body, "Burgerparticipatie") {
		t.Fatalf("the check page: %s, or it lists the skipped page", p.URL)
	}
	p.mustContain(t, "Wat is voor uw gemeente de grootste uitdaging") // shown: basis op orde was ticked

	// Back to page 1: "ja" now shows page 3, and the check page asks for its answers.
	step1.Set("overleg", "ja")
	c.post(base+"/stap/1", withAction(step1, "volgende"))
	p = c.get(base + "/controleren")
	p.mustContain(t, "Burgerparticipatie", "Nog niet beantwoord")
	c.post(base+"/stap/3", withAction(sectionAnswers("Ede")[2], "volgende"))
	if n := countAnswers(t, app, "part_plannen"); n != 1 {
		t.Fatalf("%d answers to part_plannen after page 3", n)
	}
	// "nee" again removes page 3's answers; dropping "basis op orde" removes the last question's.
	step1.Set("overleg", "nee")
	c.post(base+"/stap/1", withAction(step1, "volgende"))
	step2 := sectionAnswers("Ede")[1]
	step2["kc_plannen"] = []string{"data_proactief"}
	c.post(base+"/stap/2", withAction(step2, "volgende"))
	if n, m := countAnswers(t, app, "part_plannen"), countAnswers(t, app, "uitdaging"); n != 0 || m != 0 {
		t.Fatalf("answers of hidden questions kept: part_plannen %d, uitdaging %d", n, m)
	}
	p = c.get(base + "/controleren")
	if strings.Contains(p.Body, "grootste uitdaging") || strings.Contains(p.Body, "Nog niet beantwoord") {
		t.Error("the check page still has the hidden question, or asks for a hidden one")
	}
	p = c.post(base+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("send with skipped required questions: %d at %s", p.Status, p.URL)
	}

	// A second municipality says "ja" and is shown page 3.
	c2 := app.newClient()
	c2.get(base)
	c2.post(base+"/start", nil)
	for i, form := range sectionAnswers("Zeist") {
		if p := c2.post(fmt.Sprintf("%s/stap/%d", base, i+1), withAction(form, "volgende")); p.Status != http.StatusOK {
			t.Fatalf("Zeist step %d: %d", i+1, p.Status)
		}
	}
	if p := c2.post(base+"/verzenden", url.Values{"inzending": {c2.get(base+"/controleren").hidden(t, "inzending")}}); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("Zeist's send: %s", p.URL)
	}

	// The export tells "not shown" from "not answered".
	r := app.asResearcher()
	r.get("/admin/surveys/overslaan/sluiten")
	r.post("/admin/surveys/overslaan/sluiten", url.Values{"bevestig": {"ja"}})
	// Only who was shown page 3 is in the base of its multi question: Zeist, not Ede.
	results := r.get("/admin/surveys/overslaan/results")
	part := results.Body[strings.Index(results.Body, `id="vraag-part_plannen"`)+1:]
	part = part[:strings.Index(part, `id="vraag-`)] // up to the next question
	if !strings.Contains(part, "(n = 1)") || strings.Contains(part, "(n = 2)") {
		t.Errorf("the base of a question on the skipped page is not who was shown it:\n%.1500s", part)
	}
	cols, rows := readCSV(t, r.get("/admin/surveys/overslaan/export/antwoorden.csv").Body, ',')
	if len(rows) != 2 {
		t.Fatalf("%d rows exported", len(rows))
	}
	row := rows[0] // Ede
	if got := row[cols["part_plannen_converseren"]]; got != models.NotShown {
		t.Errorf("a question on the skipped page exports as %q", got)
	}
	if got := row[cols["uitdaging"]]; got != models.NotShown {
		t.Errorf("the hidden last question exports as %q", got)
	}
	if got := row[cols["kc_concreet"]]; got == models.NotShown {
		t.Error("a shown question exports as not shown")
	}
}
