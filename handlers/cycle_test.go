package handlers

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"peiling/models"
)

// TestAnEnglishResearcherRunsTheWholeCycle: a researcher who reads English logs in, imports a
// survey, opens it, invites municipalities, follows the fieldwork, closes the survey, reads the
// results and downloads the exports without meeting a Dutch word that is not the survey's own
// content (or a municipality's name). Every page and file on the way is checked.
func TestAnEnglishResearcherRunsTheWholeCycle(t *testing.T) {
	app := newTestApp(t)
	if _, err := models.SetResearcher(app.db.Write, testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	const slug = "ronde-en"
	base := "/admin/surveys/" + slug
	r := app.newClient()
	var content = contentStrings(t, app, refSlug) // the copy's texts are the reference survey's
	seen := 0
	check := func(step string, p *page, status int) *page {
		t.Helper()
		seen++
		if p.Status != status {
			t.Fatalf("%s: status %d at %s", step, p.Status, p.URL)
		}
		if ct := p.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") && !strings.Contains(p.Body, `<html lang="en">`) {
			t.Errorf("%s: not in English", step)
		}
		if id := messageID.FindString(visibleText(p.Body)); id != "" {
			t.Errorf("%s: message %s is missing", step, id)
		}
		body := p.Body
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "image/svg") {
			body = html.EscapeString(body) // a file, not a page: every character is text
		}
		if left := dutchLeft(body, content); len(left) > 0 {
			t.Errorf("%s (%s) still says %q", step, p.URL, left)
		}
		return p
	}

	// Log in.
	check("login page", r.get("/admin/login?lang=en"), http.StatusOK)
	check("login with a mistake", r.post("/admin/login", url.Values{"email": {"geen-adres"}, "wachtwoord": {""}}), http.StatusUnprocessableEntity)
	check("dashboard", r.post("/admin/login", url.Values{"email": {testEmail}, "wachtwoord": {testPassword}}), http.StatusOK)

	// Import.
	ref, _ := models.ReferenceSurvey()
	check("import", r.upload("ronde.yaml", strings.Replace(string(ref), "slug: "+refSlug, "slug: "+slug, 1)), http.StatusOK)
	check("survey", r.get(base), http.StatusOK)
	check("editor", r.get(base+"/editor"), http.StatusOK)

	// Open.
	check("opened", r.post(base+"/openen", nil), http.StatusOK)

	// Invite.
	check("invitations", r.get(base+"/uitnodigingen"), http.StatusOK)
	check("invited", r.post(base+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0344;Anna;anna@utrecht.nl;en\n0363;Bert;bert@amsterdam.nl\n"}}), http.StatusOK)
	check("email page", r.get(base+"/email"), http.StatusOK)

	// A municipality answers, another starts.
	resp := app.newClient()
	resp.get("/s/" + slug + "?lang=en")
	resp.post("/s/"+slug+"/start", nil)
	var p *page
	for i, form := range sectionAnswers("Zeist") {
		form.Set("actie", "volgende")
		p = resp.post(fmt.Sprintf("/s/%s/stap/%d", slug, i+1), form)
		if p.Status != http.StatusOK {
			t.Fatalf("step %d: %d at %s", i+1, p.Status, p.URL)
		}
	}
	if p = resp.post("/s/"+slug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}}); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("send: %d at %s", p.Status, p.URL)
	}
	other := app.newClient()
	other.get("/s/" + slug + "?lang=en")
	other.post("/s/"+slug+"/start", nil)
	other.post("/s/"+slug+"/stap/1", url.Values{"gemeente": {"Bunnik"}, "afdeling": {"communicatie"}, "overleg": {"ja"}, "actie": {"volgende"}})

	// Follow.
	check("survey in fieldwork", r.get(base), http.StatusOK)
	check("monitor", r.get(base+"/veldwerk"), http.StatusOK)
	check("drafts", r.get(base+"/concepten"), http.StatusOK)
	check("invitations in fieldwork", r.get(base+"/uitnodigingen"), http.StatusOK)

	// Close.
	check("close page", r.get(base+"/sluiten"), http.StatusOK)
	check("close unticked", r.post(base+"/sluiten", nil), http.StatusUnprocessableEntity)
	check("closed", r.post(base+"/sluiten", url.Values{"bevestig": {"ja"}}), http.StatusOK)

	// Read.
	check("results", r.get(base+"/results"), http.StatusOK)
	check("results by province", r.get(base+"/results?indeling=provincie"), http.StatusOK)
	check("results by language", r.get(base+"/results?indeling=taal"), http.StatusOK)
	check("chart", r.get(base+"/results/chart/kc_stellingen.svg"), http.StatusOK)
	check("downloads", r.get(base+"/downloads"), http.StatusOK)

	// Export: the files a person reads. The raw files for programs keep codes, which are the
	// same in every language.
	for _, file := range []string{"codeboek-excel.csv", "codeboek.csv", "antwoorden-excel.csv"} {
		check("export "+file, r.get(base+"/export/"+file), http.StatusOK)
	}
	if seen < 25 {
		t.Errorf("only %d pages checked", seen)
	}
}
