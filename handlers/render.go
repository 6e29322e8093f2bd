package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"peiling/locales"
	"peiling/models"
)

// Renderer renders pages: each page file is parsed once per language, on its first use, into
// its own set with the layout and the partials it reaches.
type Renderer struct {
	// pages holds every page once per language (code → name → page): T and the date and
	// number functions are bound to the language at parse time, so that templates and partials
	// call {{T "key"}} whatever their dot is, and no per-request value enters a FuncMap.
	pages  map[string]map[string]*lazyPage
	lang   *locales.Catalogue
	mu     sync.Mutex
	seen   map[string]bool
	assets map[string]string // static path → content hash
	// markups are, per survey definition as the respondent's pages show it, the markup of
	// each question untouched, per page language and question code (lang + "\x00" + code →
	// keptMarkup), and of the blocks around a section's questions (keptSectionMain): a section
	// page is mostly its questions, and a question's markup is the same for every respondent
	// but for their answer, which is put in (withAnswer); html/template spent most of a section
	// page on it, calling its escapers through reflection six times per radio button
	// (questionmarkup.go). Each Renderer has its own: the markup is its templates' output.
	markups models.DefinitionMemo
}

// frame is what every page gets; Data is the page's own typed view.
type frame struct {
	CSRF  string
	Flash string
	Lang  string // the page's language code, for <html lang>
	// ContentLang is the language of the survey's own texts when it is not the page's: a
	// survey without English on an English page. Templates mark those texts with it.
	ContentLang string
	Languages   []languageLink // the language switch: every other language
	Data        any
	Preview     *previewFrame      // set on the pages of a preview (preview.go)
	content     *models.Definition // the survey texts on the page, in the language chosen
}

// TextLang is the language of text, one of the survey's texts on the page, when it is not the
// page's: a survey translated in part shows the texts it lacks in Dutch, marked so.
func (f frame) TextLang(text string) string {
	if f.content == nil {
		return f.ContentLang
	}
	if l := f.content.TextLang(text); l != f.Lang {
		return l
	}
	return ""
}

var amsterdam = mustLocation("Europe/Amsterdam")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}

var dutchMonths = []string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

// dutchTime writes t as "3 januari 2018 om 14:05" in Amsterdam time.
func dutchTime(t time.Time) string {
	t = t.In(amsterdam)
	return fmt.Sprintf("%d %s %d om %02d:%02d", t.Day(), dutchMonths[t.Month()-1], t.Year(), t.Hour(), t.Minute())
}

// languageLink is one entry of the language switch, named in its own language.
type languageLink struct{ Code, Name, URL string }

// NewRenderer reads every page below templates, for each language of the catalogue, checks
// that every page parses, and hashes every static file.
func NewRenderer(templates, static fs.FS, lang *locales.Catalogue) (*Renderer, error) {
	r := &Renderer{pages: map[string]map[string]*lazyPage{}, lang: lang, seen: map[string]bool{}, assets: map[string]string{}}
	if err := r.hashAssets(static); err != nil {
		return nil, err
	}
	files, err := scanTemplates(templates) // which partials each page needs: the same in every language
	if err != nil {
		return nil, err
	}
	for _, t := range lang.Languages() {
		pages, err := r.parsePages(templates, files, t)
		if err != nil {
			return nil, err
		}
		r.pages[t.Code()] = pages
	}
	// A broken template fails the start, not a request: every page is parsed once now, in
	// Dutch, and dropped (the pages are kept only from their first use, lazyPage).
	for name, p := range r.pages[locales.Default.String()] {
		if _, err := p.parse(); err != nil {
			return nil, fmt.Errorf("template %s: %w", name, err)
		}
	}
	return r, nil
}

// languageFuncs are the template functions that word things in language t.
func languageFuncs(t *locales.Translator) template.FuncMap {
	words := newSummaryWords(t)
	return template.FuncMap{
		"T":        t.T,
		"TH":       func(id string, args ...any) template.HTML { return markupMessage(t, id, args...) },
		"date":     t.Date,
		"dateTime": t.DateTime,
		"dayMonth": t.DayMonth,
		"number":   t.Number,
		"percent":  t.Percent,
		"lastDay":  func(at time.Time) string { return lastDay(t, at) },
		"summaryRows": func(rows []summaryRow, edit bool) template.HTML {
			return summaryRows(words, rows, edit)
		},
		// dutchTime is dateTime's old name, kept until the researcher's templates use dateTime.
		"dutchTime": t.DateTime,
	}
}

// markupMessage is a message whose text carries markup (<strong>, a link): only messages with an
// id ending in _html may, as the catalogue is ours; the arguments are escaped, as they may be
// anyone's words.
func markupMessage(t *locales.Translator, id string, args ...any) template.HTML {
	safe := make([]any, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok && i%2 == 1 {
			a = template.HTMLEscapeString(s)
		}
		safe[i] = a
	}
	msg := t.T(id, safe...)
	if !strings.HasSuffix(id, "_html") {
		return template.HTML(template.HTMLEscapeString(msg))
	}
	return template.HTML(msg)
}

// lazyPage is one page's templates in one language, parsed and escaped on first use: a process
// serving respondents never holds the researcher's 25 pages, and what the garbage collector
// has to mark at every cycle, and may let grow threefold (tuneGC), is the pages in use.
// Parsing every page at start had them all live: 7 of 16 MB of live heap under the load run,
// 104 MB peak RSS against 81 (docs/performance.md, "Speed").
type lazyPage struct {
	once  sync.Once
	parse func() (*template.Template, error)
	t     *template.Template
	err   error
}

func (p *lazyPage) template() (*template.Template, error) {
	p.once.Do(func() { p.t, p.err = p.parse(); p.parse = nil })
	return p.t, p.err
}

// template is page name in language lang, parsed if this is its first use.
func (r *Renderer) template(lang, name string) (*template.Template, error) {
	p, ok := r.pages[lang][name]
	if !ok {
		return nil, fmt.Errorf("no template %q in %q", name, lang)
	}
	return p.template()
}

func (r *Renderer) parsePages(templates fs.FS, files *templateIndex, t *locales.Translator) (map[string]*lazyPage, error) {
	pages := map[string]*lazyPage{}
	funcs := template.FuncMap{
		"asset":        r.asset,
		"paragraphs":   paragraphs,
		"inc":          func(i int) int { return i + 1 },
		"confirmField": confirmField,
		"choiceGroup":  choiceGroup,
		"summaryOf":    func(s []summarySection, edit bool) summaryGroup { return summaryGroup{Sections: s, Edit: edit} },
		"input":        newInputView,
		"registerPick": func(id string, options []string, value, errMsg string) registerPick {
			return registerPick{ID: id, Options: options, Value: value, Error: errMsg}
		},
		"surveyNav": surveyNav,
	}
	for name, f := range languageFuncs(t) {
		funcs[name] = f
	}
	// Every file's source in language t, read now: pages are parsed later, by whichever
	// request comes first, so the map must not change then.
	sources := map[string]string{}
	inline := inlineMessages // as when the renderer was made, not when a page is first used
	err := fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		b, err := fs.ReadFile(templates, p)
		if err != nil {
			return err
		}
		sources[p] = constantMessages(string(b), t)
		if p == "layout.html" || strings.HasPrefix(p, "partials/") {
			return nil
		}
		needs := files.needs(p)
		pages[strings.TrimSuffix(p, ".html")] = &lazyPage{parse: func() (*template.Template, error) {
			tmpl := template.New("layout.html").Funcs(funcs)
			if err := parseFiles(tmpl, sources, needs...); err != nil {
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
			if inline {
				if err := inlineConstants(tmpl); err != nil {
					return nil, fmt.Errorf("escape %s: %w", p, err)
				}
			}
			return tmpl, nil
		}}
		return nil
	})
	return pages, err
}

// templateIndex knows, for the layout and each partial, which templates the file defines, and
// for every file which templates it calls.
type templateIndex struct {
	definedIn map[string]string   // template name → the partial (or layout) that defines it
	calls     map[string][]string // file → names it calls
	partials  []string            // in the order ParseFS would parse them
}

// scanTemplates reads which templates every file defines and calls. A page is parsed with the
// layout and only the partials it reaches: html/template copies every template of a set when
// it is cloned, and each of 41 pages × every language holding every partial was 18 MB of the
// 39 MB live heap under load (docs/performance.md, "Speed").
func scanTemplates(templates fs.FS) (*templateIndex, error) {
	partials, err := fs.Glob(templates, "partials/*.html")
	if err != nil {
		return nil, err
	}
	idx := &templateIndex{definedIn: map[string]string{}, calls: map[string][]string{}, partials: partials}
	err = fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") {
			return err
		}
		src, err := fs.ReadFile(templates, p)
		if err != nil {
			return err
		}
		trees := map[string]*parse.Tree{}
		tree := parse.New(path.Base(p))
		tree.Mode = parse.SkipFuncCheck
		if _, err := tree.Parse(string(src), "", "", trees); err != nil {
			return fmt.Errorf("scan %s: %w", p, err)
		}
		isPage := p != "layout.html" && !strings.HasPrefix(p, "partials/")
		for name, t := range trees {
			if !isPage {
				idx.definedIn[name] = p
			}
			idx.calls[p] = append(idx.calls[p], calledTemplates(t.Root, nil)...)
		}
		return nil
	})
	return idx, err
}

// needs lists the files page p is parsed from: the layout, every partial that defines a
// template the page or the layout reaches, and the page itself, last, as before: a page's
// define replaces a partial's.
func (idx *templateIndex) needs(p string) []string {
	reached := map[string]bool{}
	var visit func(file string)
	visit = func(file string) {
		for _, name := range idx.calls[file] {
			if def, ok := idx.definedIn[name]; ok && !reached[def] {
				reached[def] = true
				visit(def)
			}
		}
	}
	reached["layout.html"] = true
	visit("layout.html")
	visit(p)
	files := []string{"layout.html"}
	for _, f := range idx.partials {
		if reached[f] {
			files = append(files, f)
		}
	}
	return append(files, p)
}

// calledTemplates appends the names of the templates node n calls ({{template "x"}}).
func calledTemplates(n parse.Node, names []string) []string {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				names = calledTemplates(c, names)
			}
		}
	case *parse.TemplateNode:
		names = append(names, n.Name)
	case *parse.IfNode:
		names = branchCalls(&n.BranchNode, names)
	case *parse.RangeNode:
		names = branchCalls(&n.BranchNode, names)
	case *parse.WithNode:
		names = branchCalls(&n.BranchNode, names)
	}
	return names
}

func branchCalls(b *parse.BranchNode, names []string) []string {
	return calledTemplates(b.ElseList, calledTemplates(b.List, names))
}

// inlineMessages is false only in TestInlinedMessagesChangeNoPage, which compares every page
// with and without inlineConstants.
var inlineMessages = true

// parseFiles parses the files into t as ParseFS does (each file a template named by its base
// name), after putting in each {{T "key"}} without arguments its message in language tr, as a
// string constant: {{"Volgende"}}. html/template escapes a constant as the place needs, as it
// escapes what T returns, so the page is the same; only the call and the catalogue look-up
// are gone. The files themselves are not changed: the catalogue tests read them as written.
// sources holds every file's source in the page's language, messages put in.
func parseFiles(t *template.Template, sources map[string]string, files ...string) error {
	for _, f := range files {
		src, ok := sources[f]
		if !ok {
			return fmt.Errorf("no template file %s", f)
		}
		name := path.Base(f)
		tmpl := t
		if name != t.Name() {
			tmpl = t.New(name)
		}
		if _, err := tmpl.Parse(src); err != nil {
			return err
		}
	}
	return nil
}

// plainMessage is a T action, or a parenthesised T call, with a constant key and nothing else.
var plainMessage = regexp.MustCompile(`\{\{(-? )?T ("[a-z0-9_.]+")( -)?\}\}|\(T ("[a-z0-9_.]+")\)`)

func constantMessages(src string, tr *locales.Translator) string {
	return plainMessage.ReplaceAllStringFunc(src, func(m string) string {
		sub := plainMessage.FindStringSubmatch(m)
		if sub[2] != "" {
			key, _ := strconv.Unquote(sub[2])
			return "{{" + sub[1] + strconv.Quote(tr.T(key)) + sub[3] + "}}"
		}
		key, _ := strconv.Unquote(sub[4])
		return "(" + strconv.Quote(tr.T(key)) + ")"
	})
}

// inlineConstants escapes page (html/template does that once, before the first execution)
// and then turns every action that only escapes a string constant for element content, a
// quoted attribute value or RCDATA into the escaped text itself, so that it costs nothing per
// request. Those three escapers escape a string alike; the text is what html/template writes
// for it (htmlText), so the bytes are the same. Every other context (URLs, scripts, styles,
// unquoted attributes) keeps its action.
func inlineConstants(page *template.Template) error {
	// Escaping happens on the first execution; a nil frame fails after it, harmlessly.
	if err := page.ExecuteTemplate(io.Discard, "layout.html", nil); err != nil && !strings.Contains(err.Error(), "executing") {
		return err
	}
	for _, t := range page.Templates() {
		if t.Tree != nil && t.Tree.Root != nil {
			inlineList(t.Tree.Root)
		}
	}
	return nil
}

func inlineList(list *parse.ListNode) {
	if list == nil {
		return
	}
	for i, n := range list.Nodes {
		switch n := n.(type) {
		case *parse.ActionNode:
			if s, ok := escapedConstant(n.Pipe); ok {
				list.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: []byte(htmlText(s))}
			}
		case *parse.IfNode:
			inlineList(n.List)
			inlineList(n.ElseList)
		case *parse.RangeNode:
			inlineList(n.List)
			inlineList(n.ElseList)
		case *parse.WithNode:
			inlineList(n.List)
			inlineList(n.ElseList)
		case *parse.ListNode:
			inlineList(n)
		}
	}
}

// escapedConstant reports the string of a pipeline {{"text" | escaper}}, where escaper is
// html/template's escaper for element content, a quoted attribute or RCDATA.
func escapedConstant(p *parse.PipeNode) (string, bool) {
	if p == nil || len(p.Decl) > 0 || len(p.Cmds) != 2 || len(p.Cmds[0].Args) != 1 || len(p.Cmds[1].Args) != 1 {
		return "", false
	}
	s, ok := p.Cmds[0].Args[0].(*parse.StringNode)
	if !ok {
		return "", false
	}
	esc, ok := p.Cmds[1].Args[0].(*parse.IdentifierNode)
	if !ok {
		return "", false
	}
	switch esc.Ident {
	case "_html_template_htmlescaper", "_html_template_attrescaper", "_html_template_rcdataescaper":
		return s.Text, true
	}
	return "", false
}

var textEscaper = template.Must(template.New("text").Parse(`{{.}}`))

// htmlText is s as html/template writes a string in element content.
func htmlText(s string) string {
	var b strings.Builder
	if err := textEscaper.Execute(&b, s); err != nil {
		panic(err)
	}
	return b.String()
}

// Render implements echo.Renderer.
func (r *Renderer) Render(c *echo.Context, w io.Writer, name string, data any) error {
	t := tr(c)
	page, err := r.template(t.Code(), name)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.seen[name] = true
	r.mu.Unlock()
	f := r.frameOf(c, t, data)
	preview := f.Preview
	buf := renderBuffers.Get().(*bytes.Buffer)
	defer putRenderBuffer(buf)
	buf.Reset()
	if err := page.ExecuteTemplate(buf, "layout.html", f); err != nil {
		return err
	}
	out := buf.Bytes()
	if preview != nil {
		out = preview.rewrite(out)
	}
	// The whole page is here, so its length is known: without it net/http sends any page
	// over 2 KB in chunks, a write and an encoding more per response on both ends.
	c.Response().Header().Set(echo.HeaderContentLength, strconv.Itoa(len(out)))
	_, err = w.Write(out)
	return err
}

// frameOf is what the layout of every page in language t is rendered with.
func (r *Renderer) frameOf(c *echo.Context, t *locales.Translator, data any) frame {
	f := frame{Data: data, Lang: t.Code(), Languages: r.languageLinks(c, t), ContentLang: contentLang(c, t)}
	if def, ok := c.Get(contentDefKey).(*models.Definition); ok {
		f.content = def
	}
	if tok, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
		f.CSRF = tok
	}
	if flash, ok := c.Get(flashKey).(string); ok {
		f.Flash = flash
	}
	f.Preview, _ = c.Get(previewKey).(*previewFrame)
	return f
}

// contentLang is the language of the survey texts a handler put on the page, when it is not
// the page's language t (frame.ContentLang).
func contentLang(c *echo.Context, t *locales.Translator) string {
	if lang, ok := c.Get(contentLangKey).(string); ok && lang != t.Code() {
		return lang
	}
	return ""
}

// renderBuffers hold pages while they are rendered. echo renders into a new bytes.Buffer that
// grows by doubling from nothing, about twice a page's size in garbage per request; written in
// one piece from a pooled buffer, it is allocated once, at the page's size.
var renderBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// putRenderBuffer returns buf to the pool unless a large page (a results page, an export
// preview) made it big: the pool should not keep megabytes for the next small page.
func putRenderBuffer(buf *bytes.Buffer) {
	if buf.Cap() <= 256<<10 {
		renderBuffers.Put(buf)
	}
}

func (r *Renderer) rendered() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for name := range r.pages[locales.Default.String()] {
		out[name] = r.seen[name]
	}
	return out
}

func (r *Renderer) hashAssets(static fs.FS) error {
	return fs.WalkDir(static, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		r.assets[p] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// asset returns the URL of a static file with its content hash, so it can be cached for a year.
func (r *Renderer) asset(p string) (string, error) {
	hash, ok := r.assets[p]
	if !ok {
		return "", fmt.Errorf("no static file %q", p)
	}
	return path.Join("/static", p) + "?v=" + hash, nil
}

// paragraphs splits text at blank lines.
func paragraphs(s string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// choiceGroupView is one radio or checkbox group for the "choices" partial.
type choiceGroupView struct {
	Type, Name string
	Choices    []choiceView
	Scale      bool
	Other      *otherView // the "Anders, namelijk" field, revealed under its option
}

func choiceGroup(v any, multi, scale bool) (choiceGroupView, error) {
	typ := "radio"
	if multi {
		typ = "checkbox"
	}
	switch v := v.(type) {
	case questionView:
		return choiceGroupView{Type: typ, Name: v.Name, Choices: v.Choices, Scale: scale, Other: v.Other}, nil
	case statementView:
		return choiceGroupView{Type: typ, Name: v.Name, Choices: v.Choices, Scale: scale}, nil
	}
	return choiceGroupView{}, fmt.Errorf("choiceGroup: unexpected %T", v)
}

type summaryGroup struct {
	Sections []summarySection
	Edit     bool
}

// lastDay words the last day a survey that closes at the given moment can be answered, in
// Amsterdam time: "15 december" for a close at midnight after it, "15 december om 17:00"
// otherwise.
func lastDay(t *locales.Translator, at time.Time) string {
	at = at.In(amsterdam)
	if at.Hour() == 0 && at.Minute() == 0 {
		return t.DayMonth(at.Add(-time.Minute))
	}
	return t.T("common.format.date_time", "Date", t.DayMonth(at), "Time", t.Time(at))
}

// inputView is one labelled form field of the researcher's pages, for the "input" and
// "textfield" partials: the hint and the error are tied to the control with aria-describedby.
type inputView struct {
	ID, Label, Value, Hint, Error string
	Optional                      bool
	Type                          string // text, email, tel, number; "textarea" for the textfield partial
}

// newInputView takes the id (also the form name), label, value, hint and error, and
// "optional" or a type among the flags.
func newInputView(id, label, value, hint, errMsg string, flags ...string) inputView {
	v := inputView{ID: id, Label: label, Value: value, Hint: hint, Error: errMsg, Type: "text"}
	for _, f := range flags {
		if f == "optional" {
			v.Optional = true
		} else {
			v.Type = f
		}
	}
	return v
}

// registerPick is the choice of a municipality register, for the "registerfield" partial.
type registerPick struct {
	ID, Value, Error string
	Options          []string
}

// confirmFieldView is the "Bevestiging" checkbox of a consequential action (partials/
// confirmfield.html) with its error, if the form came back without it.
type confirmFieldView struct{ Error, Label string }

func confirmField(field map[string]string, label string) confirmFieldView {
	return confirmFieldView{Error: field["bevestig"], Label: label}
}
