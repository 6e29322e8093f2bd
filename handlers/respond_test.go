package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"peiling/models"
)

func TestFullFlowStoresEveryAnswer(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.get("/s/" + refSlug)
	p.mustContain(t, "Klantcontact en interactie 2018", "ongeveer <strong>10 minuten</strong>", "Privacy", "Start de peiling")

	p = c.start()
	p.mustContain(t, "Stap 1 van 5", "Voor welke gemeente", `list="f-gemeente-list"`, `<option value="Utrecht">`, "(optioneel)")

	p = c.fillAll("Utrecht")
	p.mustContain(t, "Controleer uw antwoorden", "Utrecht", "Anders, namelijk: Informatiebeheer",
		"De basis van het klantcontact op orde brengen", "Weet niet / geen mening", "Wijzig")
	if strings.Contains(p.Body, "<script>alert(1)") {
		t.Error("an open answer reached the page unescaped")
	}
	if app.responses(models.ResponseSubmitted) != 0 {
		t.Fatal("a draft counts as submitted before Verstuur")
	}

	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("submit: %d at %s", p.Status, p.URL)
	}
	ref := regexp.MustCompile(`PL-[A-Z0-9]{4}-[A-Z0-9]{4}`).FindString(p.Body)
	if ref == "" {
		t.Fatal("confirmation shows no reference number")
	}
	p.mustContain(t, "Uw antwoorden zijn verzonden", "namens gemeente <strong>Utrecht</strong>", "Burgerpanel")

	var r models.Response
	if err := app.db.Read.Where("reference = ?", ref).Take(&r).Error; err != nil {
		t.Fatalf("response %s not in the database: %v", ref, err)
	}
	if r.Status != models.ResponseSubmitted || r.MunicipalityCode == nil || *r.MunicipalityCode != "0344" {
		t.Fatalf("stored response = %+v", r)
	}
	answers, _ := models.AnswersOf(app.db.Read, r.ID)
	got := map[string]string{}
	for _, a := range answers {
		got[a.Question+"/"+a.Item+"/"+a.Option] = a.Text
	}
	want := map[string]string{
		"gemeente//0344":                               "Utrecht",
		"afdeling//anders":                             "Informatiebeheer",
		"overleg//ja":                                  "",
		"kc_plannen//basis_op_orde":                    "",
		"kc_plannen//data_proactief":                   "",
		"kc_stellingen/meer_samenwerken/helemaal_eens": "",
		"kc_stellingen/bestuur_geen_reden/weet_niet":   "",
		"kc_concreet//":                                "WhatsApp als kanaal <script>alert(1)</script>\nen een KCC 🎉",
		"bnb_plannen//anders":                          "Newsroom =HYPERLINK(\"x\")",
		"uitdaging//":                                  "De Omgevingswet",
	}
	for k, v := range want {
		if text, ok := got[k]; !ok || text != v {
			t.Errorf("answer %s = %q (present %v), want %q", k, text, ok, v)
		}
	}
	if len(answers) != 15 {
		t.Errorf("stored %d answers, want 15", len(answers))
	}
}

func TestValidationShowsDutchErrorsAndKeepsInput(t *testing.T) {
	long := strings.Repeat("a", 4001)
	cases := []struct {
		name string
		step int
		form url.Values
		want []string
	}{
		{"municipality missing", 1, url.Values{"afdeling": {"communicatie"}}, []string{"Kies de gemeente waarvoor u de peiling invult", `href="#f-gemeente"`, `value="communicatie" checked`}},
		{"unknown municipality", 1, url.Values{"gemeente": {"Atlantis"}, "afdeling": {"communicatie"}}, []string{"We kennen geen gemeente Atlantis", `value="Atlantis"`}},
		{"required single missing", 1, url.Values{"gemeente": {"Utrecht"}}, []string{"Kies een antwoord bij: Voor welke afdeling werkt u?", `href="#f-afdeling-communicatie"`, `value="Utrecht"`}},
		{"anders without text", 1, url.Values{"gemeente": {"Utrecht"}, "afdeling": {"anders"}}, []string{"U koos ‘Anders’. Vul in wat u bedoelt bij: Voor welke afdeling werkt u?", `href="#f-afdeling-anders-tekst"`}},
		{"unknown option", 1, url.Values{"gemeente": {"Utrecht"}, "afdeling": {"marketing"}}, []string{"Kies een van de genoemde antwoorden"}},
		{"two answers to a single question", 1, url.Values{"gemeente": {"Utrecht"}, "afdeling": {"communicatie", "participatie"}}, []string{"Kies één antwoord"}},
		{"unknown multi option", 2, url.Values{"kc_plannen": {"basis_op_orde", "hack"}}, []string{"Kies alleen uit de genoemde antwoorden"}},
		{"unknown likert code", 2, url.Values{"kc_stellingen.meer_samenwerken": {"7"}}, []string{"Kies een van de genoemde antwoorden", `href="#f-kc_stellingen-meer_samenwerken-helemaal_oneens"`}},
		{"text too long", 2, url.Values{"kc_concreet": {long}}, []string{"Uw antwoord is 4001 tekens lang; het mag maximaal 4000 tekens zijn", long}},
		{"invalid UTF-8", 2, url.Values{"kc_concreet": {"caf\xe9"}}, []string{"tekens die we niet kunnen lezen"}},
		{"multi anders without text", 4, url.Values{"bnb_plannen": {"anders"}}, []string{"U koos ‘Anders’. Vul in wat u bedoelt bij: Wat wil uw gemeente in 2018 doen om meer van buiten naar binnen te werken?"}},
	}
	app := newTestApp(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := app.newClient()
			c.start()
			for s := 1; s < tc.step; s++ { // reach the step with valid answers
				form := sectionAnswers("Zeist")[s-1]
				form.Set("actie", "vorige") // saves without claiming: lenient, then we move on below
				if s == 1 {
					form.Set("gemeente", "")
				}
				c.post("/s/"+refSlug+"/stap/"+itoa(s), form)
				c.get("/s/" + refSlug + "/stap/" + itoa(s))
			}
			tc.form.Set("actie", "volgende")
			p := c.post("/s/"+refSlug+"/stap/"+itoa(tc.step), tc.form)
			if p.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", p.Status)
			}
			p.mustContain(t, "<title>Fout: ", "Er is een probleem", `class="error-message"`)
			for _, w := range tc.want {
				if !strings.Contains(p.Body, w) && !strings.Contains(html.UnescapeString(p.Body), w) {
					t.Errorf("page lacks %q", w)
				}
			}
		})
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

func TestBackAndForwardKeepAnswers(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	form := sectionAnswers("Zeist")
	form[0].Set("actie", "volgende")
	c.post("/s/"+refSlug+"/stap/1", form[0])
	form[1].Set("actie", "vorige")
	p := c.post("/s/"+refSlug+"/stap/2", form[1])
	if !strings.HasSuffix(p.URL, "/stap/1") {
		t.Fatalf("Vorige led to %s", p.URL)
	}
	p.mustContain(t, `value="Zeist"`, `value="anders" checked`, `value="Informatiebeheer"`)
	p = c.get("/s/" + refSlug + "/stap/2")
	p.mustContain(t, `value="basis_op_orde" checked`, `value="helemaal_eens" checked`, "WhatsApp als kanaal")
}

func TestSkippingAheadLandsOnFirstUnansweredStep(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	if p := c.get("/s/" + refSlug + "/stap/4"); !strings.HasSuffix(p.URL, "/stap/1") {
		t.Errorf("step 4 before step 1: at %s", p.URL)
	}
	if p := c.get("/s/" + refSlug + "/controleren"); !strings.HasSuffix(p.URL, "/stap/1") {
		t.Errorf("check page before any step: at %s", p.URL)
	}
	if p := c.get("/s/" + refSlug + "/stap/9"); p.Status != http.StatusNotFound {
		t.Errorf("step 9: %d", p.Status)
	}
}

func TestResumeLinkContinuesInAnotherBrowser(t *testing.T) {
	app := newTestApp(t)
	first := app.newClient()
	first.start()
	form := sectionAnswers("Amersfoort")[0]
	form.Set("actie", "later")
	p := first.post("/s/"+refSlug+"/stap/1", form)
	if !strings.HasSuffix(p.URL, "/later") {
		t.Fatalf("Opslaan en later verder led to %s", p.URL)
	}
	link := regexp.MustCompile(`id="hervatlink">(http://[^<]+/hervat/[A-Za-z0-9_-]{43})</p>`).FindStringSubmatch(p.Body)
	if link == nil {
		t.Fatal("no resume link on the page")
	}
	u, _ := url.Parse(link[1])

	colleague := app.newClient()
	p = colleague.get(u.Path)
	if !strings.HasSuffix(p.URL, "/stap/2") {
		t.Fatalf("resume link led to %s", p.URL)
	}
	p = colleague.get("/s/" + refSlug + "/stap/1")
	p.mustContain(t, `value="Amersfoort"`, `value="Informatiebeheer"`)

	// The colleague finishes; the first browser sees it was sent.
	colleague.fillAll("Amersfoort")
	p = colleague.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {colleague.last.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("colleague's submit: %s", p.URL)
	}
	p = first.get("/s/" + refSlug + "/stap/3")
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Errorf("the first browser could still edit a sent response: %s", p.URL)
	}
	if n := app.responses(models.ResponseSubmitted); n != 1 {
		t.Errorf("%d submitted responses, want 1", n)
	}
}

func TestWrongResumeLinksAreRateLimited(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.get("/s/" + refSlug + "/hervat/" + models.NewToken())
	if p.Status != http.StatusNotFound {
		t.Fatalf("unknown link: %d", p.Status)
	}
	p.mustContain(t, "Deze link werkt niet")
	for i := 0; i < 25; i++ {
		p = c.get("/s/" + refSlug + "/hervat/" + models.NewToken())
	}
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("after 26 wrong links: %d, Retry-After %q", p.Status, p.Header.Get("Retry-After"))
	}
}

// TestAClaimFloodBlocksNoMunicipality plays the squatter: one anonymous client starts a
// draft for every municipality of the register. The real municipality still sends its
// response; step 1 told nobody whether a municipality had started or sent; the squatter's
// later send for that municipality is set aside, kept, and never counted.
func TestAClaimFloodBlocksNoMunicipality(t *testing.T) {
	app := newTestApp(t)
	reg, err := app.h.registers.Get(app.db.Read, app.survey().Register)
	if err != nil {
		t.Fatal(err)
	}
	var zeist *client
	for _, m := range reg.List {
		squat := app.newClient()
		squat.start()
		form := sectionAnswers(m.Name)[0]
		form.Set("actie", "volgende")
		p := squat.post("/s/"+refSlug+"/stap/1", form)
		if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/stap/2") {
			t.Fatalf("squatting %s: %d at %s", m.Name, p.Status, p.URL)
		}
		if m.Name == "Zeist" {
			zeist = squat
		}
	}
	if n := app.responses(models.ResponseDraft); n != int64(len(reg.List)) {
		t.Fatalf("%d drafts, want one per municipality (%d)", n, len(reg.List))
	}

	real := app.newClient()
	real.start()
	p := real.post("/s/"+refSlug+"/stap/1", withAction(sectionAnswers("Zeist")[0], "volgende"))
	if p.Status != http.StatusOK || strings.Contains(p.Body, "bezig") || strings.Contains(p.Body, "verzonden") {
		t.Fatalf("step 1 for a squatted municipality: %d, or it tells who started", p.Status)
	}
	check := real.fillAll("Zeist")
	p = real.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {check.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("the real municipality's send: %d at %s", p.Status, p.URL)
	}

	// The squatter finishes Zeist too: set aside, told why, answers kept, not counted.
	check = zeist.fillAll("Zeist")
	p = zeist.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {check.hidden(t, "inzending")}})
	if p.Status != http.StatusConflict {
		t.Fatalf("the squatter's send: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "Gemeente Zeist had deze peiling al verzonden", "bewaard", "tellen niet mee")
	if n := app.responses(models.ResponseSubmitted); n != 1 {
		t.Errorf("%d submitted, want Zeist's one", n)
	}
	var kept int64
	app.db.Read.Model(&models.Answer{}).Joins("JOIN responses r ON r.id = answers.response_id").
		Where("r.status = ? AND r.set_aside_reason = ?", models.ResponseSetAside, models.SetAsideLaterSent).Count(&kept)
	if kept == 0 {
		t.Error("the set-aside response lost its answers")
	}
}

func withAction(form url.Values, action string) url.Values {
	form.Set("actie", action)
	return form
}

func TestASecondSendForAMunicipalityOverwritesNothing(t *testing.T) {
	app := newTestApp(t)
	first := app.newClient()
	first.start()
	p := first.fillAll("Zeist")
	first.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})

	second := app.newClient()
	second.start()
	form := sectionAnswers("Zeist")[0]
	form.Set("afdeling", "participatie")
	form.Del("afdeling.anders")
	form.Set("actie", "volgende")
	p = second.post("/s/"+refSlug+"/stap/1", form)
	if p.Status != http.StatusOK || strings.Contains(p.Body, "verzonden") {
		t.Fatalf("step 1 for a municipality that sent: %d, or it says so", p.Status)
	}
	p = second.fillAll("Zeist")
	p = second.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if p.Status != http.StatusConflict {
		t.Fatalf("second send: %d", p.Status)
	}
	p.mustContain(t, "Gemeente Zeist had deze peiling al verzonden")
	var dept models.Answer
	app.db.Read.Joins("JOIN responses r ON r.id = answers.response_id").
		Where("r.status = ? AND question = ? AND option <> ''", models.ResponseSubmitted, "afdeling").Take(&dept)
	if dept.Option != "anders" {
		t.Errorf("the first response's department became %q", dept.Option)
	}
	// The second browser sees its set-aside page again, and can change nothing.
	if p = second.get("/s/" + refSlug + "/stap/1"); p.Status != http.StatusConflict {
		t.Errorf("step 1 after being set aside: %d", p.Status)
	}
}

func TestDoubleSubmitKeepsOneResponse(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	id := c.fillAll("Ede").hidden(t, "inzending")
	var wg sync.WaitGroup
	pages := make([]*page, 4)
	for i := range pages {
		wg.Add(1)
		go func(i int) { // a double click and retries: the same form, sent four times at once
			defer wg.Done()
			cl := *c
			pages[i] = cl.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {id}})
		}(i)
	}
	wg.Wait()
	for i, p := range pages {
		if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/bevestiging") {
			t.Errorf("submit %d: %d at %s", i, p.Status, p.URL)
		}
	}
	if n := app.responses(models.ResponseSubmitted); n != 1 {
		t.Fatalf("%d submitted responses, want 1", n)
	}
	// An old check page sent again later, with another id, is refused.
	p := c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {models.NewToken()}})
	if p.Status != http.StatusConflict {
		t.Errorf("replayed submit with a new id: %d", p.Status)
	}
}

// TestConcurrentSendsOfOneMunicipalityCountOne sends six complete questionnaires for one
// municipality at once: one counts, five are set aside with their answers.
func TestConcurrentSendsOfOneMunicipalityCountOne(t *testing.T) {
	app := newTestApp(t)
	clients := make([]*client, 6)
	ids := make([]string, len(clients))
	for i := range clients {
		clients[i] = app.newClient()
		clients[i].start()
		ids[i] = clients[i].fillAll("Gouda").hidden(t, "inzending")
	}
	var wg sync.WaitGroup
	statuses := make([]int, len(clients))
	for i, c := range clients {
		wg.Add(1)
		go func(i int, c *client) {
			defer wg.Done()
			statuses[i] = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {ids[i]}}).Status
		}(i, c)
	}
	wg.Wait()
	won, aside := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusOK:
			won++
		case http.StatusConflict:
			aside++
		default:
			t.Errorf("unexpected status %d", s)
		}
	}
	if won != 1 || aside != 5 || app.responses(models.ResponseSubmitted) != 1 || app.responses(models.ResponseSetAside) != 5 {
		t.Fatalf("%d sent, %d set aside (statuses %v); want 1 and 5", won, aside, statuses)
	}
}

func TestSubmitRefusesMissingRequiredAnswers(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	for i, form := range sectionAnswers("Ede") {
		form.Set("actie", "vorige") // saved leniently...
		if i == 0 {
			form.Del("afdeling") // ...without the required department
		}
		c.post("/s/"+refSlug+"/stap/"+itoa(i+1), form)
	}
	p := c.get("/s/" + refSlug + "/controleren")
	p.mustContain(t, "Er is een probleem", "Beantwoord nog de vraag: Voor welke afdeling werkt u?", "Nog niet beantwoord")
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if p.Status != http.StatusUnprocessableEntity || app.responses(models.ResponseSubmitted) != 0 {
		t.Fatalf("incomplete submit: %d, submitted %d", p.Status, app.responses(models.ResponseSubmitted))
	}
}

func TestClosedSurveyShowsAFriendlyPageAndRefusesStalePosts(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	stale := sectionAnswers("Ede")[0]
	stale.Set("actie", "volgende")
	app.setStatus(refSlug, models.StatusClosed)

	p := c.post("/s/"+refSlug+"/stap/1", stale)
	if p.Status != http.StatusGone {
		t.Fatalf("stale POST after closing: %d", p.Status)
	}
	p.mustContain(t, "Deze peiling is gesloten", "niet opgeslagen")
	p = c.get("/s/" + refSlug)
	if p.Status != http.StatusGone {
		t.Fatalf("start page of a closed survey: %d", p.Status)
	}
	p.mustContain(t, "Deze peiling is gesloten")
	if strings.Contains(p.Body, "Start de peiling") {
		t.Error("a closed survey still offers Start")
	}

	app.setStatus(refSlug, models.StatusDraft)
	if p = c.get("/s/" + refSlug); p.Status != http.StatusForbidden || !strings.Contains(p.Body, "nog niet geopend") {
		t.Errorf("draft survey: %d", p.Status)
	}
	if p = c.post("/s/"+refSlug+"/start", nil); p.Status != http.StatusForbidden {
		t.Errorf("start of a draft survey: %d", p.Status)
	}
}

func TestPostsWithoutAValidCSRFTokenAreRefused(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	form := sectionAnswers("Ede")[0]
	form.Set("actie", "volgende")
	for name, token := range map[string]string{"missing": "", "wrong": "not-the-token"} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		body := f.Encode()
		if token != "" {
			body += "&_csrf=" + token
		}
		p := c.postRaw("/s/"+refSlug+"/stap/1", body)
		if p.Status != http.StatusForbidden {
			t.Errorf("%s token: %d, want 403", name, p.Status)
		}
		p.mustContain(t, "Het formulier is verlopen")
	}
	var n int64
	app.db.Read.Model(&models.Answer{}).Count(&n)
	if n != 0 {
		t.Errorf("%d answers stored from forged posts", n)
	}
	// A cross-site browser form is refused on Sec-Fetch-Site even with a token.
	req, _ := http.NewRequest(http.MethodPost, app.srv.URL+"/s/"+refSlug+"/start", strings.NewReader(""))
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if p := c.do(req); p.Status != http.StatusForbidden {
		t.Errorf("cross-site POST: %d", p.Status)
	}
}

func TestForgedSessionCookieStartsAfresh(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	u, _ := url.Parse(app.srv.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionName, Value: "MTcz-forged-value"}})
	p := c.get("/s/" + refSlug + "/stap/1")
	if !strings.HasSuffix(p.URL, "/s/"+refSlug) || p.Status != http.StatusOK {
		t.Fatalf("forged session: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "We konden uw antwoorden op deze computer niet terugvinden")
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.get("/s/" + refSlug)
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
	} {
		if !strings.Contains(p.Header.Get(h), want) {
			t.Errorf("%s = %q, want %q in it", h, p.Header.Get(h), want)
		}
	}
	if strings.Contains(p.Header.Get("Content-Security-Policy"), "unsafe-inline") {
		t.Error("CSP allows inline script")
	}
	c.post("/s/"+refSlug+"/start", nil)
	u, _ := url.Parse(app.srv.URL)
	resp, _ := http.Get(app.srv.URL + "/s/" + refSlug)
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
			t.Errorf("cookie %s: HttpOnly %v SameSite %v", ck.Name, ck.HttpOnly, ck.SameSite)
		}
	}
	_ = u
}

func TestBodiesOverTheLimitAreRefused(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	token := csrfField.FindStringSubmatch(c.last.Body)[1]
	p := c.postRaw("/s/"+refSlug+"/stap/2", "_csrf="+token+"&kc_concreet="+strings.Repeat("x", maxBodyBytes+10))
	if p.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", p.Status)
	}
	p.mustContain(t, "Te veel tekst in één keer")
}

func TestHealthzAndHome(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	if p := c.get("/healthz"); p.Status != http.StatusOK {
		t.Errorf("healthz: %d", p.Status)
	}
	c.get("/").mustContain(t, "Open peilingen", `href="/s/klantcontact-2018"`)
	if p := c.get("/s/bestaat-niet"); p.Status != http.StatusNotFound {
		t.Errorf("unknown survey: %d", p.Status)
	}
}
