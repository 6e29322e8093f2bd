//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"peiling/mail/mailtest"
	"peiling/models"
)

// axNode is what Chromium's accessibility tree says about one element.
type axNode struct {
	Role, Name string
	Props      map[string]string // required, expanded, invalid, …
}

// ax reads the accessibility node of the element that sel finds.
func (b *tab) ax(sel string) axNode {
	b.t.Helper()
	res := get(b, "accessibility node of "+sel, func(ctx context.Context, t *chromedp.Target) (accessibility.GetPartialAXTreeResult, error) {
		obj, err := cdp.Call(ctx, t, runtime.Evaluate, runtime.EvaluateParams{Expression: "document.querySelector(" + strconv.Quote(sel) + ")"})
		if err != nil || obj.Result == nil || obj.Result.ObjectID == "" {
			return accessibility.GetPartialAXTreeResult{}, err
		}
		no := false
		return cdp.Call(ctx, t, accessibility.GetPartialAXTree, accessibility.GetPartialAXTreeParams{ObjectID: obj.Result.ObjectID, FetchRelatives: &no})
	})
	if len(res.Nodes) == 0 {
		b.t.Fatalf("no accessibility node for %s", sel)
	}
	n := res.Nodes[0]
	str := func(v *accessibility.Value) string {
		if v == nil || len(v.Value) == 0 {
			return ""
		}
		var s string
		if json.Unmarshal(v.Value, &s) == nil {
			return s
		}
		return string(v.Value)
	}
	out := axNode{Role: str(n.Role), Name: str(n.Name), Props: map[string]string{}}
	for _, p := range n.Properties {
		out.Props[string(p.Name)] = str(p.Value)
	}
	return out
}

// visible reports whether the element that sel finds takes up space on the page.
func visible(b *tab, sel string) bool {
	b.t.Helper()
	return js[bool](b, `(() => { const e = document.querySelector(`+strconv.Quote(sel)+`); return !!e && e.getClientRects().length > 0; })()`)
}

// TestAndersRevealsWithScriptAndShowsWithout checks the GOV.UK conditional reveal of
// "Anders, namelijk": always there without JavaScript, shown when "Anders" is chosen with it,
// and kept in view while it holds text.
func TestAndersRevealsWithScriptAndShowsWithout(t *testing.T) {
	app := startServer(t, newDB(t))
	b := newBrowser(t, 375, 800)
	field := `#f-afdeling-anders-tekst`

	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	if visible(b, field) {
		t.Error("with the script, ‘Anders, namelijk’ shows before ‘Anders’ is chosen")
	}
	b.choose("f-afdeling-anders")
	if !visible(b, field) {
		t.Fatal("choosing ‘Anders’ does not reveal its text field")
	}
	if js[bool](b, `!document.querySelector("#f-afdeling").contains(document.querySelector("`+field+`"))`) {
		t.Error("the text field is outside the question's fieldset")
	}
	b.choose("f-afdeling-communicatie")
	if visible(b, field) {
		t.Error("the empty field stays after choosing another answer")
	}
	b.choose("f-afdeling-anders")
	b.typeInto(field, "Informatiebeheer")
	b.choose("f-afdeling-communicatie")
	if !visible(b, field) {
		t.Error("the field with text disappeared: the respondent cannot see what will be asked about")
	}

	// Without JavaScript the field is always there, inside the question.
	b.do("switch off JavaScript", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	b.mustBeAt(b.open(app.URL+"/s/"+slug+"/stap/1"), http.StatusOK, "/s/"+slug+"/stap/1")
	if js[bool](b, `document.documentElement.classList.contains("js")`) {
		t.Fatal("the page script ran; the test cannot see the page without it")
	}
	if !visible(b, field) {
		t.Error("without JavaScript ‘Anders, namelijk’ is hidden")
	}
}

// TestMunicipalityAutocompleteByKeyboard uses the picker as a keyboard and screen reader
// user would: the combobox opens, announces its count, and arrow keys and Enter choose.
func TestMunicipalityAutocompleteByKeyboard(t *testing.T) {
	app := startServer(t, newDB(t))
	b := newBrowser(t, 375, 800)
	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")

	input := "#f-gemeente"
	if n := b.ax(input); n.Role != "combobox" || n.Props["expanded"] != "false" || n.Props["required"] != "true" {
		t.Fatalf("the municipality field is %+v, want a required, collapsed combobox", n)
	}
	if d := js[string](b, `document.getElementById("f-gemeente").getAttribute("aria-describedby")`); !strings.Contains(d, "f-gemeente-hint") || !strings.Contains(d, "f-gemeente-gebruik") {
		t.Errorf("the combobox is described by %q, want its hint and how to use the list", d)
	}
	b.tabTo("f-gemeente")
	b.press("den haa")
	if n := b.ax(input); n.Props["expanded"] != "true" {
		t.Fatalf("typing ‘den haa’ leaves the list closed: %+v", n)
	}
	if got := js[[]string](b, `[...document.querySelectorAll("#f-gemeente-listbox [role=option]")].map(o => o.textContent)`); len(got) != 1 || got[0] != "'s-Gravenhage" {
		t.Errorf("options for ‘den haa’: %q, want 's-Gravenhage", got)
	}
	b.do("wait for the live region", chromedp.Poll[chromedp.Void](`document.querySelector(".autocomplete [role=status]").textContent.startsWith("1 gemeente gevonden")`))
	b.press(kb.ArrowDown)
	if id := js[string](b, `document.getElementById("f-gemeente").getAttribute("aria-activedescendant") || ""`); id != "f-gemeente-listbox-0" {
		t.Errorf("after ↓ aria-activedescendant = %q", id)
	}
	if f := b.focus(); f.ID != "f-gemeente" {
		t.Errorf("↓ moved the focus to %+v; it stays in the field", f)
	}
	b.press(kb.Enter)
	if v := js[string](b, `document.getElementById("f-gemeente").value`); v != "'s-Gravenhage" {
		t.Errorf("Enter chose %q", v)
	}
	if b.path() != "/s/"+slug+"/stap/1" {
		t.Fatal("Enter on an option sent the form")
	}
	if n := b.ax(input); n.Props["expanded"] != "false" {
		t.Errorf("after Enter the list is still open: %+v", n)
	}

	// Two Bergens; Escape closes the list and keeps what was typed.
	b.do("clear", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-gemeente").value = ""`))
	b.press("bergen")
	got := js[[]string](b, `[...document.querySelectorAll("#f-gemeente-listbox [role=option]")].map(o => o.textContent)`)
	if !strings.Contains(strings.Join(got, "|"), "Bergen (L.)|Bergen (NH.)") {
		t.Errorf("options for ‘bergen’: %q", got)
	}
	b.press(kb.Escape)
	if n := b.ax(input); n.Props["expanded"] != "false" || js[string](b, `document.getElementById("f-gemeente").value`) != "bergen" {
		t.Errorf("Escape: %+v", n)
	}

	// The server asks which Bergen; the choice fills the field.
	b.choose("f-afdeling-communicatie")
	b.mustBeAt(b.follow("Volgende with Bergen", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/1")
	b.choose("f-gemeente-kies-1")
	if v := js[string](b, `document.getElementById("f-gemeente").value`); v != "Bergen (NH.)" {
		t.Errorf("choosing Bergen (NH.) filled the field with %q", v)
	}
	b.mustBeAt(b.follow("Volgende with Bergen (NH.)", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/2")
}

// TestKeyboardWalkShowsFocusOnEveryControl tabs through every focusable element of the
// respondent's pages and checks each shows the house focus indicator (Chromium's own 1 px
// ring does not count); a select stands in for the dropdowns of other pages, which share the
// stylesheet.
func TestKeyboardWalkShowsFocusOnEveryControl(t *testing.T) {
	smtp := mailtest.Start(t) // with mail on, the resume page offers to mail the link
	host, port, _ := net.SplitHostPort(smtp.Addr)
	app := startServer(t, newDB(t),
		"PEILING_SMTP_URL=smtp://"+smtp.User+":"+smtp.Password+"@"+host+":"+port+"?from=peiling@example.nl")
	b := newBrowser(t, 1280, 900)
	walk := func(name string) {
		t.Helper()
		n := js[int](b, `document.querySelectorAll("a[href], button:not([hidden]), input:not([type=hidden]), select, textarea").length`)
		seen := map[string]bool{}
		for range n + 5 {
			b.press(kb.Tab)
			f := js[focused](b, `(() => {
				const e = document.activeElement;
				const s = getComputedStyle(e);
				return {ID: e.id || e.getAttribute("href") || e.textContent.trim().slice(0, 30), Tag: e.tagName.toLowerCase(), Name: e.name || "",
					Visible: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2) || s.boxShadow !== "none"};
			})()`)
			if f.Tag == "body" {
				break
			}
			key := f.Tag + " " + f.ID + " " + f.Name
			if seen[key] && f.Tag != "input" {
				break
			}
			seen[key] = true
			if !f.Visible {
				t.Errorf("%s: %s has the keyboard focus but shows no focus indicator", name, key)
			}
		}
		if len(seen) < 3 {
			t.Errorf("%s: the walk reached only %d elements", name, len(seen))
		}
	}
	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	walk("start page")
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	b.do("add a select", chromedp.Evaluate[chromedp.Void](`(() => {
		const s = document.createElement("select"); s.id = "test-select";
		s.innerHTML = "<option>een</option><option>twee</option>";
		const l = document.createElement("label"); l.htmlFor = "test-select"; l.textContent = "Keuzelijst";
		document.querySelector("form").prepend(l, s);
	})()`))
	walk("step 1")
	fillAllSteps(b, "Zeist")
	walk("check page")
	b.mustBeAt(b.open(app.URL+"/s/"+slug+"/later"), http.StatusOK, "/s/"+slug+"/later")
	walk("resume page")
	dir := t.TempDir()
	axe := readAxe(t)
	checkWithAxe(t, b, axe, "later-mail", widths, dir)
	b.typeInto("#email", "geen adres")
	b.mustBeAt(b.follow("Mail mij de link", chromedp.Click(chromedp.CSS(`form[action$="/later/mail"] button`))), http.StatusUnprocessableEntity, "/s/"+slug+"/later/mail")
	checkWithAxe(t, b, axe, "later-mail-422", widths, dir)
	checkMarkup(t, b, 1280)
	b.do("clear", chromedp.Evaluate[chromedp.Void](`document.getElementById("email").value = ""`))
	b.typeInto("#email", "a@leiden.nl")
	b.mustBeAt(b.follow("Mail mij de link", chromedp.Click(chromedp.CSS(`form[action$="/later/mail"] button`))), http.StatusOK, "/s/"+slug+"/later")
	if got := smtp.To("a@leiden.nl"); len(got) != 1 || !strings.Contains(got[0].Body, "/hervat/") {
		t.Errorf("mailed resume links: %+v", got)
	}
	b.do("set the viewport to 1280 px", chromedp.EmulateViewport(1280, 900))
	if !visible(b, `[data-copy]`) {
		t.Error("the copy button is hidden although the script and the clipboard are there")
	}
	// At 320 px the whole link shows, its last line included (it was a text area that cut it).
	b.do("set the viewport to 320 px", chromedp.EmulateViewport(320, 700))
	if cut := js[bool](b, `(() => { const e = document.getElementById("hervatlink"); return e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1; })()`); cut {
		t.Error("at 320 px the resume link does not fit its box")
	}
}

// TestWijzigMovesTheFocusToItsQuestion follows "Wijzig" links from the check page: each
// lands on its question with the focus on its control, the question in view.
func TestWijzigMovesTheFocusToItsQuestion(t *testing.T) {
	app := startServer(t, newDB(t))
	b := newBrowser(t, 375, 700)
	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	fillAllSteps(b, "Zeist")
	cases := []struct{ href, focus string }{
		{"#f-afdeling", "f-afdeling-communicatie"},
		{"#f-overleg", "f-overleg-nee"},
		{"#f-kc_stellingen", "f-kc_stellingen-meer_samenwerken-eens"},
		{"#f-bnb_plannen", "f-bnb_plannen-online_luisteren"},
		{"#f-part_concreet", "f-part_concreet"},
	}
	for _, tc := range cases {
		b.mustBeAt(b.open(app.URL+"/s/"+slug+"/controleren"), http.StatusOK, "/s/"+slug+"/controleren")
		b.follow("Wijzig "+tc.href, chromedp.Click(chromedp.CSS(`a[href$="`+tc.href+`"]`)))
		if f := b.focus(); f.ID != tc.focus {
			t.Errorf("Wijzig %s: the focus is on %+v, want #%s", tc.href, f, tc.focus)
		}
		top := js[float64](b, `document.getElementById("`+strings.TrimPrefix(tc.href, "#")+`").getBoundingClientRect().top`)
		if top < -1 || top > 700 {
			t.Errorf("Wijzig %s: the question starts at %.0f px, outside the viewport", tc.href, top)
		}
	}
}

// TestAccessibleNamesOfRespondentControls reads names and states from Chromium's
// accessibility tree, where a screen reader gets them.
func TestAccessibleNamesOfRespondentControls(t *testing.T) {
	path := newDB(t)
	app := startServer(t, path)
	def, err := models.ParseDefinition("fte.yaml", []byte(`slug: formatie
title: Formatie
register: "2018"
sections:
  - title: Formatie
    questions:
      - {code: gemeente, kind: municipality, text: "Voor welke gemeente vult u in?", required: true}
      - {code: fte, kind: number, text: "Hoeveel medewerkers heeft het klantcontactcentrum?", unit: fte}
`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.ImportSurvey(openDB(t, path).Write, def, models.StatusOpen); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, 1280, 900)

	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	if n := b.ax("button.button--start"); n.Name != "Start de peiling" {
		t.Errorf("start button's name = %q", n.Name)
	}
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	if n := b.ax("#f-afdeling"); n.Role != "radiogroup" || n.Props["required"] != "true" || n.Name != "Voor welke afdeling werkt u?" {
		t.Errorf("a required radio group is %+v, want a required radiogroup named after its question", n)
	}
	if n := b.ax("#f-afdeling-communicatie"); n.Props["invalid"] == "true" {
		t.Errorf("an untouched radio is announced as invalid: %+v", n)
	}
	if n := b.ax("#f-overleg"); n.Props["required"] == "true" {
		t.Errorf("an optional question is exposed as required: %+v", n)
	}
	b.choose("f-afdeling-anders")
	if n := b.ax("#f-afdeling-anders-tekst"); !strings.Contains(n.Name, "Voor welke afdeling werkt u?") || !strings.Contains(n.Name, "Anders") {
		t.Errorf("the ‘Anders’ field's name %q does not name its question", n.Name)
	}
	b.typeInto("#f-gemeente", "Zeist")
	b.typeInto("#f-afdeling-anders-tekst", "Informatiebeheer")
	b.mustBeAt(b.follow("Volgende", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/2")
	statement := `#f-kc_stellingen fieldset.statement`
	if n := b.ax(statement); n.Role != "group" || !strings.HasPrefix(n.Name, "In hoeverre bent u het eens met de volgende stellingen over klantcontact?") || !strings.Contains(n.Name, "De disciplines") {
		t.Errorf("a statement's group is %+v; its name must carry the question and the statement", n)
	}

	b.mustBeAt(b.open(app.URL+"/s/formatie"), http.StatusOK, "/s/formatie")
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/formatie/stap/1")
	if n := b.ax("#f-fte"); !strings.Contains(n.Name, "fte") || !strings.HasPrefix(n.Name, "Hoeveel medewerkers") {
		t.Errorf("the number field's name %q lacks its unit", n.Name)
	}
}

// TestErrorLinkKeepsTheQuestionInView follows an error summary link to a text area on a
// phone, with and without JavaScript: the focus (or the scroll) lands on the field and its
// question and hint stay in view above it. The live character count says what is left.
func TestErrorLinkKeepsTheQuestionInView(t *testing.T) {
	app := startServer(t, newDB(t))
	b := newBrowser(t, 375, 640)
	b.mustBeAt(b.open(app.URL+"/s/"+slug), http.StatusOK, "/s/"+slug)
	b.mustBeAt(b.follow("press Start", chromedp.Click(chromedp.CSS("button.button--start"))), http.StatusOK, "/s/"+slug+"/stap/1")
	b.typeInto("#f-gemeente", "Zeist")
	b.press(kb.Escape)
	b.choose("f-afdeling-communicatie")
	b.mustBeAt(b.follow("Volgende", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusOK, "/s/"+slug+"/stap/2")

	b.typeInto("#f-kc_concreet", "Een KCC")
	b.do("wait for the count", chromedp.Poll[chromedp.Void](`document.querySelector(".char-count") && document.querySelector(".char-count").textContent === "U heeft nog 3993 tekens over"`))
	b.do("wait for the spoken count", chromedp.Poll[chromedp.Void](`[...document.querySelectorAll("[aria-live=polite]")].some(e => e.textContent === "U heeft nog 3993 tekens over")`))
	b.do("make the answer too long", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-kc_concreet").value = "a".repeat(4001)`))
	b.mustBeAt(b.follow("Volgende with a long answer", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/2")
	inView := func(how string) {
		t.Helper()
		top := js[float64](b, `document.querySelector("label[for=f-kc_concreet]").getBoundingClientRect().top`)
		hint := js[float64](b, `document.getElementById("f-kc_concreet-limit").getBoundingClientRect().top`)
		field := js[float64](b, `document.getElementById("f-kc_concreet").getBoundingClientRect().top`)
		if top < 0 || hint < 0 || field > 640 {
			t.Errorf("%s: question at %.0f px, hint at %.0f px, field at %.0f px in a 640 px viewport", how, top, hint, field)
		}
	}
	b.clickOn(`.error-summary a[href="#f-kc_concreet"]`)
	if f := b.focus(); f.ID != "f-kc_concreet" {
		t.Errorf("the error link focused %+v", f)
	}
	inView("with JavaScript")

	b.do("switch off JavaScript", func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	})
	b.do("make the answer too long", chromedp.Evaluate[chromedp.Void](`document.getElementById("f-kc_concreet").value = "a".repeat(4001)`))
	b.mustBeAt(b.follow("Volgende with a long answer", chromedp.Click(chromedp.CSS(`button[value="volgende"]`))), http.StatusUnprocessableEntity, "/s/"+slug+"/stap/2")
	b.clickOn(`.error-summary a[href="#f-kc_concreet"]`)
	inView("without JavaScript")
}
