package handlers

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

// respondent is one generated respondent of the known data set: every answer follows from
// its number, so the expected counts can be worked out without the app.
type respondent struct {
	Municipality models.Municipality
	Department   string
	Plans        []string // kc_plannen
	Other        string   // kc_plannen "anders" text, when Plans holds anders
	Together     string   // kc_stellingen.meer_samenwerken
	Concrete     string   // kc_concreet
}

var scale = []string{"helemaal_oneens", "oneens", "neutraal", "eens", "helemaal_eens"}

// tricky open answers: each must come out as text on every page and neutralised in exports.
var tricky = []string{
	`<script>alert("x")</script> en 'quotes' & "meer"`,
	"Regel één\nRegel twee 🎉",
	`=HYPERLINK("http://evil.example","klik")`,
	"+31 6 12345678",
	"@SUM(A1:A2)",
	"-1+1",
	"-geen-",
	"-",
}

// knownSet builds 40 respondents: 20 in Zuid-Holland, 12 in Noord-Brabant, 5 in Utrecht and 3
// in Limburg (too small: Utrecht is then hidden as its complement).
func knownSet(t *testing.T, app *testApp) []respondent {
	t.Helper()
	want := []struct {
		province string
		n        int
	}{{"Zuid-Holland", 20}, {"Noord-Brabant", 12}, {"Utrecht", 5}, {"Limburg", 3}}
	var out []respondent
	for _, w := range want {
		var ms []models.Municipality
		if err := app.db.Read.Where("register = ? AND province = ?", "2018", w.province).Order("code").Limit(w.n).Find(&ms).Error; err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, respondent{Municipality: m})
		}
	}
	for i := range out {
		r := &out[i]
		switch {
		case i%10 < 6:
			r.Department = "communicatie"
		case i%10 < 8:
			r.Department = "dienstverlening"
		case i%10 == 8:
			r.Department = "participatie"
		default:
			r.Department = "anders"
		}
		if i%5 != 0 {
			r.Plans = append(r.Plans, "basis_op_orde")
		}
		if i%2 == 0 {
			r.Plans = append(r.Plans, "sturing")
		}
		if i%7 == 3 {
			r.Plans = append(r.Plans, "anders")
			r.Other = tricky[(i/7)%len(tricky)]
		}
		if i%4 == 0 {
			r.Together = models.DontKnowCode
		} else {
			r.Together = scale[(i*3)%5]
		}
		if i < len(tricky) {
			r.Concrete = tricky[i]
		} else if i%3 == 0 {
			r.Concrete = fmt.Sprintf("Plan nummer %d", i)
		}
	}
	return out
}

// submit sends one respondent's questionnaire through the forms, as a browser would.
func (r respondent) submit(t *testing.T, app *testApp) {
	t.Helper()
	c := app.newClient()
	c.start()
	sections := []url.Values{
		{"gemeente": {r.Municipality.Code}, "afdeling": {r.Department}},
		{"kc_plannen": r.Plans, "kc_stellingen.meer_samenwerken": {r.Together}, "kc_concreet": {r.Concrete}},
		{}, {}, {},
	}
	if r.Department == "anders" {
		sections[0].Set("afdeling.anders", "Informatiebeheer")
	}
	if r.Other != "" {
		sections[1].Set("kc_plannen.anders", r.Other)
	}
	var p *page
	for i, form := range sections {
		form.Set("actie", "volgende")
		p = c.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), form)
		if p.Status != http.StatusOK {
			t.Fatalf("%s step %d: %d", r.Municipality.Name, i+1, p.Status)
		}
	}
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("%s: submit ended at %s (%d)", r.Municipality.Name, p.URL, p.Status)
	}
}

// closeSurvey closes the reference survey the way the researcher's button does.
func (a *testApp) closeSurvey() *models.Survey {
	a.t.Helper()
	s, err := models.FindSurvey(a.db.Read, refSlug)
	if err != nil {
		a.t.Fatal(err)
	}
	if err := models.CloseSurvey(a.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		a.t.Fatal(err)
	}
	s, _ = models.FindSurvey(a.db.Read, refSlug)
	return s
}

// submitKnownSet submits the known set through the forms and closes the survey.
func submitKnownSet(t *testing.T, app *testApp) []respondent {
	t.Helper()
	set := knownSet(t, app)
	for _, r := range set {
		r.submit(t, app)
	}
	app.closeSurvey()
	return set
}

// expected is what a results view must show, counted here from the generated set alone.
type expected struct {
	n, together, togetherDK int
	plans                   map[string]int
	dept                    map[string]int
	scale                   map[string]int
}

func expect(set []respondent, keep func(respondent) bool) expected {
	e := expected{plans: map[string]int{}, dept: map[string]int{}, scale: map[string]int{}}
	for _, r := range set {
		if !keep(r) {
			continue
		}
		e.n++
		e.dept[r.Department]++
		for _, p := range r.Plans {
			e.plans[p]++
		}
		if r.Together == models.DontKnowCode {
			e.togetherDK++
		} else {
			e.together++
			e.scale[r.Together]++
		}
	}
	return e
}

// halfUp is a percentage rounded half up, computed independently of the app.
func halfUp(n, base int) int { return int(math.Floor(float64(n)*100/float64(base) + 0.5)) }

// hamilton is the largest remainder method, computed independently of the app.
func hamilton(counts []int, base int) []int {
	out := make([]int, len(counts))
	type r struct {
		i   int
		rem float64
	}
	var rs []r
	sum := 0
	for i, n := range counts {
		exact := float64(n) * 100 / float64(base)
		out[i] = int(math.Floor(exact))
		sum += out[i]
		rs = append(rs, r{i, exact - math.Floor(exact)})
	}
	sort.SliceStable(rs, func(a, b int) bool { return rs[a].rem > rs[b].rem })
	for k := 0; k < 100-sum; k++ {
		out[rs[k].i]++
	}
	return out
}

var all = func(respondent) bool { return true }

func TestResultsPageShowsTheKnownCounts(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	p := res.get("/admin/surveys/" + refSlug + "/results")
	if p.Status != http.StatusOK {
		t.Fatalf("results page: %d", p.Status)
	}
	e := expect(set, all)
	p.mustContain(t, fmt.Sprintf("%d van 380 gemeenten (%d %%)", e.n, halfUp(e.n, 380)), "Profiel van de respondenten")
	plansN := e.n // multiple choice: everyone who was shown the question is in the base
	for _, code := range []string{"basis_op_orde", "sturing"} {
		label := map[string]string{"basis_op_orde": "De basis van het klantcontact op orde brengen", "sturing": "Meer sturing aanbrengen in het klantcontact"}[code]
		want := fmt.Sprintf("<th scope=\"row\">%s</th><td>%d %% (%d)</td>", label, halfUp(e.plans[code], plansN), e.plans[code])
		p.mustContain(t, want)
	}
	// Department: one answer each, shares add to 100 by the largest remainder.
	depts := []string{"communicatie", "dienstverlening", "participatie", "anders"}
	counts := make([]int, len(depts))
	for i, d := range depts {
		counts[i] = e.dept[d]
	}
	pcts := hamilton(counts, e.n)
	p.mustContain(t, fmt.Sprintf("<th scope=\"row\">Communicatie</th><td>%d %% (%d)</td>", pcts[0], counts[0]))
	// Likert: distribution without "weet niet", and the combined shares.
	sc := make([]int, 5)
	for i, code := range scale {
		sc[i] = e.scale[code]
	}
	dist := hamilton(sc, e.together)
	comb := hamilton([]int{sc[0] + sc[1], sc[2], sc[3] + sc[4]}, e.together)
	row := fmt.Sprintf("<td>%d %% (%d)</td><td>%d %% (%d)</td><td>%d %% (%d)</td><td>%d %% (%d)</td><td>%d %% (%d)</td><td>%d %%</td><td>%d %%</td><td>%d</td><td>%d</td>",
		dist[0], sc[0], dist[1], sc[1], dist[2], sc[2], dist[3], sc[3], dist[4], sc[4], comb[0], comb[2], e.together, e.togetherDK)
	p.mustContain(t, row, "<svg", "<title id=\"grafiek-kc_plannen-t\">", "<desc id=\"grafiek-kc_stellingen-d\">")
	p.mustContain(t, fmt.Sprintf("‘Anders, namelijk’: %d toelichtingen", e.plans["anders"]))
	// Open answers and "anders" texts are text, never markup.
	if strings.Contains(p.Body, "<script>alert") {
		t.Error("an open answer reached the results page as markup")
	}
	p.mustContain(t, html.EscapeString(`=HYPERLINK("http://evil.example","klik")`))

	svg := res.get("/admin/surveys/" + refSlug + "/results/chart/kc_stellingen.svg")
	if svg.Status != http.StatusOK || !strings.HasPrefix(svg.Header.Get("Content-Type"), "image/svg+xml") || !strings.Contains(svg.Body, "<title") {
		t.Errorf("chart download: %d %s", svg.Status, svg.Header.Get("Content-Type"))
	}
}

func TestBreakdownsShowSubgroupCountsAndHideSmallGroups(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	p := res.get("/admin/surveys/" + refSlug + "/results?indeling=provincie")
	if p.Status != http.StatusOK {
		t.Fatalf("breakdown: %d", p.Status)
	}
	plansIn := func(province string) (shown int) {
		for _, r := range set {
			if r.Municipality.Province == province {
				shown++
			}
		}
		return shown
	}
	for _, prov := range []string{"Zuid-Holland", "Noord-Brabant"} {
		e := expect(set, func(r respondent) bool { return r.Municipality.Province == prov })
		p.mustContain(t, fmt.Sprintf("<th scope=\"row\">%s</th><td>%d</td>", prov, e.n), fmt.Sprintf("%s (n = %d)", prov, e.n))
		if !strings.Contains(p.Body, fmt.Sprintf("%d %% (%d)", halfUp(e.plans["basis_op_orde"], plansIn(prov)), e.plans["basis_op_orde"])) {
			t.Errorf("%s: basis op orde %d of %d not on the page", prov, e.plans["basis_op_orde"], plansIn(prov))
		}
	}
	// Limburg (3) is below 5; Utrecht (5) goes as its complement, or Limburg = total − rest.
	p.mustContain(t, "<th scope=\"row\">Limburg</th><td>te klein (minder dan 5)</td>", "<th scope=\"row\">Utrecht</th><td>verborgen om terugrekenen te voorkomen</td>",
		"Limburg: te klein (minder dan 5)", "Utrecht: verborgen om terugrekenen te voorkomen")

	// A minimum that is not a whole number is refused beside the field; the typed text and
	// the other settings stay, and the saved minimum is unchanged.
	p = res.post("/admin/surveys/"+refSlug+"/results/settings", url.Values{"min_groep": {"drie"}, "anoniem": {"true"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("min_groep=drie: status %d, want 422", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Er is een probleem", `href="#min_groep"`, `id="min_groep-error"`, `value="drie"`, `id="anoniem" name="anoniem" value="true" checked`)
	p = res.get("/admin/surveys/" + refSlug + "/results?indeling=provincie")
	p.mustContain(t, "<th scope=\"row\">Limburg</th><td>te klein (minder dan 5)</td>")

	// A smaller minimum shows Utrecht and Limburg again.
	res.post("/admin/surveys/"+refSlug+"/results/settings", url.Values{"min_groep": {"3"}})
	p = res.get("/admin/surveys/" + refSlug + "/results?indeling=provincie")
	p.mustContain(t, "<th scope=\"row\">Limburg</th><td>3</td>", "<th scope=\"row\">Utrecht</th><td>5</td>")

	p = res.get("/admin/surveys/" + refSlug + "/results?indeling=afdeling")
	e := expect(set, func(r respondent) bool { return r.Department == "communicatie" })
	p.mustContain(t, fmt.Sprintf("<th scope=\"row\">Communicatie</th><td>%d</td>", e.n))
	p = res.get("/admin/surveys/" + refSlug + "/results?indeling=grootte")
	var sum int
	for _, m := range regexp.MustCompile(`<th scope="row">[^<]*inwoners[^<]*</th><td>(\d+)</td>`).FindAllStringSubmatch(p.Body, -1) {
		var n int
		fmt.Sscan(m[1], &n)
		sum += n
	}
	if sum != len(set) && !strings.Contains(p.Body, "niet getoond") {
		t.Errorf("size classes add up to %d of %d", sum, len(set))
	}
}

func TestOpenAnswersAreSearchableAndTaggable(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/open/kc_concreet"
	p := res.get(base)
	n := 0
	for _, r := range set {
		if r.Concrete != "" {
			n++
		}
	}
	p.mustContain(t, fmt.Sprintf("%d antwoorden", n), html.EscapeString(tricky[0]), "Regel één\nRegel twee 🎉")
	if strings.Contains(p.Body, "<script>alert") {
		t.Error("open answer rendered as markup")
	}
	p = res.get(base + "?q=" + url.QueryEscape("plan nummer"))
	p.mustContain(t, "antwoorden met ‘plan nummer’")
	if strings.Contains(p.Body, "Regel twee") {
		t.Error("search kept an answer without the words")
	}
	p = res.post(base+"/themes", url.Values{"naam": {"Plannen"}})
	p.mustContain(t, "Plannen")
	if p = res.post(base+"/themes", url.Values{"naam": {"  "}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("empty theme name: %d", p.Status)
	}
	theme := regexp.MustCompile(`<option value="(\d+)">Plannen</option>`).FindStringSubmatch(res.get(base).Body)
	answers := regexp.MustCompile(`id="antwoord-(\d+)"`).FindAllStringSubmatch(res.last.Body, -1)
	if theme == nil || len(answers) < 2 {
		t.Fatal("no theme or answers to tag")
	}
	for _, a := range answers[:2] {
		res.post(base+"/tags", url.Values{"antwoord": {a[1]}, "thema": {theme[1]}})
	}
	res.post(base+"/tags", url.Values{"antwoord": {answers[1][1]}, "thema": {theme[1]}, "actie": {"verwijderen"}})
	res.get("/admin/surveys/"+refSlug+"/results").mustContain(t, "<th scope=\"row\">Plannen</th><td>1</td>")
	// An answer of another question cannot be tagged with this question's theme.
	var other models.Answer
	app.db.Read.Where("question = ?", "afdeling").First(&other)
	if p := res.post(base+"/tags", url.Values{"antwoord": {fmt.Sprint(other.ID)}, "thema": {theme[1]}}); p.Status != http.StatusNotFound {
		t.Errorf("tagging another question's answer: %d", p.Status)
	}
}

// TestArticleFiguresOnThePageInTheExportsAndTheAPI loads the article data set (the 119
// responses that reproduce the article of 3 January 2018), closes the survey, and finds the
// published figures where a researcher and a script read them: 80/55/52/11 %, 88 % agree on
// more collaboration, 67 % disagree that the board sees no reason to invest, 31 % response.
func TestArticleFiguresOnThePageInTheExportsAndTheAPI(t *testing.T) {
	app := newTestApp(t)
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
	res := app.asResearcher()
	if p := res.get("/admin/surveys/" + refSlug + "/results"); p.Status != http.StatusForbidden {
		t.Fatalf("results while open: %d", p.Status)
	}
	if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	plans := []struct {
		label          string
		count, percent int
	}{
		{"De basis van het klantcontact op orde brengen", 95, 80},
		{"Meer sturing aanbrengen in het klantcontact", 65, 55},
		{"Data slimmer gebruiken om van reactief naar proactief klantcontact te groeien", 62, 52},
		{"Het serviceniveau van Coolblue en Bol.com nastreven", 13, 11},
	}
	p := res.get("/admin/surveys/" + refSlug + "/results")
	p.mustContain(t, "119 van 380 gemeenten (31 %)", "Totaal (n = 119)",
		"meer moeten samenwerken.: 88 % enigszins eens of helemaal eens",
		"investeren in klantcontact.: 13 % enigszins eens of helemaal eens, 20 % neutraal, 67 % helemaal niet eens of enigszins niet eens (n = 115")
	for _, pl := range plans {
		p.mustContain(t, fmt.Sprintf("<th scope=\"row\">%s</th><td>%d %% (%d)</td>", pl.label, pl.percent, pl.count))
	}
	if strings.Contains(p.Body, "Niemand heeft deze vraag beantwoord") {
		t.Error("a question of the article data set has no answers")
	}

	// Exports: the per-question sheet and the results JSON.
	f := openXLSX(t, res.get("/admin/surveys/"+refSlug+"/export/peiling.xlsx").Body)
	sheet, _ := f.GetRows("kc_plannen")
	for i, pl := range plans {
		if r := sheet[3+i]; r[1] != pl.label || r[2] != strconv.Itoa(pl.count) || r[3] != strconv.Itoa(pl.percent)+"%" {
			t.Errorf("xlsx kc_plannen row %v, want %s %d = %d%%", r, pl.label, pl.count, pl.percent)
		}
	}
	likert, _ := f.GetRows("kc_stellingen")
	if likert[3][0] != "meer_samenwerken" || likert[3][14] != "88%" || likert[5][0] != "bestuur_geen_reden" || likert[5][12] != "67%" {
		t.Errorf("xlsx kc_stellingen rows %v / %v, want 88%% agree and 67%% disagree", likert[3], likert[5])
	}
	cols, rows := readCSV(t, res.get("/admin/surveys/"+refSlug+"/export/antwoorden-excel.csv").Body, ';')
	ticked := 0
	for _, r := range rows {
		if r[cols["kc_plannen_basis_op_orde"]] == "1" {
			ticked++
		}
	}
	if len(rows) != 119 || ticked != 95 {
		t.Errorf("Dutch CSV: %d rows, %d ticked basis op orde; want 119 and 95", len(rows), ticked)
	}

	// The API, with a token.
	token := createToken(t, res, "artikel")
	var doc struct {
		Respondents  int `json:"respondents"`
		ResponseRate int `json:"response_rate_percent"`
		Questions    []struct {
			Code  string `json:"code"`
			Base  string `json:"base"`
			Total *struct {
				N       int `json:"n"`
				Options []struct {
					Percent int `json:"percent"`
				} `json:"options"`
			} `json:"total"`
			Statements []struct {
				Total struct {
					Agree    int `json:"agree_percent"`
					Disagree int `json:"disagree_percent"`
				} `json:"total"`
			} `json:"statements"`
		} `json:"questions"`
	}
	if err := json.Unmarshal([]byte(app.newClient().getWith("/api/v1/surveys/"+refSlug+"/results", token).Body), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Respondents != 119 || doc.ResponseRate != 31 {
		t.Errorf("API response: %d (%d %%), want 119 (31 %%)", doc.Respondents, doc.ResponseRate)
	}
	for _, q := range doc.Questions {
		switch q.Code {
		case "kc_plannen":
			got := []int{q.Total.Options[0].Percent, q.Total.Options[1].Percent, q.Total.Options[2].Percent, q.Total.Options[3].Percent}
			if q.Base != models.BaseShown || q.Total.N != 119 || !reflect.DeepEqual(got, []int{80, 55, 52, 11}) {
				t.Errorf("API kc_plannen: base %s n %d %v, want shown 119 [80 55 52 11]", q.Base, q.Total.N, got)
			}
		case "kc_stellingen":
			if q.Statements[0].Total.Agree != 88 || q.Statements[2].Total.Disagree != 67 {
				t.Errorf("API kc_stellingen: %+v, want 88 agree and 67 disagree", q.Statements)
			}
		}
	}
}

func TestPublishingRefusesAMinimumGroupBelowFive(t *testing.T) {
	app := newTestApp(t)
	res := app.asResearcher()
	res.get(adminBase + "/sluiten")
	res.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	settings := adminBase + "/results/settings"
	published := func() bool {
		s, err := models.SettingsOf(app.db.Read, app.survey().ID)
		if err != nil {
			t.Fatal(err)
		}
		return s.Published
	}
	const refusal = "Een openbare pagina toont geen groepen kleiner dan 5"

	// With a minimum of 3, publishing is refused on the publish page, with what to do.
	if p := res.post(settings, url.Values{"min_groep": {"3"}}); p.Status != http.StatusOK {
		t.Fatalf("minimum 3, unpublished: %d", p.Status)
	}
	publish := adminBase + "/results/publiceren"
	res.get(publish)
	p := res.post(publish, url.Values{"bevestig": {"ja"}, "open_antwoorden": {"true"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("publish with minimum 3: %d, want 422", p.Status)
	}
	p.mustContain(t, refusal, "Kleinste groep", `id="open_antwoorden" name="open_antwoorden" value="true" checked`)
	if published() || app.newClient().get("/r/"+refSlug).Status == http.StatusOK {
		t.Fatal("the results were published with a minimum group of 3")
	}

	// With 5 it is published; lowering the minimum while published is refused beside the field.
	res.get(adminBase + "/results")
	res.post(settings, url.Values{"min_groep": {"5"}})
	res.publish(t, false)
	if !published() {
		t.Fatal("not published with minimum 5")
	}
	res.get(adminBase + "/results")
	if p = res.post(settings, url.Values{"min_groep": {"4"}}); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("minimum 4 while published: %d, want 422", p.Status)
	}
	p.mustContain(t, refusal, `href="#min_groep"`, `id="min_groep-error"`, `value="4"`)
	if s, _ := models.SettingsOf(app.db.Read, app.survey().ID); s.MinGroupSize != 5 || !s.Published {
		t.Errorf("after the refusal: minimum %d, published %v", s.MinGroupSize, s.Published)
	}
	res.get(publish)
	res.post(publish, url.Values{"actie": {"offline"}})

	// Unpublished, the researcher may look at smaller groups.
	if p = res.post(settings, url.Values{"min_groep": {"3"}}); p.Status != http.StatusOK || published() {
		t.Errorf("minimum 3 unpublished: %d, published %v", p.Status, published())
	}
}
