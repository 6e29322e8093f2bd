package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	texttemplate "text/template"
	"text/template/parse"

	"golang.org/x/net/html"

	"peiling/locales"
	"peiling/mail"
)

// untranslated are templates whose words are not yet in the catalogue; the researcher's pages
// are translated on top of the catalogue's infrastructure, and this list shrinks to nothing.
var untranslated = map[string]bool{
	// Every template is in the catalogue.
}

// namesAllowed are words that are rightly the same in every language: names.
var namesAllowed = map[string]bool{
	"Peiling": true, // the product's name
}

var word = regexp.MustCompile(`\p{L}+`)

// isLoose reports whether visible text v holds a word that is not a name.
func isLoose(v string) bool {
	for _, w := range word.FindAllString(v, -1) {
		if !namesAllowed[w] {
			return true
		}
	}
	return false
}

// visibleAttributes are the attributes a user reads or hears.
var visibleAttributes = map[string]bool{"aria-label": true, "title": true, "placeholder": true, "alt": true, "aria-roledescription": true, "label": true}

var (
	templateAction = regexp.MustCompile(`(?s)\{\{.*?\}\}`)
)

// looseText returns the user-visible words of a template that do not come from an action:
// text between tags and the visible attributes, with every {{…}} taken out.
func looseText(src string) []string {
	z := html.NewTokenizer(strings.NewReader(templateAction.ReplaceAllString(src, " ")))
	var out []string
	skip := 0 // inside <script> or <style>
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			if tok.Data == "script" || tok.Data == "style" {
				skip++
			}
			for _, a := range tok.Attr {
				if v := strings.TrimSpace(a.Val); visibleAttributes[a.Key] && isLoose(v) {
					out = append(out, a.Key+`="`+v+`"`)
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" {
				skip--
			}
		case html.TextToken:
			if v := strings.Join(strings.Fields(string(z.Text())), " "); skip == 0 && isLoose(v) {
				out = append(out, v)
			}
		}
	}
}

func templateFiles(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := fs.WalkDir(os.DirFS("../templates"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		data, err := os.ReadFile("../templates/" + p)
		files[strings.TrimSuffix(p, ".html")] = string(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestTemplatesHaveNoLooseText fails when a template shows words that are not a catalogue
// message: every word a user reads comes from {{T "…"}} or from the survey's own content.
func TestTemplatesHaveNoLooseText(t *testing.T) {
	files := templateFiles(t)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		loose := looseText(files[name])
		if untranslated[name] {
			if len(loose) == 0 {
				t.Errorf("%s is translated now: take it off the untranslated list", name)
			}
			continue
		}
		for _, text := range loose {
			t.Errorf("%s.html: %q is not in the catalogue", name, text)
		}
	}
	for name := range untranslated {
		if _, ok := files[name]; !ok {
			t.Errorf("untranslated lists %s, which is no template", name)
		}
	}
}

func TestLooseTextFindsWordsOutsideTheCatalogue(t *testing.T) {
	got := looseText(`<p>{{T "a.b"}}</p><p>Hallo {{.Name}}</p><input placeholder="Zoek" aria-label="{{T "x"}}"><script>var a = "b";</script><span>{{.X}} – {{.Y}}</span>`)
	want := []string{"Hallo", `placeholder="Zoek"`}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
}

// keysInUse returns every message id a template or the Go code of this package names as a
// literal: {{T "id"}} and .T("id", …).
func keysInUse(t *testing.T) map[string]string {
	t.Helper()
	keys := map[string]string{}
	for name, src := range templateFiles(t) {
		tmpl, err := texttemplate.New(name).Funcs(templateFuncStubs()).Parse(src)
		if err != nil {
			t.Fatalf("parse %s: %v", name, err)
		}
		for _, tree := range tmpl.Templates() {
			walkNodes(tree.Tree.Root, func(n *parse.CommandNode) {
				if len(n.Args) < 2 {
					return
				}
				if id, ok := n.Args[0].(*parse.IdentifierNode); ok && (id.Ident == "T" || id.Ident == "TH") {
					if s, ok := n.Args[1].(*parse.StringNode); ok {
						keys[s.Text] = name + ".html"
					}
				}
			})
		}
	}
	fset := token.NewFileSet()
	goFiles, _ := fs.Glob(os.DirFS("."), "*.go")
	for _, f := range goFiles {
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "T" {
				if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					id, _ := strconv.Unquote(lit.Value)
					keys[id] = fset.Position(lit.Pos()).String()
				}
			}
			return true
		})
	}
	return keys
}

func templateFuncStubs() texttemplate.FuncMap {
	funcs := texttemplate.FuncMap{}
	for name, f := range languageFuncs(catalogue.Dutch()) {
		funcs[name] = f
	}
	for _, name := range []string{"asset", "paragraphs", "inc", "confirmField", "choiceGroup", "summaryOf", "input", "registerPick", "surveyNav"} {
		funcs[name] = func(...any) any { return nil }
	}
	return funcs
}

func walkNodes(n parse.Node, f func(*parse.CommandNode)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walkNodes(c, f)
			}
		}
	case *parse.ActionNode:
		walkPipe(n.Pipe, f)
	case *parse.IfNode:
		walkBranch(&n.BranchNode, f)
	case *parse.RangeNode:
		walkBranch(&n.BranchNode, f)
	case *parse.WithNode:
		walkBranch(&n.BranchNode, f)
	case *parse.TemplateNode:
		walkPipe(n.Pipe, f)
	}
}

// walkBranch walks an if, range or with: its pipeline and both its lists.
func walkBranch(b *parse.BranchNode, f func(*parse.CommandNode)) {
	walkPipe(b.Pipe, f)
	walkNodes(b.List, f)
	walkNodes(b.ElseList, f)
}

func walkPipe(p *parse.PipeNode, f func(*parse.CommandNode)) {
	if p == nil {
		return
	}
	for _, c := range p.Cmds {
		f(c)
		for _, a := range c.Args {
			if sub, ok := a.(*parse.PipeNode); ok {
				walkPipe(sub, f)
			}
		}
	}
}

// TestCatalogueHasEveryKeyInUse fails when a template or a handler names a message that no
// catalogue holds (it would show as its id).
func TestCatalogueHasEveryKeyInUse(t *testing.T) {
	dutch, err := locales.Messages(locales.Files(), "nl")
	if err != nil {
		t.Fatal(err)
	}
	keys := keysInUse(t)
	if len(keys) < 5 {
		t.Fatalf("found only %d keys in use: the search is broken", len(keys))
	}
	for id, where := range keys {
		if _, ok := dutch[id]; !ok {
			t.Errorf("%s: message %s is in no catalogue", where, id)
		}
	}
}

// TestLanguageChoice: the switch (kept in a cookie) beats the browser's Accept-Language, which
// beats the default, Dutch; <html lang> and the switch follow.
func TestLanguageChoice(t *testing.T) {
	app := newTestApp(t)
	for _, tc := range []struct {
		name, path, accept, cookie, want string
	}{
		{"default Dutch", "/", "", "", "nl"},
		{"browser English", "/", "en-GB,en;q=0.9", "", "en"},
		{"browser German falls to Dutch", "/", "de-DE", "", "nl"},
		{"switch beats browser", "/?lang=nl", "en", "", "nl"},
		{"cookie beats browser", "/", "en", "nl", "nl"},
		{"cookie English", "/privacy", "nl", "en", "en"},
		{"unknown language ignored", "/?lang=xx", "", "", "nl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, app.srv.URL+tc.path, nil)
			if tc.accept != "" {
				req.Header.Set("Accept-Language", tc.accept)
			}
			if tc.cookie != "" {
				req.AddCookie(&http.Cookie{Name: langCookie, Value: tc.cookie})
			}
			p := app.newClient().do(req)
			if !strings.Contains(p.Body, `<html lang="`+tc.want+`">`) {
				t.Fatalf("want lang %s; page starts %.80q", tc.want, p.Body)
			}
			other := map[string]string{"nl": `lang="en" hreflang="en">English</a>`, "en": `lang="nl" hreflang="nl">Nederlands</a>`}[tc.want]
			if !strings.Contains(p.Body, other) {
				t.Errorf("no switch %s", other)
			}
		})
	}
}

// TestLanguageSwitchIsKept: after following the switch, the next pages stay in that language,
// and the switch links to the same page.
func TestLanguageSwitchIsKept(t *testing.T) {
	app := newTestApp(t)
	c := app.newClient()
	p := c.get("/privacy")
	if !strings.Contains(p.Body, `href="/privacy?lang=en"`) {
		t.Fatalf("no switch to the same page in English")
	}
	c.get("/privacy?lang=en")
	if p := c.get("/"); !strings.Contains(p.Body, `<html lang="en">`) || !strings.Contains(p.Body, "Skip to main content") {
		t.Errorf("English not kept")
	}
	if p := c.get("/?lang=nl"); !strings.Contains(p.Body, `<html lang="nl">`) || !strings.Contains(p.Body, "Direct naar de inhoud") {
		t.Errorf("Dutch not chosen back")
	}
}

// TestMarkupMessagesEscapeTheirArguments: a message may carry markup only when its id ends in
// _html, and its arguments (a municipality's name, a survey's title) are always escaped.
func TestMarkupMessagesEscapeTheirArguments(t *testing.T) {
	en := catalogue.Translator("en")
	got := string(markupMessage(en, "respond.start.invited_html", "Municipality", `<script>x</script>`))
	if !strings.Contains(got, "<strong>&lt;script&gt;x&lt;/script&gt;</strong>") {
		t.Errorf("argument not escaped, or markup lost: %s", got)
	}
	if got := string(markupMessage(en, "respond.start.button")); got != "Start the survey" {
		t.Errorf("a plain message: %q", got)
	}
	if got := string(markupMessage(en, "respond.confirmation.received", "At", "<b>")); strings.Contains(got, "<b>") {
		t.Errorf("a message without _html came out as markup: %q", got)
	}
}

var switchLink = regexp.MustCompile(`<a href="([^"]*)" lang="en" hreflang="en">English</a>`)

// englishSwitch returns where the page's switch to English leads.
func englishSwitch(t *testing.T, p *page) string {
	t.Helper()
	m := switchLink.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("page %s (%d) has no switch to English", p.URL, p.Status)
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestLanguageSwitchAfterAPostLeadsToAPage: a page that answered a POST-only address (a refused
// send, a form with mistakes) switches language through the page the form came from, by GET,
// never through the POST address, which would answer 405.
func TestLanguageSwitchAfterAPostLeadsToAPage(t *testing.T) {
	app := newTestApp(t)
	app.h.cfg.Mail = mail.Config{Host: "127.0.0.1", Port: 1, From: "peiling@example.nl"}
	resp := app.newClient()
	resp.start()
	resp.get("/s/" + refSlug + "/later")
	p := resp.post("/s/"+refSlug+"/later/mail", url.Values{"email": {"geen-adres"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("mailing the link to a wrong address: %d at %s", p.Status, p.URL)
	}
	if got := englishSwitch(t, p); got != "/s/"+refSlug+"/later?lang=en" {
		t.Errorf("after a refused address the switch leads to %q", got)
	}

	r := app.asResearcher()
	r.get(adminBase + "/email")
	p = r.post(adminBase+"/email/teksten", url.Values{"onderwerp-uitnodiging": {""}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("mail texts with mistakes: %d", p.Status)
	}
	if got := englishSwitch(t, p); got != adminBase+"/email?lang=en" {
		t.Errorf("after a form with mistakes the switch leads to %q", got)
	}
	for _, c := range []struct {
		c    *client
		path string
	}{{resp, "/s/" + refSlug + "/later?lang=en"}, {r, adminBase + "/email?lang=en"}} {
		if p := c.c.get(c.path); p.Status != http.StatusOK || !strings.Contains(p.Body, `<html lang="en">`) {
			t.Errorf("%s: %d, not in English", c.path, p.Status)
		}
	}

	// A GET keeps its own address and query; an odd address stays on this site.
	if got := englishSwitch(t, app.newClient().get("/privacy?x=1")); got != "/privacy?lang=en&x=1" {
		t.Errorf("a GET page's switch: %q", got)
	}
	if got := englishSwitch(t, app.newClient().get("//evil.example/x")); strings.HasPrefix(got, "//") || !strings.HasPrefix(got, "/") {
		t.Errorf("the switch leaves the site: %q", got)
	}
}

func TestRouteMatches(t *testing.T) {
	for _, tc := range []struct {
		pattern, path string
		want          bool
	}{
		{"/s/:slug", "/s/abc", true},
		{"/s/:slug", "/s/abc/verzenden", false},
		{"/s/:slug/stap/:n", "/s/abc/stap/2", true},
		{"/static/*", "/static/css/a.css", true},
		{"/", "/", true},
		{"/admin", "/", false},
		{"/admin/surveys/:slug/email", "/admin/surveys/x/email", true},
	} {
		if got := routeMatches(tc.pattern, tc.path); got != tc.want {
			t.Errorf("routeMatches(%q, %q) = %v", tc.pattern, tc.path, got)
		}
	}
}
