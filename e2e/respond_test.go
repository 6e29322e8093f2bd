//go:build e2e

package e2e

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"peiling/models"
)

const slug = "klantcontact-2018"

var (
	referencePattern = regexp.MustCompile(`^PL-[A-Z0-9]{4}-[A-Z0-9]{4}$`)
	resumePattern    = regexp.MustCompile(`^http://127\.0\.0\.1:\d+/s/` + slug + `/hervat/[A-Za-z0-9_-]{43}$`)
)

// TestRespondentFillsInSurveyInBrowser walks the whole reference questionnaire in Chromium:
// a validation error, one section by keyboard only, "Opslaan en later verder" and the
// resume link in a browser without cookies, the check page and the confirmation. Then it
// reads the database the binary wrote.
func TestRespondentFillsInSurveyInBrowser(t *testing.T) {
	db := newDB(t)
	app := startServer(t, db)
	start := app.URL + "/s/" + slug
	b := newBrowser(t, 1280, 900)

	// The home page lists the survey; its start page explains it.
	b.mustBeAt(b.open(app.URL+"/"), http.StatusOK, "/")
	b.mustBeAt(b.follow("open the survey from the home page", chromedp.Click(chromedp.CSS(`a.card__link[href="/s/`+slug+`"]`))), http.StatusOK, "/s/"+slug)
	if h1 := get(b, "read h1", chromedp.Text(chromedp.CSS("h1"))); h1 != "Klantcontact en interactie 2018" {
		t.Errorf("start page h1 = %q", h1)
	}
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")

	// Step 1, with the mouse: forget the municipality first.
	b.choose("f-afdeling-anders")
	b.typeInto(`input[name="afdeling.anders"]`, "Informatiebeheer")
	b.choose("f-overleg-ja")
	b.mustBeAt(b.follow("Volgende without a municipality", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))),
		http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	checkErrorPage(t, b)

	// The error summary's link takes the focus to the field, where the respondent types.
	b.clickOn(`.error-summary a[href="#f-gemeente"]`)
	if f := b.focus(); f.ID != "f-gemeente" {
		t.Fatalf("the error link moved the focus to %+v, want #f-gemeente", f)
	}
	b.press("Utrecht")
	b.mustBeAt(b.follow("Volgende on step 1", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/2")

	// Step 2 by keyboard only: Tab, Space, arrow keys, typing, Enter.
	b.tabTo("f-kc_plannen-basis_op_orde")
	b.press(" ")
	b.tabTo("f-kc_plannen-data_proactief")
	b.press(" ")
	b.tabTo("f-kc_stellingen-meer_samenwerken-helemaal_oneens")
	b.press(strings.Repeat(kb.ArrowRight, 4)) // → helemaal eens
	b.tabTo("f-kc_stellingen-werken_goed_samen-helemaal_oneens")
	b.press(strings.Repeat(kb.ArrowDown, 2)) // → neutraal
	b.tabTo("f-kc_stellingen-bestuur_geen_reden-helemaal_oneens")
	b.press(strings.Repeat(kb.ArrowDown, 5)) // → weet niet / geen mening
	b.tabTo("f-kc_concreet")
	b.press("WhatsApp als kanaal\nen een KCC")
	b.press(kb.Tab) // from the text area to Volgende, the first button
	if f := b.focus(); f.Tag != "button" || f.Value != "volgende" || !f.Visible {
		t.Fatalf("after the text area the focus is on %+v, want the visible Volgende button", f)
	}
	b.mustBeAt(b.follow("Enter on Volgende", chromedp.KeyEvent(kb.Enter)), http.StatusOK, "/s/"+slug+"/stap/3")

	// Step 3, then "Opslaan en later verder".
	b.choose("f-part_plannen-converseren")
	b.choose("f-part_stellingen-belangrijk_moeilijk-eens")
	b.typeInto("#f-part_concreet", "Burgerpanel")
	b.mustBeAt(b.follow("Opslaan en later verder", chromedp.Click(chromedp.CSS(`button[value="later"]`))), http.StatusOK, "/s/"+slug+"/later")
	link := get(b, "read the resume link", chromedp.Text(chromedp.CSS("#hervatlink")))
	if !resumePattern.MatchString(link) {
		t.Fatalf("resume link %q does not look like %s", link, resumePattern)
	}

	// A colleague opens the link in a browser that has never seen Peiling.
	c := b.incognito()
	if got := c.cookies(app.URL); len(got) != 0 {
		t.Fatalf("the fresh browser context has cookies %v", got)
	}
	c.mustBeAt(c.open(link), http.StatusOK, "/s/"+slug+"/stap/4")
	c.mustBeAt(c.follow("Vorige on step 4", chromedp.Click(chromedp.CSS(`button[value="vorige"]`))), http.StatusOK, "/s/"+slug+"/stap/3")
	if !js[bool](c, `document.getElementById("f-part_plannen-converseren").checked && document.getElementById("f-part_stellingen-belangrijk_moeilijk-eens").checked`) ||
		get(c, "read part_concreet", chromedp.Value(chromedp.CSS("#f-part_concreet"))) != "Burgerpanel" {
		t.Error("step 3 lost its answers on the way to the other browser")
	}
	c.mustBeAt(c.follow("Volgende on step 3", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/4")
	c.choose("f-bnb_plannen-anders")
	c.typeInto(`input[name="bnb_plannen.anders"]`, "Newsroom")
	c.choose("f-bnb_stellingen-wil_buiten_binnen-helemaal_eens")
	c.mustBeAt(c.follow("Volgende on step 4", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/5")
	c.typeInto("#f-uitdaging", "De Omgevingswet")
	c.mustBeAt(c.follow("Naar het overzicht", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/controleren")

	// The check page shows what both people answered; then send.
	summary := get(c, "read the check page", chromedp.Text(chromedp.CSS("main")))
	for _, want := range []string{"Utrecht", "Anders, namelijk: Informatiebeheer", "Ja", "De basis van het klantcontact op orde brengen",
		"Weet niet / geen mening", "WhatsApp als kanaal", "Burgerpanel", "Anders, namelijk: Newsroom", "De Omgevingswet"} {
		if !strings.Contains(summary, want) {
			t.Errorf("check page lacks %q", want)
		}
	}
	c.mustBeAt(c.follow("Verstuur de antwoorden", chromedp.Click(chromedp.CSS("button[data-once]"))), http.StatusOK, "/s/"+slug+"/bevestiging")
	ref := get(c, "read the reference", chromedp.Text(chromedp.CSS(".reference")))
	if !referencePattern.MatchString(ref) {
		t.Fatalf("reference %q does not look like PL-XXXX-XXXX", ref)
	}
	if body := get(c, "read the confirmation", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(body, "namens gemeente Utrecht") {
		t.Errorf("confirmation does not name the municipality:\n%s", body)
	}

	// The first browser can no longer change the sent answers.
	b.mustBeAt(b.open(start+"/stap/3"), http.StatusOK, "/s/"+slug+"/bevestiging")

	app.stop()
	checkStoredResponse(t, db, ref)
}

// checkErrorPage checks the page after an invalid step 1: the error summary has the focus,
// the title says "Fout: ", the field is marked, and what was typed is still there.
func checkErrorPage(t *testing.T, b *tab) {
	t.Helper()
	if title := get(b, "read the title", chromedp.Title()); !strings.HasPrefix(title, "Fout: ") {
		t.Errorf("title %q does not start with \"Fout: \"", title)
	}
	b.do("see the error summary", chromedp.WaitVisible(chromedp.CSS(".error-summary")))
	if got := get(b, "read the summary title", chromedp.Text(chromedp.CSS(".error-summary__title"))); got != "Er is een probleem" {
		t.Errorf("error summary title = %q", got)
	}
	b.do("focus on the error summary", chromedp.Poll[chromedp.Void](`document.activeElement && document.activeElement.classList.contains("error-summary")`,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(5*time.Second)))
	if msg := get(b, "read the error message", chromedp.Text(chromedp.CSS("#f-gemeente-error"))); !strings.Contains(msg, "Kies de gemeente") {
		t.Errorf("error next to the municipality = %q", msg)
	}
	state := js[struct {
		Invalid, DescribedBy, Other string
		Anders, Ja                  bool
	}](b, `({
		Invalid: document.getElementById("f-gemeente").getAttribute("aria-invalid") || "",
		DescribedBy: document.getElementById("f-gemeente").getAttribute("aria-describedby") || "",
		Other: document.querySelector('input[name="afdeling.anders"]').value,
		Anders: document.querySelector('input[name="afdeling"][value="anders"]').checked,
		Ja: document.querySelector('input[name="overleg"][value="ja"]').checked,
	})`)
	if state.Invalid != "true" || !slices.Contains(strings.Fields(state.DescribedBy), "f-gemeente-error") {
		t.Errorf("municipality field: aria-invalid=%q aria-describedby=%q", state.Invalid, state.DescribedBy)
	}
	if !state.Anders || state.Other != "Informatiebeheer" || !state.Ja {
		t.Errorf("the page lost what was typed: %+v", state)
	}
}

// checkStoredResponse reads the database file the binary left and checks the response
// with reference ref, answer by answer.
func checkStoredResponse(t *testing.T, path, ref string) {
	t.Helper()
	db := openDB(t, path)
	var r models.Response
	if err := db.Read.Where("reference = ?", ref).Take(&r).Error; err != nil {
		t.Fatalf("response %s: %v", ref, err)
	}
	if r.Status != models.ResponseSubmitted || r.SubmittedAt == nil || r.MunicipalityCode == nil || *r.MunicipalityCode != "0344" {
		t.Errorf("response %s: status %q, submitted at %v, municipality %v; want submitted by 0344 (Utrecht)", ref, r.Status, r.SubmittedAt, r.MunicipalityCode)
	}
	var n int64
	if err := db.Read.Model(&models.Response{}).Count(&n).Error; err != nil || n != 1 {
		t.Errorf("%d responses in the database (%v), want 1: the resume link must continue the same one", n, err)
	}
	answers, err := models.AnswersOf(db.Read, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, a := range answers {
		got[a.Question+"/"+a.Item+"/"+a.Option] = a.Text
	}
	want := map[string]string{
		"gemeente//0344":                                 "Utrecht",
		"afdeling//anders":                               "Informatiebeheer",
		"overleg//ja":                                    "",
		"kc_plannen//basis_op_orde":                      "",
		"kc_plannen//data_proactief":                     "",
		"kc_stellingen/meer_samenwerken/helemaal_eens":   "",
		"kc_stellingen/werken_goed_samen/neutraal":       "",
		"kc_stellingen/bestuur_geen_reden/weet_niet":     "",
		"kc_concreet//":                                  "WhatsApp als kanaal\nen een KCC",
		"part_plannen//converseren":                      "",
		"part_stellingen/belangrijk_moeilijk/eens":       "",
		"part_concreet//":                                "Burgerpanel",
		"bnb_plannen//anders":                            "Newsroom",
		"bnb_stellingen/wil_buiten_binnen/helemaal_eens": "",
		"uitdaging//":                                    "De Omgevingswet",
	}
	for k, v := range want {
		if text, ok := got[k]; !ok || text != v {
			t.Errorf("answer %s = %q (stored: %v), want %q", k, text, ok, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected answer %s = %q", k, v)
		}
	}
}
