package handlers

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"peiling/mail/mailtest"
)

// stepOne posts step 1 with municipality typed as given, everything else valid.
func stepOne(c *client, municipality string, extra url.Values) *page {
	c.t.Helper()
	form := sectionAnswers(municipality)[0]
	for k, v := range extra {
		form[k] = v
	}
	form.Set("actie", "volgende")
	return c.post("/s/"+refSlug+"/stap/1", form)
}

func TestMunicipalityPickerAcceptsCommonNamesAndSpellings(t *testing.T) {
	app := newTestApp(t)
	cases := []struct{ typed, stored string }{
		{"Den Haag", "'s-Gravenhage"},
		{"'s-Gravenhage", "'s-Gravenhage"},
		{"s Gravenhage", "'s-Gravenhage"},
		{"Den Bosch", "'s-Hertogenbosch"},
		{"'s-Hertogenbosch", "'s-Hertogenbosch"},
		{"Súdwest-Fryslân", "Súdwest-Fryslân"},
		{"Sudwest-Fryslan", "Súdwest-Fryslân"},
		{"Bergen (NH.)", "Bergen (NH.)"},
		{"bergen limburg", "Bergen (L.)"},
	}
	for _, tc := range cases {
		t.Run(tc.typed, func(t *testing.T) {
			c := app.newClient()
			c.start()
			p := stepOne(c, tc.typed, nil)
			if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/stap/2") {
				t.Fatalf("%q: %d at %s: %s", tc.typed, p.Status, p.URL, errorSummary(p))
			}
			p = c.get("/s/" + refSlug + "/stap/1")
			p.mustContain(t, `value="`+html.EscapeString(tc.stored)+`"`)
		})
	}
}

func TestMunicipalityPickerAsksWhichBergenAndTakesTheChoice(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	p := stepOne(c, "Bergen", nil)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("Bergen: %d", p.Status)
	}
	p.mustContain(t, "Er zijn 2 gemeenten met de naam Bergen", "Bedoelt u:",
		`name="gemeente.kies" value="Bergen (L.)"`, `name="gemeente.kies" value="Bergen (NH.)"`, `value="Bergen"`)
	if strings.Contains(p.Body, "staat niet in de lijst") {
		t.Error("Bergen is said not to exist")
	}
	p = stepOne(c, "Bergen", url.Values{"gemeente.kies": {"Bergen (L.)"}})
	if !strings.HasSuffix(p.URL, "/stap/2") {
		t.Fatalf("after picking Bergen (L.): %d at %s: %s", p.Status, p.URL, errorSummary(p))
	}
	c.get("/s/"+refSlug+"/stap/1").mustContain(t, `value="Bergen (L.)"`)
}

func TestMunicipalityPickerSuggestsCloseNames(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	p := stepOne(c, "Amsterdm", nil)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("Amsterdm: %d", p.Status)
	}
	p.mustContain(t, "Bedoelt u Amsterdam", `name="gemeente.kies" value="Amsterdam"`, `data-fills="f-gemeente"`)
	p = stepOne(c, "Amsterdm", url.Values{"gemeente.kies": {"Amsterdam"}})
	if !strings.HasSuffix(p.URL, "/stap/2") {
		t.Fatalf("after picking Amsterdam: %d at %s", p.Status, p.URL)
	}
	// The native list knows the common names too, for browsers without the script.
	c.get("/s/"+refSlug+"/stap/1").mustContain(t, `<option value="&#39;s-Gravenhage" label="Den Haag, Gravenhage">`)
}

var (
	editLink    = regexp.MustCompile(`<a href="([^"]+)">Wijzig`)
	summaryLink = regexp.MustCompile(`<li><a href="([^"]+)">`)
)

func TestEveryWijzigLinkLandsOnItsQuestion(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	check := c.fillAll("Utrecht")
	links := editLink.FindAllStringSubmatch(check.Body, -1)
	if len(links) != 13 {
		t.Fatalf("%d Wijzig links, want one per question (13)", len(links))
	}
	for _, m := range links {
		href := html.UnescapeString(m[1])
		path, frag, ok := strings.Cut(href, "#")
		if !ok || frag == "" {
			t.Errorf("link %s has no fragment", href)
			continue
		}
		p := c.get(path)
		if p.Status != http.StatusOK {
			t.Errorf("%s: %d", path, p.Status)
			continue
		}
		if !strings.Contains(p.Body, `id="`+frag+`"`) {
			t.Errorf("Wijzig %s: page %s has no element with id %s", href, p.URL, frag)
		}
	}
}

func TestCheckPageListsUnansweredOptionalQuestions(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	p := c.fillAll("Utrecht")
	// sectionAnswers leaves some optional questions open; the warning counts them all.
	n := strings.Count(p.Body, `<span class="unanswered">Niet beantwoord</span>`)
	if n == 0 {
		t.Fatal("the walk answers every question; the test needs some unanswered")
	}
	want := "U heeft " + itoa(n) + " vragen niet beantwoord"
	if n == 1 {
		want = "U heeft 1 vraag niet beantwoord"
	}
	p.mustContain(t, want)
	region := p.Body[strings.Index(p.Body, "onbeantwoord-titel"):]
	region = region[:strings.Index(region, "</div>")]
	links := summaryLink.FindAllStringSubmatch(region, -1)
	if len(links) != n {
		t.Fatalf("%d links to unanswered questions, want %d", len(links), n)
	}
	for _, m := range links {
		path, frag, _ := strings.Cut(html.UnescapeString(m[1]), "#")
		if p := c.get(path); !strings.Contains(p.Body, `id="`+frag+`"`) {
			t.Errorf("link %s lands nowhere", m[1])
		}
	}
}

func TestAndersFieldSitsInItsQuestionAndIsNamedAfterIt(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.start()
	fs := p.Body[strings.Index(p.Body, `id="f-afdeling"`):]
	fs = fs[:strings.Index(fs, "</fieldset>")]
	for _, want := range []string{
		`aria-controls="f-afdeling-anders-tekst-conditional"`,
		`<div class="choice__conditional" id="f-afdeling-anders-tekst-conditional">`,
		`Vul in wat u bedoelt met ‘Anders’<span class="visually-hidden"> bij de vraag: Voor welke afdeling werkt u?</span>`,
		`name="afdeling.anders"`,
	} {
		if !strings.Contains(fs, want) {
			t.Errorf("the afdeling fieldset lacks %q", want)
		}
	}
	if strings.Contains(fs, "hidden") && strings.Contains(fs, `-conditional" hidden`) {
		t.Error("the Anders field is hidden without the script")
	}
	// Likert statements carry their question for screen readers.
	p = stepOne(c, "Utrecht", nil)
	p.mustContain(t, `<span class="visually-hidden">In hoeverre bent u het eens met de volgende stellingen over klantcontact? Stelling: </span><span>De disciplines`)
}

func TestTextAtAndersWithoutAndersIsKeptAndAsked(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	p := stepOne(c, "Utrecht", url.Values{"afdeling": {"communicatie"}, "afdeling.anders": {"Informatiebeheer"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", p.Status)
	}
	p.mustContain(t, "U typte iets bij ‘Anders’, maar u koos ‘Anders’ niet bij: Voor welke afdeling werkt u? Kies ‘Anders’ als u dit bedoelt", `href="#f-afdeling-anders-tekst"`,
		`value="Informatiebeheer"`, `id="f-afdeling-anders-error"`)
}

func TestRequiredQuestionsSayAndExposeIt(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.start()
	p.mustContain(t, "Vragen zonder ‘(optioneel)’ erachter zijn verplicht",
		`id="f-gemeente" name="gemeente" value="" list="f-gemeente-list" autocomplete="off" spellcheck="false" aria-required="true"`,
		`id="f-afdeling" tabindex="-1" role="radiogroup" aria-required="true"`)
	if strings.Contains(p.Body, `id="f-overleg" tabindex="-1" role="radiogroup"`) {
		t.Error("the optional question overleg is marked required")
	}
	p = stepOne(c, "Utrecht", nil)
	p.mustContain(t, "U kunt maximaal 4000 tekens gebruiken.", `data-count-for="f-kc_concreet"`)
	if strings.Contains(p.Body, "hoogstens") {
		t.Error("the page still says hoogstens")
	}
}

func TestResumePageAdvisesTheLinkNotABookmark(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	form := sectionAnswers("Leiden")[0]
	form.Set("actie", "later")
	p := c.post("/s/"+refSlug+"/stap/1", form)
	p.mustContain(t, "Kopieer de link", `data-copy="hervatlink"`, "Een bladwijzer van deze pagina werkt alleen in deze browser")
	if strings.Contains(p.Body, "bewaar deze pagina als bladwijzer") {
		t.Error("the page still advises a bookmark")
	}
	p = c.get("/s/" + refSlug)
	p.mustContain(t, "U bent al begonnen in deze browser, voor gemeente Leiden.", "Stap 1 van 5 is ingevuld.")
}

func TestFooterPagesExistWithDefaultsAndOwnTexts(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	home := c.get("/")
	for _, page := range SitePages {
		home.mustContain(t, `href="/`+page+`"`)
		if p := c.get("/" + page); p.Status != http.StatusOK || !strings.Contains(p.Body, "<h1>") {
			t.Errorf("/%s: %d", page, p.Status)
		}
	}
	c.get("/privacy").mustContain(t, "De onderzoeker ziet de antwoorden per gemeente", "30 dagen voor de naam en het e-mailadres", "365 dagen voor verzonden antwoorden")
	app.h.cfg.SiteTexts = map[string]string{"contact": "Bel Onderzoeksbureau Voorbeeld: 030 123 45 67.\n\nOf mail naar peiling@example.nl."}
	c.get("/contact").mustContain(t, "<p>Bel Onderzoeksbureau Voorbeeld: 030 123 45 67.</p>", "<p>Of mail naar peiling@example.nl.</p>")
}

// errorSummary returns the error summary's messages, for test failures.
func errorSummary(p *page) string {
	i := strings.Index(p.Body, `class="error-summary"`)
	if i < 0 {
		return ""
	}
	s := p.Body[i:]
	return s[:min(len(s), 600)]
}

func TestResumeLinkIsMailedToOneAddressAFewTimesAnHour(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	form := sectionAnswers("Leiden")[0]
	form.Set("actie", "later")
	p := c.post("/s/"+refSlug+"/stap/1", form)
	if strings.Contains(p.Body, "Mail de link naar uzelf") {
		t.Fatal("the page offers to mail the link while mail is off")
	}
	if p := c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"a@leiden.nl"}}); p.Status != http.StatusNotFound {
		t.Errorf("mail off: a post mails anyway (%d)", p.Status)
	}

	srv := mailtest.Start(t)
	app.h.cfg.Mail = srv.Config()
	p = c.get("/s/" + refSlug + "/later")
	p.mustContain(t, "Mail de link naar uzelf", `action="/s/`+refSlug+`/later/mail"`)
	link := regexp.MustCompile(`id="hervatlink">([^<]+)</p>`).FindStringSubmatch(p.Body)[1]

	for _, bad := range []string{"", "a@leiden.nl, b@example.com", "a@leiden.nl\r\nBcc: b@example.com", "Jan <a@leiden.nl>", "geen adres"} {
		p = c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {bad}})
		if p.Status != http.StatusUnprocessableEntity {
			t.Errorf("address %q: %d, want 422", bad, p.Status)
		}
	}
	p.mustContain(t, "<title>Fout: ", "Vul één e-mailadres in", `href="#email"`, `value="geen adres"`)
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d mails went out for bad addresses", n)
	}

	p = c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"a@leiden.nl"}, "onderwerp": {"Win!"}, "tekst": {"spam"}})
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/later") {
		t.Fatalf("mail the link: %d at %s", p.Status, p.URL)
	}
	p.mustContain(t, "We hebben de link gemaild naar a@leiden.nl")
	got := srv.To("a@leiden.nl")
	if len(got) != 1 || !strings.Contains(got[0].Body, html.UnescapeString(link)) || strings.Contains(got[0].Body, "spam") ||
		got[0].Subject != "Uw link om verder te gaan met Klantcontact en interactie 2018" {
		t.Fatalf("mails: %+v", got)
	}
	for i := 2; i <= resumeMailsPerHour; i++ {
		c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"a@leiden.nl"}})
	}
	p = c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"b@leiden.nl"}})
	if p.Status != http.StatusTooManyRequests || len(srv.To("b@leiden.nl")) != 0 {
		t.Errorf("mail %d within the hour: %d, %d mails to b", resumeMailsPerHour+1, p.Status, len(srv.To("b@leiden.nl")))
	}
	p.mustContain(t, "al een paar keer laten mailen")

	// A refused mail says so and points back to the link on the page.
	other := app.newClient()
	other.start()
	other.post("/s/"+refSlug+"/stap/1", form)
	srv.Refuse("weg@leiden.nl")
	p = other.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"weg@leiden.nl"}})
	if p.Status != http.StatusBadGateway {
		t.Errorf("refused mail: %d", p.Status)
	}
	p.mustContain(t, "Het mailen lukte niet. Kopieer de link hierboven")
}

// TestResumeMailsToOneAddressAreBoundedAcrossDrafts: drafts are free, so someone who makes a
// new draft for every mail still reaches one stranger only a few times a day.
func TestResumeMailsToOneAddressAreBoundedAcrossDrafts(t *testing.T) {
	app := newTestApp(t)
	srv := mailtest.Start(t)
	app.h.cfg.Mail = srv.Config()
	for i := 1; i <= resumeMailsPerAddressDay+1; i++ {
		c := app.newClient()
		c.start()
		c.get("/s/" + refSlug + "/later")
		p := c.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"Vreemde@Example.com"}})
		if i <= resumeMailsPerAddressDay && p.Status != http.StatusOK {
			t.Fatalf("mail %d from its own draft: %d", i, p.Status)
		}
		if i > resumeMailsPerAddressDay && p.Status != http.StatusTooManyRequests {
			t.Fatalf("mail %d to one address from a fresh draft: %d, want 429", i, p.Status)
		}
	}
	if n := len(srv.Messages()); n != resumeMailsPerAddressDay {
		t.Errorf("%d mails reached the address, want %d", n, resumeMailsPerAddressDay)
	}
}
