package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"peiling/models"
)

// importCopy adds an open copy of the reference survey under another slug.
func (a *testApp) importCopy(slug string) {
	a.t.Helper()
	ref, _ := models.ReferenceSurvey()
	def, err := models.ParseDefinition("copy", []byte(strings.Replace(string(ref), "slug: klantcontact-2018", "slug: "+slug, 1)))
	if err != nil {
		a.t.Fatal(err)
	}
	if _, err := models.ImportSurvey(a.db.Write, def, models.StatusOpen); err != nil {
		a.t.Fatal(err)
	}
}

func TestASessionOfAnotherSurveyGivesNoAccess(t *testing.T) {
	app := newTestApp(t)
	app.importCopy("andere-peiling")
	c := app.newClient()
	c.start()
	form := sectionAnswers("Ede")[0]
	form.Set("actie", "later")
	p := c.post("/s/"+refSlug+"/stap/1", form)
	token := p.Body[strings.Index(p.Body, "/hervat/")+len("/hervat/"):]
	token = token[:43]

	// The draft token of one survey, offered as a resume link of another, finds nothing.
	if p := c.get("/s/andere-peiling/hervat/" + token); p.Status != http.StatusNotFound {
		t.Errorf("token of another survey: %d", p.Status)
	}
	// The session holds it for one survey only: the other survey's pages start afresh.
	p = c.get("/s/andere-peiling/stap/1")
	if !strings.HasSuffix(p.URL, "/s/andere-peiling") {
		t.Errorf("another survey's step 1 with this session: %s", p.URL)
	}
	if strings.Contains(p.Body, "Ede") {
		t.Error("another survey shows this survey's answers")
	}
}

func TestUnknownFieldsAreIgnoredNotStored(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	form := sectionAnswers("Ede")[0]
	form.Set("actie", "volgende")
	form.Set("verzonnen_vraag", "x")
	form.Set("kc_concreet", "from another page")
	form.Set("status", "submitted")
	if p := c.post("/s/"+refSlug+"/stap/1", form); p.Status != http.StatusOK {
		t.Fatalf("status %d", p.Status)
	}
	var questions []string
	app.db.Read.Model(&models.Answer{}).Distinct("question").Pluck("question", &questions)
	for _, q := range questions {
		if q != "gemeente" && q != "afdeling" && q != "overleg" {
			t.Errorf("stored an answer to %q from step 1", q)
		}
	}
	if app.responses(models.ResponseSubmitted) != 0 {
		t.Error("a form field made a draft submitted")
	}
}

func TestPathTraversalFindsNothing(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	for _, path := range []string{
		"/static/../main.go",
		"/static/..%2f..%2fmain.go",
		"/static/%2e%2e/%2e%2e/etc/passwd",
		"/static/css/../../templates/layout.html",
		"/s/..%2f..%2fetc%2fpasswd",
		"/s/" + refSlug + "/stap/..%2f1",
		"/s/" + refSlug + "/hervat/..%2f..%2fadmin",
	} {
		p := c.get(path)
		if p.Status == http.StatusOK || strings.Contains(p.Body, "package main") || strings.Contains(p.Body, "root:") || strings.Contains(p.Body, "{{define") {
			t.Errorf("%s: %d, leaked %q", path, p.Status, p.Body[:min(len(p.Body), 80)])
		}
	}
	if p := c.get("/static/css/peiling.css"); p.Status != http.StatusOK {
		t.Errorf("a real static file: %d", p.Status)
	}
}

func TestControlCharactersInAnswersAreRefusedBesideTheField(t *testing.T) {
	app := newTestApp(t)
	cases := []struct{ name, field, text string }{
		{"NUL in an open answer", "kc_concreet", "Een nieuw\x00kanaal"},
		{"escape in an open answer", "kc_concreet", "Een nieuw\x1b[31mkanaal"},
		{"vertical tab in an open answer", "kc_concreet", "Een nieuw\vkanaal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := app.newClient()
			c.start()
			form := sectionAnswers("Zeist")[0]
			form.Set("actie", "volgende")
			c.post("/s/"+refSlug+"/stap/1", form)
			for _, action := range []string{"volgende", "later"} { // saving for later is refused too
				p := c.post("/s/"+refSlug+"/stap/2", url.Values{tc.field: {tc.text}, "kc_plannen": {"basis_op_orde"}, "actie": {action}})
				if p.Status != http.StatusUnprocessableEntity {
					t.Fatalf("%s: status %d, want 422", action, p.Status)
				}
				p.mustContain(t, "Dit antwoord bevat een teken dat niet is toegestaan", `id="f-`+tc.field+`-error"`, "Een nieuw", "kanaal", `value="basis_op_orde" checked`)
			}
			var n int64
			app.db.Read.Model(&models.Answer{}).Where("text LIKE ?", "Een nieuw%").Count(&n)
			if n != 0 {
				t.Errorf("%d answers with the control character were stored", n)
			}
		})
	}
	// Tabs and line breaks stay allowed.
	c := app.newClient()
	c.start()
	form := sectionAnswers("Zeist")[0]
	form.Set("actie", "volgende")
	c.post("/s/"+refSlug+"/stap/1", form)
	if p := c.post("/s/"+refSlug+"/stap/2", url.Values{"kc_concreet": {"Regel\tmet tab\r\nen een tweede regel"}, "actie": {"volgende"}}); p.Status != http.StatusOK {
		t.Errorf("tab and line break: %d", p.Status)
	}
}
