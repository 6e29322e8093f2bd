package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

var (
	previewBanner = regexp.MustCompile(`(?s)\n<div class="preview-banner".*?</div>\n`)
	tokenValues   = regexp.MustCompile(`name="(_csrf|inzending)" value="[^"]*"`)
)

// asLive turns a preview page into what the live survey would have sent: without the banner,
// with the survey's own addresses, and without the per-request tokens.
func asLive(body, base, slug string) string {
	body = previewBanner.ReplaceAllString(body, "")
	body = strings.ReplaceAll(body, `"`+base, `"/s/`+slug)
	return tokenValues.ReplaceAllString(body, `name="$1" value=""`)
}

func samePage(t *testing.T, what string, live, preview *page, base string) {
	t.Helper()
	if live.Status != preview.Status {
		t.Errorf("%s: live %d, preview %d", what, live.Status, preview.Status)
	}
	l := tokenValues.ReplaceAllString(live.Body, `name="$1" value=""`)
	p := asLive(preview.Body, base, refSlug)
	if l != p {
		t.Errorf("%s: the preview differs from the live page:\n%s", what, firstDifference(l, p))
	}
}

func firstDifference(a, b string) string {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			lo := max(0, i-200)
			return fmt.Sprintf("live:    …%s…\npreview: …%s…", a[lo:min(len(a), i+200)], b[lo:min(len(b), i+200)])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(a), len(b))
}

func TestPreviewRendersTheLivePagesAndStoresNothing(t *testing.T) {
	app := newTestApp(t)
	live := app.newClient()
	researcher := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/preview"

	samePage(t, "start", live.get("/s/"+refSlug), researcher.get(base), base)
	researcher.last.mustContain(t, "Voorbeeld.", "Wat u hier invult, wordt nergens bewaard", `action="`+base+`/start"`)
	live.post("/s/"+refSlug+"/start", nil)
	p := researcher.post(base+"/start", nil)
	if p.URL != base+"/stap/1" {
		t.Fatalf("preview start led to %s", p.URL)
	}
	samePage(t, "step 1", live.get("/s/"+refSlug+"/stap/1"), researcher.get(base+"/stap/1"), base)

	// The same mistakes give the same 422 page.
	bad := url.Values{"gemeente": {"Atlantis"}, "afdeling": {"anders"}, "actie": {"volgende"}}
	samePage(t, "step 1 with errors", live.post("/s/"+refSlug+"/stap/1", clone(bad)), researcher.post(base+"/stap/1", clone(bad)), base)

	for i, form := range sectionAnswers("Ede") {
		form.Set("actie", "volgende")
		lp := live.post(fmt.Sprintf("/s/%s/stap/%d", refSlug, i+1), clone(form))
		pp := researcher.post(fmt.Sprintf("%s/stap/%d", base, i+1), clone(form))
		if strings.TrimPrefix(pp.URL, base) != strings.TrimPrefix(lp.URL, "/s/"+refSlug) {
			t.Fatalf("step %d: live went to %s, preview to %s", i+1, lp.URL, pp.URL)
		}
	}
	samePage(t, "check", live.last, researcher.last, base)
	samePage(t, "step 2 from the check page", live.get("/s/"+refSlug+"/stap/2?terug=controleren"), researcher.get(base+"/stap/2?terug=controleren"), base)

	drafts := app.responses(models.ResponseDraft)
	researcher.get(base + "/controleren")
	p = researcher.post(base+"/verzenden", url.Values{"inzending": {researcher.last.hidden(t, "inzending")}})
	if p.Status != http.StatusOK || p.URL != base+"/bevestiging" {
		t.Fatalf("preview submit: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "Uw antwoorden zijn verzonden", "VOORBEELD", "Voorbeeld.")
	if n := app.responses(models.ResponseSubmitted); n != 0 {
		t.Errorf("the preview stored %d submitted responses", n)
	}
	if n := app.responses(models.ResponseDraft); n != drafts || n != 1 { // the live client's draft only
		t.Errorf("drafts: %d before the preview submit, %d after", drafts, n)
	}
}

func TestPreviewWorksInEveryStatusWithValidation(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	base := "/admin/surveys/" + editorSlug + "/preview"
	c.addQuestion("1", models.KindNumber, url.Values{"tekst": {"Hoeveel fte?"}, "verplicht": {"ja"}, "max": {"10"}})
	if p := app.newClient().get("/s/" + editorSlug); p.Status != http.StatusForbidden {
		t.Errorf("a draft's live page: %d", p.Status)
	}
	for _, status := range []string{models.StatusDraft, models.StatusOpen, models.StatusClosed} {
		app.setStatus(editorSlug, status)
		c.get(base).mustContain(t, "Dienstverlening 2027", "Start de peiling")
		c.post(base+"/start", nil)
		p := c.post(base+"/stap/1", url.Values{"gemeente": {"Ede"}, "hoeveel_fte": {"12"}, "actie": {"volgende"}})
		if p.Status != http.StatusUnprocessableEntity {
			t.Fatalf("%s: an answer above max: %d", status, p.Status)
		}
		p.mustContain(t, "Er is een probleem", "Voorbeeld.")
		p = c.post(base+"/stap/1", url.Values{"gemeente": {"Ede"}, "hoeveel_fte": {"3,5"}, "actie": {"volgende"}})
		if p.URL != base+"/controleren" {
			t.Fatalf("%s: after the last step at %s", status, p.URL)
		}
		p.mustContain(t, "Controleer uw antwoorden", "Ede", "3,5")
		c.post(base+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}}).mustContain(t, "VOORBEELD")
	}
	var n int64
	app.db.Read.Model(&models.Response{}).Count(&n)
	if n != 0 {
		t.Errorf("previews stored %d responses", n)
	}
}

func TestSharedPreviewLinkWorksUntilTheSurveyOpens(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	newDraft(t, c)
	m := regexp.MustCompile(`value="http://[^"]+(/voorbeeld/[^"]+)"`).FindStringSubmatch(c.get(editorBase).Body)
	if m == nil {
		t.Fatal("the editor shows no link for colleagues")
	}
	link := m[1]
	colleague := app.newClient()
	p := colleague.get(link)
	if p.Status != http.StatusOK {
		t.Fatalf("shared link: %d", p.Status)
	}
	p.mustContain(t, "Voorbeeld.", "Dienstverlening 2027", `action="`+link+`/start"`)
	if strings.Contains(p.Body, "Terug naar de editor") {
		t.Error("a colleague without an account is sent to the editor")
	}
	if p = colleague.post(link+"/start", nil); p.URL != link+"/stap/1" {
		t.Fatalf("colleague's start led to %s", p.URL)
	}
	if p = colleague.get(editorBase); p.URL != "/admin/login" {
		t.Errorf("the shared link gave access to the editor: %s", p.URL)
	}
	if p = colleague.get(strings.TrimSuffix(link, link[len(link)-3:]) + "xyz"); p.Status != http.StatusNotFound {
		t.Errorf("a forged link: %d", p.Status)
	}
	s, _ := models.FindSurvey(app.db.Read, editorSlug)
	if err := models.OpenSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if p = colleague.get(link); p.Status != http.StatusGone {
		t.Errorf("after opening, the shared link gave %d", p.Status)
	}
}

// clone copies a form, so that one client's CSRF token does not travel with another's post.
func clone(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

func TestPreviewStartsAgainOnRequest(t *testing.T) {
	app := newTestApp(t)
	c := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/preview"
	c.get(base)
	c.post(base+"/start", nil)
	form := sectionAnswers("Ede")[0]
	form.Set("actie", "later")
	c.post(base+"/stap/1", form).mustContain(t, "http://", base)
	c.get(base).mustContain(t, "Verder met invullen", "Stap 1 van 5 is ingevuld")
	p := c.post(base+"/opnieuw", nil)
	if p.URL != base || strings.Contains(p.Body, "Verder met invullen") {
		t.Errorf("after starting again: %s", p.URL)
	}
	p.mustContain(t, "Start de peiling")
}

func TestPreviewFollowsSkipLogicAsTheLiveSurveyDoes(t *testing.T) {
	app := newTestApp(t)
	ref, _ := models.ReferenceSurvey()
	src := strings.Replace(string(ref), "slug: klantcontact-2018", "slug: met-sprong", 1)
	src = strings.Replace(src, "  - title: {nl: \"Burgerparticipatie\", en: \"Citizen participation\"}\n", "  - title: {nl: \"Burgerparticipatie\", en: \"Citizen participation\"}\n    show_if: {question: overleg, values: [ja]}\n", 1)
	def, err := models.ParseDefinition("sprong.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen); err != nil {
		t.Fatal(err)
	}
	live := app.newClient()
	researcher := app.asResearcher()
	base := "/admin/surveys/met-sprong/preview"
	live.get("/s/met-sprong")
	live.post("/s/met-sprong/start", nil)
	researcher.get(base)
	researcher.post(base+"/start", nil)
	answers := sectionAnswers("Ede")
	answers[0].Set("overleg", "nee")
	for _, n := range []int{1, 2, 4, 5} { // page 3 is skipped after "nee"
		form := answers[n-1]
		form.Set("actie", "volgende")
		lp := live.post(fmt.Sprintf("/s/met-sprong/stap/%d", n), clone(form))
		pp := researcher.post(fmt.Sprintf("%s/stap/%d", base, n), clone(form))
		if strings.TrimPrefix(pp.URL, base) != strings.TrimPrefix(lp.URL, "/s/met-sprong") || pp.Status != lp.Status {
			t.Fatalf("page %d: live %d at %s, preview %d at %s", n, lp.Status, lp.URL, pp.Status, pp.URL)
		}
		if n == 2 {
			pp.mustContain(t, "Stap 3 van 4")
		}
	}
	l := tokenValues.ReplaceAllString(live.last.Body, `name="$1" value=""`)
	p := asLive(researcher.last.Body, base, "met-sprong")
	if l != p {
		t.Errorf("check page with a skipped page differs:\n%s", firstDifference(l, p))
	}
}
