package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// numbersSurvey has a number question, whose answer a page shows with the decimal separator
// of its language, in Dutch and English.
const numbersSurvey = `slug: getallen
title: {nl: Getallen, en: Numbers}
register: "2018"
sections:
  - title: {nl: Over u, en: About you}
    questions:
      - {code: gemeente, kind: municipality, text: {nl: "Welke gemeente?", en: "Which municipality?"}, required: true}
      - {code: fte, kind: number, text: {nl: "Hoeveel fte?", en: "How many FTE?"}, unit: {nl: uur, en: hours}}
`

// TestSharedLocalDefinitionsChangeNoPage plays the same visits, in Dutch and in English, on two
// apps: one whose requests share the definition in their language (models.Localized), one
// whose requests make their own copy as before (shareLocalDefs off). Every page must come out
// byte for byte the same, but for the session's own tokens. Afterwards the shared copies are
// still what a fresh parse of the stored definition gives: no request changed them.
func TestSharedLocalDefinitionsChangeNoPage(t *testing.T) {
	shared, own := newTestApp(t), newTestApp(t)
	for _, app := range []*testApp{shared, own} {
		def, err := models.ParseDefinition("getallen.yaml", []byte(numbersSurvey))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen); err != nil {
			t.Fatal(err)
		}
	}
	tokens := regexp.MustCompile(`127\.0\.0\.1:[0-9]+|[A-Za-z0-9_-]{20,}|PL-[0-9A-Z]{4}-[0-9A-Z]{4}|\b[0-9]{1,2}:[0-9]{2}(am|pm)?\b`)
	visit := func(app *testApp, share bool, lang, municipality, number string) []*page {
		shareLocalDefs = share
		defer func() { shareLocalDefs = true }()
		var pages []*page
		c := app.newClient()
		keep := func(p *page) { pages = append(pages, p) }
		keep(c.get("/?lang=" + lang))
		keep(c.get("/s/" + refSlug))
		pages = append(pages, c.respondentPages(municipality)...)
		keep(c.get("/s/" + refSlug))
		// A number, shown again with the language's separator, and one it cannot read.
		keep(c.get("/s/getallen"))
		keep(c.post("/s/getallen/start", nil))
		keep(c.post("/s/getallen/stap/1", url.Values{"gemeente": {municipality}, "fte": {"12,,5"}, "actie": {"volgende"}}))
		keep(c.post("/s/getallen/stap/1", url.Values{"gemeente": {municipality}, "fte": {number}, "actie": {"volgende"}}))
		keep(c.get("/s/getallen/stap/1"))
		r := app.asResearcher()
		for _, p := range []string{"/admin/surveys/" + refSlug + "/preview", "/admin/surveys/" + refSlug + "/preview/stap/2",
			"/admin/surveys/getallen/preview/stap/1"} {
			keep(r.get(p))
		}
		return pages
	}
	for _, tc := range []struct{ lang, municipality, number, shown string }{{"nl", "Ede", "1.234,5", "1234,5"}, {"en", "Epe", "1,234.5", "1234.5"}} {
		a, b := visit(shared, true, tc.lang, tc.municipality, tc.number), visit(own, false, tc.lang, tc.municipality, tc.number)
		samePages(t, tc.lang+" shared/own", a, b, tokens)
		if p := a[len(a)-4]; !strings.Contains(p.Body, `name="fte" value="`+tc.shown+`"`) {
			t.Errorf("%s: %s is not shown again as %s on %s", tc.lang, tc.number, tc.shown, p.URL)
		}
	}
	for _, slug := range []string{refSlug, "getallen"} {
		s, err := models.FindSurvey(shared.db.Read, slug)
		if err != nil {
			t.Fatal(err)
		}
		def, err := s.Def()
		if err != nil {
			t.Fatal(err)
		}
		for _, lang := range []string{"nl", "en"} {
			sep := catalogue.Translator(lang).T("common.format.decimal")
			var fresh models.Definition
			if err := json.Unmarshal([]byte(s.Definition), &fresh); err != nil {
				t.Fatal(err)
			}
			if err := fresh.Check(); err != nil { // as the parse cache does: marks conditional questions
				t.Fatal(err)
			}
			if got, want := def.Localized(lang, sep), fresh.In(lang).WithDecimal(sep); !reflect.DeepEqual(got, want) {
				t.Errorf("%s in %s: a request changed the shared definition", slug, lang)
			}
		}
	}
}

// TestRequestsShareOneLocalDefinition: two requests for an open survey read its row anew
// (the survey cache hands out copies) and still get the one parsed definition (Survey.Def,
// keyed by the survey's version and revision) and the one copy in each language.
func TestRequestsShareOneLocalDefinition(t *testing.T) {
	app := newTestApp(t)
	defOf := func(lang string) *models.Definition {
		t.Helper()
		s, err := app.h.surveys.find(app.db.Read, refSlug)
		if err != nil {
			t.Fatal(err)
		}
		def, err := s.Def()
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodGet, "/s/"+refSlug, nil)
		c := echo.New().NewContext(req, httptest.NewRecorder())
		c.Set(langKey, catalogue.Translator(lang))
		_, local := inLanguage(c, s, def)
		return local
	}
	en, nl := defOf("en"), defOf("nl")
	if defOf("en") != en || defOf("nl") != nl {
		t.Error("a second request made another copy")
	}
	if en == nl || en.Lang() != "en" || nl.Lang() != "nl" {
		t.Errorf("English and Dutch: %s, %s", en.Lang(), nl.Lang())
	}
}
