//go:build e2e

package e2e

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestEnglishRespondentAnswersInBrowser: a respondent switches the reference survey to English
// with the link at the top, answers it with a mistake on the way, and sends it, meeting only
// English: pages, errors, the scripts' messages (autocomplete, character count) and axe-core
// finds no WCAG 2.1 AA violation on the English pages at 375 and 1280 px.
func TestEnglishRespondentAnswersInBrowser(t *testing.T) {
	dir := t.TempDir()
	app := startServer(t, filepath.Join(dir, "peiling.db"))
	b := newBrowser(t, 1280, 900)
	axe := readAxe(t)
	next := chromedp.Click(chromedp.CSS(`button[value="volgende"]`))
	text := func(sel string) string { return get(b, "read "+sel, chromedp.Text(chromedp.CSS(sel))) }
	mustSay := func(where string, want ...string) {
		t.Helper()
		main := text("body")
		for _, w := range want {
			if !strings.Contains(main, w) {
				t.Errorf("%s lacks %q", where, w)
			}
		}
	}

	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	if lang := js[string](b, `document.documentElement.lang`); lang != "nl" {
		t.Fatalf("a browser without a choice gets lang %q", lang)
	}
	b.mustBeAt(b.follow("choose English", chromedp.Click(chromedp.CSS(`.language-switch a[hreflang="en"]`))), http.StatusOK, "/s/"+slug)
	if lang := js[string](b, `document.documentElement.lang`); lang != "en" {
		t.Fatalf("after the switch: lang %q", lang)
	}
	if h1 := text("h1"); h1 != "Customer contact and interaction 2018" {
		t.Errorf("h1 %q", h1)
	}
	checkWithAxe(t, b, axe, "en-start", widths, dir)
	b.mustBeAt(b.follow("Start the survey", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	mustSay("step 1", "Step 1 of 5", "Which municipality are you answering this survey for?", "(optional)")

	b.choose("f-afdeling-anders")
	b.mustBeAt(b.follow("Continue with mistakes", next), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	mustSay("the error page", "There is a problem", "Choose the municipality you are answering for", "You chose ‘Other’. Say what you mean for: Which department do you work in?")
	checkWithAxe(t, b, axe, "en-stap1-422", widths, dir)

	b.typeInto("#f-gemeente", "Utrech")
	b.press(kb.ArrowDown)
	status := get(b, "read the autocomplete's status", chromedp.Evaluate[string](
		`new Promise(r => setTimeout(() => r(document.querySelector(".autocomplete [role=status]").textContent), 700))`, chromedp.EvalAwaitPromise))
	if status != "2 municipalities found. Use the down arrow and Enter to choose." {
		t.Errorf("the autocomplete says %q", status)
	}
	b.press(kb.Enter)
	b.typeInto(`input[name="afdeling.anders"]`, "Information management")
	b.choose("f-overleg-ja")
	b.mustBeAt(b.follow("Continue on step 1", next), http.StatusOK, "/s/"+slug+"/stap/2")
	b.choose("f-kc_plannen-sturing")
	b.choose("f-kc_stellingen-meer_samenwerken-eens")
	b.typeInto("#f-kc_concreet", "A contact centre")
	if count := text(".char-count"); count != "You have 3984 characters remaining" {
		t.Errorf("the character count says %q", count)
	}
	checkWithAxe(t, b, axe, "en-stap2", widths, dir)
	b.mustBeAt(b.follow("Continue on step 2", next), http.StatusOK, "/s/"+slug+"/stap/3")
	b.choose("f-part_plannen-experimenteren")
	b.mustBeAt(b.follow("Continue on step 3", next), http.StatusOK, "/s/"+slug+"/stap/4")
	b.choose("f-bnb_plannen-online_luisteren")
	b.mustBeAt(b.follow("Continue on step 4", next), http.StatusOK, "/s/"+slug+"/stap/5")
	b.typeInto("#f-uitdaging", "Fewer rules")
	b.mustBeAt(b.follow("Go to the summary", next), http.StatusOK, "/s/"+slug+"/controleren")
	mustSay("the check page", "Check your answers", "Other: Information management", "Somewhat agree", "Manage customer contact more actively", "Change")
	checkWithAxe(t, b, axe, "en-controleren", widths, dir)
	b.mustBeAt(b.follow("Send your answers", chromedp.Click(chromedp.CSS("button[data-once]"))), http.StatusOK, "/s/"+slug+"/bevestiging")
	mustSay("the confirmation", "Your answers have been sent", "Your reference number", "on behalf of the municipality of Utrecht")
	checkWithAxe(t, b, axe, "en-bevestiging", widths, dir)
	keepShots(t, filepath.Join(dir, "axe"), "axe-en")
}
