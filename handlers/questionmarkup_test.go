package handlers

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"peiling/models"
)

// TestQuestionMarkupChangesNoPage renders every section of the reference survey, in Dutch and
// in English, untouched, half answered and with errors, once with the questions' cached markup
// (questionMarkup) and once through the "question" template on every request. The pages must
// be the same bytes; and an untouched page must actually use the cache.
func TestQuestionMarkupChangesNoPage(t *testing.T) {
	app := newTestApp(t)
	defer func() { cacheQuestionMarkup = true }()
	both := func(c *client, get func() *page) *page {
		cacheQuestionMarkup = true
		cached := get()
		cacheQuestionMarkup = false
		plain := get()
		cacheQuestionMarkup = true
		// A check page reached by sending the last section carries a fresh submission token.
		samePages(t, "cached/plain", []*page{cached}, []*page{plain}, submission)
		return cached
	}
	for _, lang := range []string{"nl", "en"} {
		c := app.newClient()
		c.get("/s/" + refSlug + "?lang=" + lang)
		c.start()
		for step := 1; step <= 5; step++ {
			u := "/s/" + refSlug + "/stap/" + string(rune('0'+step))
			both(c, func() *page { return c.get(u) })
			// Sent without answers: every required question gets its error.
			both(c, func() *page { return c.post(u, url.Values{"actie": {"volgende"}}) })
		}
		c.fillAll("Ede")
		for step := 1; step <= 5; step++ {
			u := "/s/" + refSlug + "/stap/" + string(rune('0'+step))
			both(c, func() *page { return c.get(u) }) // answered: from the template
		}
		// One answer wrong, the rest as saved: errors beside cached neighbours.
		both(c, func() *page {
			return c.post("/s/"+refSlug+"/stap/2", url.Values{"kc_concreet": {strings.Repeat("x", 5000)}, "actie": {"volgende"}})
		})
	}
	// Another respondent sees the untouched sections as kept (keptSectionMain), with a CSRF
	// token of their own.
	for _, lang := range []string{"nl", "en"} {
		c := app.newClient()
		c.get("/s/" + refSlug + "?lang=" + lang)
		c.start()
		c.post("/s/"+refSlug+"/stap/1", func() url.Values { f := sectionAnswers("Ede")[0]; f.Set("actie", "volgende"); return f }())
		for step := 2; step <= 5; step++ {
			u := "/s/" + refSlug + "/stap/" + string(rune('0'+step))
			p := both(c, func() *page { return c.get(u) })
			cookie := ""
			srv, _ := url.Parse(app.srv.URL)
			for _, ck := range c.http.Jar.Cookies(srv) {
				if ck.Name == "peiling_csrf" {
					cookie = ck.Value
				}
			}
			if m := csrfField.FindStringSubmatch(p.Body); m == nil || m[1] != cookie || cookie == "" || strings.Contains(p.Body, csrfMark) {
				t.Errorf("%s step %d: the page's CSRF token is not this respondent's (%q)", lang, step, cookie)
			}
		}
	}
	if app.h.render.markups.Len() == 0 {
		t.Error("no question markup was cached: an untouched section page did not use the cache")
	}
}

var submission = regexp.MustCompile(`name="inzending" value="[^"]*"`)

// TestTickedQuestionsAreTheKeptMarkupWithInputsChecked: a question whose only answers are
// ticks, words in "other", a name, a number or a text is written from its kept markup
// (withAnswer), and that is what the template writes for it.
func TestTickedQuestionsAreTheKeptMarkupWithInputsChecked(t *testing.T) {
	app := newTestApp(t)
	def := app.definition(refSlug)
	reg := app.register(refSlug)
	tr := catalogue.Dutch()
	ticked, names := 0, 0
	for si, answers := range sectionAnswers("Ede") {
		pristine, _ := buildQuestions(tr, def, si, url.Values{}, nil, reg, nil)
		for i := range pristine {
			if pristine[i].pristine {
				if _, err := app.h.render.keepQuestion(def, "nl", &pristine[i], reg); err != nil {
					t.Fatal(err)
				}
			}
		}
		cached := func(code string) (keptMarkup, bool) { return app.h.render.cachedQuestion(def, "nl", code, reg) }
		plain, _ := buildQuestions(tr, def, si, answers, nil, reg, nil)
		reused, _ := buildQuestions(tr, def, si, answers, nil, reg, cached)
		for i, q := range def.Sections[si].Questions {
			ticks, onlyTicked := onlyTicks(&q, answers, nil)
			untouchedQ := untouched(answers, nil, questionFields(&q)...)
			typedName := (q.Kind == models.KindMunicipality || q.Kind == models.KindText || q.Kind == models.KindNumber) && answers.Get(q.Code) != ""
			if kept := onlyTicked || untouchedQ || typedName; kept != (reused[i].Markup != "") {
				t.Errorf("%s: only ticks %v (%v), untouched %v, a name %v, but kept markup used: %v", q.Code, onlyTicked, ticks, untouchedQ, typedName, reused[i].Markup != "")
			}
			if typedName {
				names++
			}
			if reused[i].Markup == "" {
				continue
			}
			var want strings.Builder
			section, err := app.h.render.template("nl", "respond/section")
			if err != nil {
				t.Fatal(err)
			}
			if err := section.ExecuteTemplate(&want, "question", plain[i]); err != nil {
				t.Fatal(err)
			}
			if string(reused[i].Markup) != want.String() {
				t.Errorf("%s: kept markup with ticks differs from the template's:\n got %s\nwant %s", q.Code, reused[i].Markup, want.String())
			}
			ticked += len(ticks)
			if n := strings.Count(string(reused[i].Markup), " checked"); !typedName && n != len(ticks) {
				t.Errorf("%s: %d inputs checked, want %d", q.Code, n, len(ticks))
			}
		}
	}
	if names < 4 {
		t.Errorf("%d names and texts written into kept markup, want the municipality and every text", names)
	}
	// A typed name is escaped as the template escapes it.
	for _, name := range []string{"'s-Hertogenbosch", `Bergen <b>"&+</b>`} {
		values := url.Values{"gemeente": {name}}
		plain, _ := buildQuestions(tr, def, 0, values, nil, reg, nil)
		reused, _ := buildQuestions(tr, def, 0, values, nil, reg, func(code string) (keptMarkup, bool) {
			return app.h.render.cachedQuestion(def, "nl", code, reg)
		})
		section, err := app.h.render.template("nl", "respond/section")
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		if err := section.ExecuteTemplate(&want, "question", plain[0]); err != nil {
			t.Fatal(err)
		}
		if reused[0].Markup == "" || string(reused[0].Markup) != want.String() {
			t.Errorf("%q: kept picker with the name differs from the template's", name)
		}
	}
	// The picker's markup holds for its register only.
	other := *reg
	if _, ok := app.h.render.cachedQuestion(def, "nl", "gemeente", &other); ok {
		t.Error("the picker's kept markup was given for another register")
	}
	if ticked < 5 {
		t.Errorf("%d ticks written from kept markup, want the answers' singles, multiples and statements", ticked)
	}
	// An option code that is not an option: not found, so the template writes the question.
	if ins := withTicks(newKeptMarkup(`<input id="f-a-x" name="a" value="x">`), []tick{{"a", "y"}}); ins != nil {
		t.Error("withTicks checked an input that is not there")
	}
	// An input that is there twice: left to the template, as before the index.
	twice := newKeptMarkup(`<input id="f-a-x" name="a" value="x"><input id="f-a-x" name="a" value="x"><input id="f-a-z" name="a" value="z">`)
	if ins := withTicks(twice, []tick{{"a", "x"}}); ins != nil {
		t.Error("withTicks checked an input that is there twice")
	}
	if ins := withTicks(twice, []tick{{"a", "z"}}); len(ins) != 1 || spliced(string(twice.html), ins) != `<input id="f-a-x" name="a" value="x"><input id="f-a-x" name="a" value="x"><input id="f-a-z" name="a" value="z" checked>` {
		t.Errorf("the input there once: %v", ins)
	}
}
