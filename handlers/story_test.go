package handlers

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

// closedArticle loads the article's responses into the reference survey and closes it.
func closedArticle(t *testing.T, app *testApp) *models.Survey {
	t.Helper()
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	article, err := models.ArticleResponses(app.db.Read, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.InsertSubmitted(app.db.Write, s, article); err != nil {
		t.Fatal(err)
	}
	if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSurveySubNavigationOnEverySurveyPage visits the researcher pages of one survey: each
// carries the same sub-navigation, with its own page marked where it is one of the links.
func TestSurveySubNavigationOnEverySurveyPage(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug
	pages := []struct{ path, current string }{
		{"", "Overzicht"}, {"/veldwerk", "Veldwerk"}, {"/concepten", "Concepten"},
		{"/uitnodigingen", "Uitnodigingen"}, {"/email", "E-mail"}, {"/results", "Uitkomsten"},
		{"/downloads", "Downloads"}, {"/editor", "Bewerken"}, {"/results/publiceren", "Uitkomsten"},
		{"/results/open/kc_concreet", "Uitkomsten"}, {"/heropenen", "Overzicht"},
		{"/rapport-per-gemeente", "Overzicht"}, {"/alles-verwijderen", "Overzicht"},
	}
	links := []string{"", "/veldwerk", "/concepten", "/uitnodigingen", "/email", "/results", "/downloads", "/editor"}
	for _, pg := range pages {
		p := res.get(base + pg.path)
		if p.Status != http.StatusOK {
			t.Errorf("%s: status %d", pg.path, p.Status)
			continue
		}
		start := strings.Index(p.Body, `<nav class="survey-nav`)
		if start < 0 {
			t.Errorf("%s: no survey sub-navigation", pg.path)
			continue
		}
		nav := p.Body[start : start+strings.Index(p.Body[start:], "</nav>")]
		for _, l := range links {
			if !strings.Contains(nav, `href="`+base+l+`"`) {
				t.Errorf("%s: sub-navigation lacks %s", pg.path, base+l)
			}
		}
		if !strings.Contains(nav, `aria-current="page">`+pg.current+`</a>`) {
			t.Errorf("%s: %s is not marked as the current page", pg.path, pg.current)
		}
	}
}

var idAttr = regexp.MustCompile(`\bid="([^"]+)"`)

// ids lists the ids on a page.
func ids(body string) map[string]bool {
	out := map[string]bool{}
	for _, m := range idAttr.FindAllStringSubmatch(body, -1) {
		out[m[1]] = true
	}
	return out
}
