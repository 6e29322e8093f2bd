package handlers

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

// TestEachResponseKeepsTheVersionItStartedOn: a question added during fieldwork makes version
// 2. A respondent who started on version 1 finishes on version 1 without it; a newcomer gets
// version 2 with it; the results and the export say which version each answered.
func TestEachResponseKeepsTheVersionItStartedOn(t *testing.T) {
	app := newTestApp(t)
	early := app.newClient()
	early.start()
	early.post("/s/"+refSlug+"/stap/1", withAction(sectionAnswers("Ede")[0], "volgende"))

	data, err := models.ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	def, err := models.ParseDefinition(models.ReferenceSurveyFile, data)
	if err != nil {
		t.Fatal(err)
	}
	last := &def.Sections[len(def.Sections)-1]
	last.Questions = append(last.Questions, models.Question{Code: "omgevingswet", Kind: models.KindText, Text: "Wat vraagt de Omgevingswet van uw team?"})
	c, err := models.ChangeDefinition(app.db.Write, app.survey().ID, def, models.Actor{Name: "test"}, time.Now().UTC())
	if err != nil || c.Version != 2 {
		t.Fatalf("adding a question during fieldwork: %+v, %v", c, err)
	}
	app.h.surveys.forget() // as a researcher's POST would

	if p := early.get("/s/" + refSlug + "/stap/5"); strings.Contains(p.Body, "Omgevingswet van uw team") {
		t.Error("a version 1 respondent sees the question of version 2")
	}
	check := early.fillAll("Ede")
	if p := send(t, early, check); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("the version 1 respondent's send: %d at %s", p.Status, p.URL)
	}
	late := app.newClient()
	late.start()
	for i, form := range sectionAnswers("Zeist") {
		if i == 4 {
			form.Set("omgevingswet", "Samenwerken met de provincie")
			if p := late.get("/s/" + refSlug + "/stap/5"); !strings.Contains(p.Body, "Omgevingswet van uw team") {
				t.Fatal("a version 2 respondent does not see the new question")
			}
		}
		late.post("/s/"+refSlug+"/stap/"+string(rune('1'+i)), withAction(form, "volgende"))
	}
	if p := send(t, late, late.get("/s/"+refSlug+"/controleren")); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("the version 2 respondent's send: %d at %s", p.Status, p.URL)
	}

	r := app.asResearcher()
	file := r.get(adminBase + "/definitie.yaml")
	again, err := models.ParseDefinition("download.yaml", []byte(file.Body))
	if err != nil || len(again.Sections[4].Questions) != len(last.Questions) {
		t.Fatalf("the downloaded definition: %v", err)
	}
	r.get(adminBase + "/sluiten")
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	r.get(adminBase+"/results").mustContain(t, "versie 1: n = 1; versie 2: n = 1")
	cols, rows := readCSV(t, r.get(adminBase+"/export/antwoorden.csv").Body, ',')
	versions := map[string]string{}
	for _, row := range rows {
		versions[row[cols["gemeente"]]] = row[cols["versie"]]
	}
	if versions["0228"] != "1" || versions["0355"] != "2" {
		t.Errorf("export versions %v, want Ede 1 and Zeist 2", versions)
	}
}
