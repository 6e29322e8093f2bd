package handlers

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"strconv"
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

var (
	svgFill   = regexp.MustCompile(`<rect [^>]*fill="(#[0-9a-f]{6})"`)
	groupRow  = regexp.MustCompile(`<tr><th scope="row">[^<]+</th><td>\d+</td></tr>`)
	fontSizes = regexp.MustCompile(`font-size="(\d+)"`)
)

// chartOf returns the first <svg> in the card of question code.
func chartOf(t *testing.T, p *page, code string) string {
	t.Helper()
	card := article(t, p, code)
	start := strings.Index(card, "<svg")
	if start < 0 {
		t.Fatalf("no chart for %s on %s", code, p.URL)
	}
	return card[start : start+strings.Index(card[start:], "</svg>")]
}

// TestUnorderedChartsNeverRepeatAColour breaks the article's data set down by province
// (twelve groups and the total) and by department: every shown group has a colour of its own.
// By size class, an ordered dimension, the colours run from light to dark.
func TestUnorderedChartsNeverRepeatAColour(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	res := app.asResearcher()
	for _, dim := range []string{"provincie", "afdeling"} {
		p := res.get("/admin/surveys/" + refSlug + "/results?indeling=" + dim)
		shown := len(groupRow.FindAllString(p.Body, -1))
		if shown < 2 {
			t.Fatalf("%s: only %d groups with figures", dim, shown)
		}
		chart := chartOf(t, p, "kc_plannen")
		fills := map[string]bool{}
		for _, m := range svgFill.FindAllStringSubmatch(chart, -1) {
			fills[m[1]] = true
		}
		if len(fills) != shown+1 {
			t.Errorf("%s: %d groups and the total drawn in %d colours", dim, shown, len(fills))
		}
		for c := range fills {
			if contrast(c, "#ffffff") < 3 {
				t.Errorf("%s: bar colour %s has %.2f:1 against white", dim, c, contrast(c, "#ffffff"))
			}
		}
	}
	seq := sequential(5)
	for i := 1; i < len(seq); i++ {
		if luminance(seq[i]) >= luminance(seq[i-1]) {
			t.Errorf("the ordered scale does not darken: %v", seq)
		}
	}
	if c := contrast(seq[0], "#ffffff"); c < 3 {
		t.Errorf("the lightest step of the ordered scale has %.2f:1 against its white separators", c)
	}
	if got := categorical(20); len(got) != 20 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 20 {
		t.Errorf("categorical(20) repeats a colour: %v", got)
	}
}

// TestChartsKeepTheirTextSizeAndAreNamedOnce: a chart on the page has no viewBox (that would
// shrink its 14 px text to 7 px on a phone), its labels fit a phone's column, and its name is
// its title only, its figures in the description.
func TestChartsKeepTheirTextSizeAndAreNamedOnce(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	p := app.asResearcher().get("/admin/surveys/" + refSlug + "/results")
	for _, code := range []string{"kc_plannen", "kc_stellingen"} {
		chart := chartOf(t, p, code)
		if strings.Contains(chart, "viewBox") {
			t.Errorf("%s: the chart scales its text with a viewBox", code)
		}
		for _, m := range fontSizes.FindAllStringSubmatch(chart, -1) {
			if size, _ := strconv.Atoi(m[1]); size < 14 {
				t.Errorf("%s: font-size %s", code, m[1])
			}
		}
		if !strings.Contains(chart, `aria-labelledby="grafiek-`+code+`-t"`) || !strings.Contains(chart, `aria-describedby="grafiek-`+code+`-d"`) {
			t.Errorf("%s: the chart is not named by its title and described by its description: %.300s", code, chart)
		}
	}
}

var (
	keyItem  = regexp.MustCompile(`<li class="key"><a href="#vraag-([^"]+)">[^<]*</a>(?: <span class="key__figure"><strong>([^<]+)</strong> ([^<]*?)(?: <span class="key__n">\(n = (\d+)\)</span>)?</span>)?`)
	hrefFrag = regexp.MustCompile(`href="#([^"]+)"`)
)

// story returns the summary section at the top of a results page.
func story(t *testing.T, p *page) string {
	t.Helper()
	start := strings.Index(p.Body, `<section class="story"`)
	if start < 0 {
		t.Fatalf("no summary on %s", p.URL)
	}
	return p.Body[start : start+strings.Index(p.Body[start:], "</section>")]
}

// TestSummaryFiguresEqualTheCards reads each key figure of the summary on the article's data
// set, whole and broken down, and finds the same figure with the same n on the question's card:
// the option's row of a choice question, the statement's row of a likert block.
func TestSummaryFiguresEqualTheCards(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	res := app.asResearcher()
	for _, path := range []string{"/results", "/results?indeling=afdeling"} {
		p := res.get("/admin/surveys/" + refSlug + path)
		sum := story(t, p)
		if !strings.Contains(sum, "Respons: <strong>119 van 380 gemeenten (31 %)</strong>") {
			t.Errorf("%s: the summary lacks the response", path)
		}
		if !strings.Contains(sum, `class="status-map"`) {
			t.Errorf("%s: the summary lacks the fieldwork map", path)
		}
		keys := keyItem.FindAllStringSubmatch(sum, -1)
		if len(keys) < 10 {
			t.Fatalf("%s: only %d key figures", path, len(keys))
		}
		checked := 0
		for _, k := range keys {
			code, figure, what, n := k[1], k[2], html.UnescapeString(k[3]), k[4]
			card := html.UnescapeString(article(t, p, code))
			switch {
			case figure == "" || n == "":
				continue
			case strings.Contains(what, ": "): // likert: the high end and the statement
				statement := what[strings.Index(what, ": ")+2:]
				row := card[strings.Index(card, `<th scope="row">`+statement+`</th>`):]
				row = row[:strings.Index(row, "</tr>")]
				cells := regexp.MustCompile(`<td>([^<]*)</td>`).FindAllStringSubmatch(row, -1)
				// … Samen: low, Samen: high, n, weet niet
				if len(cells) < 4 || cells[len(cells)-3][1] != figure || cells[len(cells)-2][1] != n {
					t.Errorf("%s %s: summary %s (n = %s), card row %v", path, code, figure, n, cells)
				}
			default:
				if !strings.Contains(card, `<th scope="row">`+what+`</th><td>`+figure+` (`) {
					t.Errorf("%s %s: summary %s %s, not so on the card", path, code, figure, what)
				}
				if !strings.Contains(card, "(n = "+n+")") {
					t.Errorf("%s %s: summary n = %s, not on the card", path, code, n)
				}
			}
			checked++
		}
		if checked < 8 {
			t.Errorf("%s: only %d key figures compared", path, checked)
		}
		if !strings.Contains(sum, "80 %</strong> De basis van het klantcontact op orde brengen") {
			t.Errorf("%s: the article's 80 %% is not the key figure of kc_plannen", path)
		}
	}
}

// TestSummaryAndTableOfContentsLinksResolve: every link of the summary goes to an id on the
// page, a section or a question card, and every card and section is linked.
func TestSummaryAndTableOfContentsLinksResolve(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	p := app.asResearcher().get("/admin/surveys/" + refSlug + "/results")
	sum, on := story(t, p), ids(p.Body)
	linked := map[string]bool{}
	for _, m := range hrefFrag.FindAllStringSubmatch(sum, -1) {
		linked[m[1]] = true
		if !on[m[1]] {
			t.Errorf("the summary links to #%s, which is not on the page", m[1])
		}
	}
	for id := range on {
		if (strings.HasPrefix(id, "vraag-") || strings.HasPrefix(id, "sectie-")) && !linked[id] {
			t.Errorf("#%s is not in the summary", id)
		}
	}
	if len(linked) < 15 {
		t.Errorf("only %d links in the summary", len(linked))
	}
}

// TestQuestionCardHasTheTableOneClickAway: the chart on the card, its table in a disclosure
// that works without JavaScript; a statement table names every column once and groups the
// totals.
func TestQuestionCardHasTheTableOneClickAway(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	p := app.asResearcher().get("/admin/surveys/" + refSlug + "/results")
	for _, code := range []string{"kc_plannen", "kc_stellingen"} {
		card := article(t, p, code)
		chart, details := strings.Index(card, "<svg"), strings.Index(card, `<details class="result__details">`)
		if chart < 0 || details < chart || !strings.Contains(card[details:], "<table") {
			t.Errorf("%s: not a chart followed by its table in a <details>", code)
		}
		if strings.Contains(card, " · <a") {
			t.Errorf("%s: a dangling separator before the download link", code)
		}
	}
	card := article(t, p, "kc_stellingen")
	head := card[strings.Index(card, "<thead>"):strings.Index(card, "</thead>")]
	if strings.Count(head, "Neutraal") != 1 {
		t.Errorf("the statement table heads %d columns with Neutraal: %s", strings.Count(head, "Neutraal"), head)
	}
	for _, want := range []string{`<th scope="colgroup" colspan="5">Per antwoord</th>`, `<th scope="colgroup" colspan="2">Samen</th>`} {
		if !strings.Contains(head, want) {
			t.Errorf("the statement table's head lacks %s", want)
		}
	}
}

// TestPublicSummaryShowsNoMapAndNoResearcherNavigation: the published page has the same
// summary, but neither the fieldwork map (who answered is not public) nor the researcher's
// sub-navigation.
func TestPublicSummaryShowsNoMapAndNoResearcherNavigation(t *testing.T) {
	app := newTestApp(t)
	closedArticle(t, app)
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.SetPublished(app.db.Write, s, true, false, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	p := app.newClient().get("/r/" + refSlug)
	if p.Status != http.StatusOK {
		t.Fatalf("public page: %d", p.Status)
	}
	sum := story(t, p)
	if strings.Contains(sum, "status-map") || strings.Contains(sum, "/veldwerk") {
		t.Error("the public summary shows the fieldwork map")
	}
	if !strings.Contains(sum, `href="#vraag-kc_plannen"`) {
		t.Error("the public summary lacks the key figures")
	}
	if strings.Contains(p.Body, "survey-nav") {
		t.Error("the public page carries the researcher's sub-navigation")
	}
}
