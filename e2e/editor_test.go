//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// editorWidths are the viewports of the editor and the preview: the smallest phone, the
// phone a respondent typically has, and a laptop.
var editorWidths = []int{320, 375, 1280}

// TestResearcherBuildsASurveyWithTheKeyboardAndPreviewsIt makes a survey from scratch with
// the keyboard only (Tab, typing, arrow keys in a list, Enter), moves a question without a
// page load, previews the survey at 375 px as a respondent would fill it in, and checks the
// editor and preview pages with tools/a11y/check and, for the answers to POSTs, axe-core.
func TestResearcherBuildsASurveyWithTheKeyboardAndPreviewsIt(t *testing.T) {
	check := a11yTool(t)
	dir := t.TempDir()
	path := newDB(t)
	a := startServer(t, path, "PEILING_ADMIN_EMAIL="+researcherEmail, "PEILING_ADMIN_PASSWORD="+researcherPassword)
	b := newBrowser(t, 1280, 900)
	b.mustBeAt(b.open(a.URL+"/admin/login"), http.StatusOK, "/admin/login")
	b.tabTo("email")
	b.press(researcherEmail)
	b.tabTo("wachtwoord")
	b.press(researcherPassword)
	b.mustBeAt(b.follow("log in", chromedp.KeyEvent(kb.Enter)), http.StatusOK, "/admin")

	const slug = "klantcontact-2019"
	editor := "/admin/surveys/" + slug + "/editor"
	b.mustBeAt(b.open(a.URL+"/admin/surveys/new"), http.StatusOK, "/admin/surveys/new")
	b.tabTo("titel")
	b.press("Klantcontact 2019")
	b.mustBeAt(b.follow("make the survey", chromedp.KeyEvent(kb.Enter)), http.StatusOK, editor)

	// A single-choice question: the first kind in the list.
	b.tabTo("vraag-toevoegen-1")
	b.mustBeAt(b.follow("open the new-question form", chromedp.KeyEvent(kb.Enter)), http.StatusOK, editor+"/secties/1/nieuw")
	b.tabTo("tekst")
	b.press("Heeft uw gemeente een klantcontactcentrum?")
	b.tabTo("optie-tekst-0")
	b.press("Ja")
	b.tabTo("optie-tekst-1")
	b.press("Nee")
	b.mustBeAt(b.follow("add the question", chromedp.KeyEvent(kb.Enter)), http.StatusOK, editor)

	// An open question, three kinds further down the list; sent first without its text.
	b.tabTo("soort-1")
	b.press(strings.Repeat(kb.ArrowDown, 3))
	b.tabTo("vraag-toevoegen-1")
	b.mustBeAt(b.follow("open the form for an open question", chromedp.KeyEvent(kb.Enter)), http.StatusOK, editor+"/secties/1/nieuw")
	b.tabTo("hulp")
	b.press("Een paar zinnen is genoeg.")
	b.tabTo("code")
	b.mustBeAt(b.follow("add it without its text", chromedp.KeyEvent(kb.Enter)), http.StatusUnprocessableEntity, editor+"/secties/1/nieuw")
	if f := b.focus(); f.ID != "" && f.Tag != "div" {
		t.Errorf("after the error the focus is on %s#%s, not the error summary", f.Tag, f.ID)
	}
	checkWithAxe(t, b, readAxe(t), "vraag-422", editorWidths, dir)
	b.tabTo("tekst")
	b.press("Wat wilt u verbeteren?")
	b.mustBeAt(b.follow("add the open question", chromedp.KeyEvent(kb.Enter)), http.StatusOK, editor)

	// Move the open question up: the page is not loaded again, and the focus stays on a
	// button of the question that moved.
	b.do("mark the page", chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`))
	b.tabTo("omhoog-wat_wilt_u_verbeteren")
	b.press(kb.Enter)
	order := waitFor(b, `[...document.querySelectorAll(".question-list li")].map(li => li.dataset.code).join(",")`,
		"gemeente,wat_wilt_u_verbeteren,heeft_uw_gemeente_een")
	if !js[bool](b, `window.notReloaded === true`) {
		t.Error("moving a question loaded the page again")
	}
	if f := b.focus(); !strings.Contains(f.ID, "wat_wilt_u_verbeteren") {
		t.Errorf("after the move the focus is on %s#%s (order %s)", f.Tag, f.ID, order)
	}

	// The contact, shown to respondents: also saved without a page load.
	b.tabTo("contact-naam")
	b.press("Anna de Vries")
	b.tabTo("contact-email")
	b.press("geen adres")
	b.press(kb.Enter)
	waitFor(b, `!!document.querySelector(".error-summary")`, "true")
	checkWithAxe(t, b, readAxe(t), "editor-422", editorWidths, dir)
	b.do("clear the address", chromedp.Evaluate[chromedp.Void](`document.getElementById("contact-email").value = ""`))
	b.tabTo("contact-email")
	b.press("anna@example.nl")
	b.press(kb.Enter)
	waitFor(b, `document.querySelector(".notice") ? document.querySelector(".notice").textContent.includes("opgeslagen") : false`, "true")

	// The preview at phone width, as a respondent fills it in.
	preview := "/admin/surveys/" + slug + "/preview"
	b.do("set the viewport to 375 px", chromedp.EmulateViewport(375, 800))
	b.mustBeAt(b.open(a.URL+preview), http.StatusOK, preview)
	if !js[bool](b, `document.querySelector(".preview-banner") !== null && document.body.textContent.includes("Anna de Vries")`) {
		t.Error("the preview start page lacks the banner or the contact")
	}
	checkMarkup(t, b, 375)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, preview+"/stap/1")
	b.mustBeAt(b.follow("Volgende without answers", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusUnprocessableEntity, preview+"/stap/1")
	checkWithAxe(t, b, readAxe(t), "voorbeeld-422", editorWidths, dir)
	b.typeInto("#f-gemeente", "Utrecht")
	b.choose("f-heeft_uw_gemeente_een-ja")
	b.typeInto("#f-wat_wilt_u_verbeteren", "Sneller antwoorden")
	b.mustBeAt(b.follow("Volgende", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, preview+"/controleren")

	cookies := b.cookies(a.URL)
	args := []string{"--allow-4xx"}
	for name, value := range cookies {
		args = append(args, "--cookie", name+"="+value)
	}
	pages := []page{
		{a.URL + "/admin/surveys/new", http.StatusOK},
		{a.URL + editor, http.StatusOK},
		{a.URL + editor + "/vragen/heeft_uw_gemeente_een", http.StatusOK},
		{a.URL + editor + "/secties/1/nieuw?soort=likert", http.StatusOK},
		{a.URL + editor + "/secties/1/nieuw?soort=number", http.StatusOK},
		{a.URL + "/admin/surveys/klantcontact-2018/editor", http.StatusOK}, // open: texts in place, other changes a new version
		{a.URL + "/admin/surveys/klantcontact-2018/editor/regel?doel=sectie-3&vraag=overleg", http.StatusOK},
		{a.URL + "/admin/surveys/klantcontact-2018/editor/regel?doel=sectie-1", http.StatusOK},
		{a.URL + preview, http.StatusOK},
		{a.URL + preview + "/stap/1", http.StatusOK},
		{a.URL + preview + "/controleren", http.StatusOK},
	}
	checkWithTool(t, check, args, pages, editorWidths, dir)
	keepShots(t, filepath.Join(dir, "axe"), "editor-axe")

	b.do("set the viewport to 375 px", chromedp.EmulateViewport(375, 800))
	b.mustBeAt(b.open(a.URL+preview+"/controleren"), http.StatusOK, preview+"/controleren")
	b.mustBeAt(b.follow("send the preview", chromedp.Click(chromedp.CSS("button[data-once]"))), http.StatusOK, preview+"/bevestiging")
	if !js[bool](b, `document.body.textContent.includes("VOORBEELD")`) {
		t.Error("the preview confirmation lacks its reference VOORBEELD")
	}
	db := openDB(t, path)
	var n int64
	if err := db.Read.Table("responses").Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the preview stored %d responses", n)
	}
}

// waitFor evaluates expr until it yields want (as text), for changes made without a page load.
func waitFor(b *tab, expr, want string) string {
	b.t.Helper()
	got := ""
	for range 50 {
		got = fmt.Sprint(js[any](b, expr))
		if got == want {
			return got
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.t.Fatalf("waited for %s to be %q; it is %q", expr, want, got)
	return got
}
