package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"peiling/models"
)

// payload tries to leave an attribute and a text node; html/template must keep it text.
const payload = `"><script>alert(1)</script><img src=x onerror=alert(2)>`

// TestXSSPayloadsStayTextOnEveryResearcherPage writes the payload into every free-text field
// a researcher later reads — respondents' open answers and "anders" texts, theme names, API
// token names, invitation contacts and e-mail texts — and finds it escaped on every page.
func TestXSSPayloadsStayTextOnEveryResearcherPage(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	c.start()
	answers := sectionAnswers("Zeist")
	answers[0].Set("afdeling", "anders")
	answers[0].Set("afdeling.anders", payload)
	answers[1].Add("kc_plannen", "anders")
	answers[1].Set("kc_plannen.anders", payload)
	answers[1].Set("kc_concreet", payload)
	for i, form := range answers {
		form.Set("actie", "volgende")
		if p := c.post(stepURL(refSlug, i+1), form); p.Status != http.StatusOK {
			t.Fatalf("section %d: %d", i+1, p.Status)
		}
	}
	if p := c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {c.last.hidden(t, "inzending")}}); p.Status != http.StatusOK {
		t.Fatalf("submit: %d", p.Status)
	}

	res := app.asResearcher()
	admin := "/admin/surveys/" + refSlug
	res.get(admin + "/uitnodigingen")
	if p := res.post(admin+"/uitnodigingen", url.Values{"lijst": {"0355;" + payload + ";a@example.nl"}}); p.Status != http.StatusOK {
		t.Fatalf("invitations: %d", p.Status)
	}
	res.get(admin + "/email")
	mail := url.Values{}
	for _, kind := range models.MailKinds {
		mail.Set("onderwerp-"+kind, payload)
		mail.Set("tekst-"+kind, payload+" {{link}}")
	}
	if p := res.post(admin+"/email/teksten", mail); p.Status != http.StatusOK {
		t.Fatalf("mail texts: %d", p.Status)
	}
	res.get("/admin/tokens")
	if p := res.post("/admin/tokens", url.Values{"naam": {payload}}); p.Status >= 400 {
		t.Fatalf("token: %d", p.Status)
	}
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	open := admin + "/results/open/kc_concreet"
	res.get(open)
	if p := res.post(open+"/themes", url.Values{"naam": {payload}}); p.Status != http.StatusOK {
		t.Fatalf("theme: %d", p.Status)
	}

	for _, tc := range []struct{ path, shows string }{
		{"/admin", ""},
		{admin, ""},
		{admin + "/veldwerk", ""},
		{admin + "/uitnodigingen", "onerror=alert(2)"},
		{admin + "/email", "onerror=alert(2)"},
		{"/admin/tokens", "onerror=alert(2)"},
		{admin + "/results", "onerror=alert(2)"},
		{admin + "/results?indeling=afdeling", "onerror=alert(2)"},
		{open, "onerror=alert(2)"},
		{admin + "/results/open/kc_plannen", "onerror=alert(2)"},
		{admin + "/results/open/afdeling", "onerror=alert(2)"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			p := res.get(tc.path)
			if p.Status != http.StatusOK {
				t.Fatalf("status %d", p.Status)
			}
			for _, raw := range []string{"<script>alert(1)", "<img src=x", `"><script`} {
				if strings.Contains(p.Body, raw) {
					t.Errorf("%q reached the page unescaped", raw)
				}
			}
			if tc.shows != "" && !strings.Contains(p.Body, "&lt;img src=x "+tc.shows+"&gt;") {
				t.Errorf("the payload is not on the page as text")
			}
		})
	}
}
