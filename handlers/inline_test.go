package handlers

import (
	"html/template"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
)

// TestInlinedMessagesChangeNoPage plays the same visits, in Dutch and in English, on two apps:
// one whose pages were parsed as they are served (messages without arguments put in as text
// at parse time, inlineConstants), one whose pages call T and escape its result on every
// request (inlineMessages off). Every page must come out byte for byte the same, but for the
// session's own tokens and the minute of an audit entry.
func TestInlinedMessagesChangeNoPage(t *testing.T) {
	inlined := newTestApp(t)
	inlineMessages = false
	plain := newTestApp(t)
	inlineMessages = true

	tokens := regexp.MustCompile(`127\.0\.0\.1:[0-9]+|[A-Za-z0-9_-]{20,}|PL-[0-9A-Z]{4}-[0-9A-Z]{4}|\b[0-9]{1,2}:[0-9]{2}(am|pm)?\b`) // the two apps' addresses (a resume link), and clock times: an audit entry of each app may fall in another minute
	visit := func(app *testApp, lang, municipality string) []*page {
		var pages []*page
		c := app.newClient()
		keep := func(p *page) { pages = append(pages, p) }
		keep(c.get("/s/" + refSlug + "?lang=" + lang))
		pages = append(pages, c.respondentPages(municipality)...)
		r := app.asResearcher()
		for _, p := range []string{"/admin?lang=" + lang, "/admin/surveys/" + refSlug, "/admin/surveys/" + refSlug + "/editor",
			"/admin/surveys/" + refSlug + "/preview", "/admin/surveys/" + refSlug + "/preview/stap/2", "/admin/surveys/" + refSlug + "/uitnodigingen",
			"/admin/surveys/" + refSlug + "/veldwerk", "/admin/surveys/new", "/admin/surveys/" + refSlug + "/sluiten", "/s/onbekend"} {
			keep(r.get(p))
		}
		return pages
	}
	for lang, municipality := range map[string]string{"nl": "Ede", "en": "Epe"} {
		samePages(t, lang+" inlined/plain", visit(inlined, lang, municipality), visit(plain, lang, municipality), tokens)
	}
}

// TestInlineConstantsOnlyWhereHTMLEscapes: a string constant becomes text only in element
// content, a quoted attribute and RCDATA, where html/template escapes it with one table; in a
// URL, a script and an unquoted attribute it stays an action. The output is the same bytes.
func TestInlineConstantsOnlyWhereHTMLEscapes(t *testing.T) {
	const s = `a<b & 'c' + "d" </script> é`
	src := strings.NewReplacer("S", strconv.Quote(s)).Replace(
		`<title>{{S}}</title><p title="{{S}}">{{S}}</p><textarea>{{S}}</textarea><a href="/x?q={{S}}">x</a><script>var s = {{S}};</script><p class={{S}}>`)
	parseSrc := func() *template.Template {
		return template.Must(template.New("layout.html").Parse(src))
	}
	var want, got strings.Builder
	if err := parseSrc().Execute(&want, nil); err != nil {
		t.Fatal(err)
	}
	page := parseSrc()
	if err := inlineConstants(page); err != nil {
		t.Fatal(err)
	}
	if err := page.Execute(&got, nil); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("inlined\n %s\nwant\n %s", got.String(), want.String())
	}
	var actions int
	for _, n := range page.Tree.Root.Nodes {
		if _, ok := n.(*parse.ActionNode); ok {
			actions++
		}
	}
	if actions != 3 { // the URL, the script and the unquoted attribute
		t.Errorf("%d actions left, want 3: %s", actions, page.Tree.Root)
	}
}
