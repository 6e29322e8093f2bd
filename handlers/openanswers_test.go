package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"peiling/models"
)

// concreteAnswers lists the ids of the answers to kc_concreet in the order of the page.
func concreteAnswers(t *testing.T, p *page) []string {
	t.Helper()
	var ids []string
	for _, m := range regexp.MustCompile(`id="antwoord-(\d+)"`).FindAllStringSubmatch(p.Body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

// themeID finds a theme's id in the theme select of the answers form.
func themeID(t *testing.T, p *page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<option value="(\d+)">` + regexp.QuoteMeta(name) + `</option>`).FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no theme %q on %s", name, p.URL)
	}
	return m[1]
}

func TestOpenAnswersAreTaggedInBulkFilteredRenamedAndMerged(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/open/kc_concreet"
	var written []respondent
	for _, r := range set {
		if r.Concrete != "" {
			written = append(written, r)
		}
	}
	p := res.get(base)
	// Each answer shows its department and size class.
	first := written[0]
	p.mustContain(t, "Afdeling: Communicatie · "+models.SizeClassOf(first.Municipality.Population).Label)

	res.post(base+"/themes", url.Values{"naam": {"Kanalen"}})
	p = res.post(base+"/themes", url.Values{"naam": {"Plannen"}})
	p.mustContain(t, `role="status"><p>Thema ‘Plannen’ is toegevoegd.</p>`)
	ids := concreteAnswers(t, p)
	if len(ids) != len(written) {
		t.Fatalf("%d answers on the page, want %d", len(ids), len(written))
	}
	// Every checkbox is named after its own answer; no row of identical buttons.
	for i, id := range ids {
		p.mustContain(t, fmt.Sprintf(`<label class="answer__label" for="kies-%s"><span class="visually-hidden">Antwoord %d: </span>`, id, i+1))
	}
	if n := strings.Count(p.Body, "Thema toekennen"); n > 0 {
		t.Errorf("%d identical ‘Thema toekennen’ buttons", n)
	}
	kanalen, plannen := themeID(t, p, "Kanalen"), themeID(t, p, "Plannen")

	// Three answers at once, then two of them again with one more: counts follow.
	p = res.post(base+"/tags", url.Values{"antwoord": ids[:3], "thema": {kanalen}, "actie": {"toekennen"}})
	p.mustContain(t, `role="status"><p>Thema ‘Kanalen’ toegekend aan 3 antwoorden. Het thema heeft nu 3 antwoorden.</p>`)
	p = res.post(base+"/tags", url.Values{"antwoord": ids[1:4], "thema": {kanalen}, "actie": {"toekennen"}})
	p.mustContain(t, "toegekend aan 1 antwoord (2 had het al). Het thema heeft nu 4 antwoorden.")
	res.post(base+"/tags", url.Values{"antwoord": ids[3:6], "thema": {plannen}, "actie": {"toekennen"}})
	// One tag removed with its own button.
	p = res.post(base+"/tags", url.Values{"verwijder": {kanalen + "-" + ids[0]}})
	p.mustContain(t, "Thema ‘Kanalen’ weggehaald bij 1 antwoord. Het thema heeft nu 3 antwoorden.")

	// Filters: by theme, not yet coded, combined with search.
	if got := concreteAnswers(t, res.get(base+"?thema="+kanalen)); strings.Join(got, ",") != strings.Join(ids[1:4], ",") {
		t.Errorf("filter Kanalen: %v, want %v", got, ids[1:4])
	}
	uncoded := concreteAnswers(t, res.get(base+"?thema=geen"))
	if want := append([]string{ids[0]}, ids[6:]...); strings.Join(uncoded, ",") != strings.Join(want, ",") {
		t.Errorf("not yet coded: %v, want %v", uncoded, want)
	}
	res.last.mustContain(t, fmt.Sprintf("%d antwoorden nog niet gecodeerd.", len(ids)-5))
	p = res.get(base + "?thema=geen&q=" + url.QueryEscape("plan nummer"))
	for _, id := range concreteAnswers(t, p) {
		if id == ids[0] {
			t.Error("search and filter kept an answer without the words")
		}
	}
	want := 0 // the uncoded answers (the first, and from the seventh on) that hold the words
	for i, r := range written {
		if (i == 0 || i >= 6) && strings.Contains(strings.ToLower(r.Concrete), "plan nummer") {
			want++
		}
	}
	if got := len(concreteAnswers(t, p)); got != want || want == 0 {
		t.Errorf("not yet coded with ‘plan nummer’: %d answers, want %d", got, want)
	}

	// Everything a search shows at once: the page offers it only when filtered.
	if strings.Contains(res.get(base).Body, `value="alle"`) {
		t.Error("tag-all offered without a filter")
	}
	matches, had := 0, 0 // answers with the words; of those, already in Plannen (the 4th to 6th)
	for i, r := range written {
		if strings.Contains(strings.ToLower(r.Concrete), "plan nummer") {
			matches++
			if i >= 3 && i < 6 {
				had++
			}
		}
	}
	p = res.get(base + "?q=" + url.QueryEscape("plan nummer"))
	p.mustContain(t, fmt.Sprintf("Toekennen aan alle %d getoonde antwoorden", matches))
	p = res.post(base+"/tags", url.Values{"thema": {plannen}, "actie": {"alle"}, "q": {"plan nummer"}})
	p.mustContain(t, fmt.Sprintf("Thema ‘Plannen’ toegekend aan %d antwoorden", matches-had), fmt.Sprintf("Het thema heeft nu %d antwoorden.", 3+matches-had))
	res.post(base+"/tags", url.Values{"thema": {plannen}, "actie": {"verwijderen"}, "antwoord": ids[6:]})

	// Rename; a taken name is refused beside its field, with the summary focused.
	p = res.post(base+"/themes/"+kanalen+"/naam", url.Values{"naam": {"Plannen"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("rename to a taken name: %d", p.Status)
	}
	p.mustContain(t, "data-autofocus", `href="#naam-`+kanalen+`"`, `id="naam-`+kanalen+`-error"`, "Er is al een thema ‘Plannen’")
	p = res.post(base+"/themes/"+kanalen+"/naam", url.Values{"naam": {"  Nieuwe   kanalen "}})
	p.mustContain(t, "Het thema heet nu ‘Nieuwe kanalen’.", `<th scope="row">Nieuwe kanalen</th><td data-theme-count="`+kanalen+`">3</td>`)

	// Merge Plannen (ids 3..5) into Nieuwe kanalen (ids 1..3): the union, 5 answers.
	p = res.post(base+"/themes/"+plannen+"/samenvoegen", url.Values{"met": {kanalen}, "filter": {plannen}})
	p.mustContain(t, "De thema&#39;s zijn samengevoegd tot ‘Nieuwe kanalen’, met 5 antwoorden.")
	if strings.Contains(p.Body, ">Plannen<") {
		t.Error("the merged theme is still there")
	}
	if got := concreteAnswers(t, p); len(got) != 5 {
		t.Errorf("after merging, the filter shows %d answers of the kept theme, want 5", len(got))
	}

	// The results page: the themes as a chart, with shares of those who answered.
	p = res.get("/admin/surveys/" + refSlug + "/results")
	pct := halfUp(5, len(written))
	p.mustContain(t, `<svg`, `<title id="themas-kc_concreet-t">`, fmt.Sprintf("Nieuwe kanalen: %d %% (5)", pct),
		fmt.Sprintf(`<th scope="row">Nieuwe kanalen</th><td>5</td><td>%d %%</td>`, pct),
		fmt.Sprintf("%% van wie antwoordde (n = %d)", len(written)))
}

func TestAddingAThemeWithoutANameFocusesTheErrorSummary(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/open/kc_concreet"
	res.get(base)
	p := res.post(base+"/themes", url.Values{"naam": {"   "}, "filter": {"geen"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("empty name: %d", p.Status)
	}
	p.mustContain(t, `<div class="error-summary" role="alert" tabindex="-1" aria-labelledby="error-summary-title" data-autofocus>`,
		`<a href="#naam">Geef het thema een naam`, `aria-invalid="true" aria-describedby="naam-error"`, `<title>Fout: `,
		`<option value="geen" selected>`)
	// Tagging without choosing an answer is refused the same way.
	res.post(base+"/themes", url.Values{"naam": {"Iets"}})
	p = res.post(base+"/tags", url.Values{"thema": {themeID(t, res.last, "Iets")}, "actie": {"toekennen"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("no answers chosen: %d", p.Status)
	}
	p.mustContain(t, `<a href="#antwoorden">Kies een of meer antwoorden`)
}

// TestTaggingWithScriptAnswersWithoutReloading is the request peiling.js sends: the same form
// with the CSRF token, asking for JSON, which carries the announcement and the new tags.
func TestTaggingWithScriptAnswersWithoutReloading(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/open/kc_concreet"
	res.get(base)
	p := res.post(base+"/themes", url.Values{"naam": {"Kanalen"}})
	ids, theme, token := concreteAnswers(t, p), themeID(t, p, "Kanalen"), p.hidden(t, "_csrf")
	send := func(form url.Values, token string) (*page, tagResult) {
		t.Helper()
		form.Set("_csrf", token)
		req, _ := http.NewRequest(http.MethodPost, app.srv.URL+base+"/tags", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", token)
		p := res.noRedirects().do(req)
		var out tagResult
		if p.Status != http.StatusForbidden {
			if err := json.Unmarshal([]byte(p.Body), &out); err != nil {
				t.Fatalf("%d: not JSON: %s", p.Status, p.Body)
			}
		}
		return p, out
	}
	p, out := send(url.Values{"antwoord": ids[:2], "thema": {theme}, "actie": {"toekennen"}}, token)
	if p.Status != http.StatusOK || out.Message != "Thema ‘Kanalen’ toegekend aan 2 antwoorden. Het thema heeft nu 2 antwoorden." {
		t.Fatalf("tag with script: %d %+v", p.Status, out)
	}
	if len(out.Answers) != 2 || len(out.Answers[0].Themes) != 1 || out.Answers[0].Themes[0].Name != "Kanalen" || out.Themes[0].Count != 2 {
		t.Errorf("tag with script: %+v", out)
	}
	p, out = send(url.Values{"verwijder": {theme + "-" + ids[0]}}, token)
	if p.Status != http.StatusOK || len(out.Answers) != 1 || len(out.Answers[0].Themes) != 0 || out.Themes[0].Count != 1 {
		t.Errorf("remove with script: %d %+v", p.Status, out)
	}
	if p, out = send(url.Values{"thema": {theme}}, token); p.Status != http.StatusUnprocessableEntity || out.Message != catalogue.Dutch().T(noAnswersChosen) {
		t.Errorf("nothing chosen with script: %d %+v", p.Status, out)
	}
	if p, _ = send(url.Values{"antwoord": ids[:1], "thema": {theme}}, "wrong"); p.Status != http.StatusForbidden {
		t.Errorf("a wrong CSRF token: %d", p.Status)
	}
	if p := res.get(base); !strings.Contains(p.Body, `<td data-theme-count="`+theme+`">1</td>`) {
		t.Error("the page does not show the count the script was given")
	}
}
