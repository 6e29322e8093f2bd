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
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// Renderer renders pages: each page file is parsed once, at start, into its own clone of the
// layout and partials.
type Renderer struct {
	pages  map[string]*template.Template
	mu     sync.Mutex
	seen   map[string]bool
	assets map[string]string // static path → content hash
}

// frame is what every page gets; Data is the page's own typed view.
type frame struct {
	CSRF    string
	Flash   string
	Data    any
	Preview *previewFrame // set on the pages of a preview (preview.go)
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

// NewRenderer parses every page below templates and hashes every static file.
func NewRenderer(templates, static fs.FS) (*Renderer, error) {
	r := &Renderer{pages: map[string]*template.Template{}, seen: map[string]bool{}, assets: map[string]string{}}
	if err := r.hashAssets(static); err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		"asset":        r.asset,
		"dutchTime":    dutchTime,
		"paragraphs":   paragraphs,
		"inc":          func(i int) int { return i + 1 },
		"confirmField": confirmField,
		"choiceGroup":  choiceGroup,
		"summaryOf":    func(s []summarySection, edit bool) summaryGroup { return summaryGroup{Sections: s, Edit: edit} },
		"lastDay":      lastDay,
		"input":        newInputView,
		"registerPick": func(id string, options []string, value, errMsg string) registerPick {
			return registerPick{ID: id, Options: options, Value: value, Error: errMsg}
		},
		"surveyNav": surveyNav,
	}
	base, err := template.New("layout.html").Funcs(funcs).ParseFS(templates, "layout.html", "partials/*.html")
	if err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	err = fs.WalkDir(templates, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".html") || p == "layout.html" || strings.HasPrefix(p, "partials/") {
			return err
		}
		page, err := base.Clone()
		if err != nil {
			return err
		}
		if _, err := page.ParseFS(templates, p); err != nil {
			return fmt.Errorf("parse %s: %w", p, err)
		}
		r.pages[strings.TrimSuffix(p, ".html")] = page
		return nil
	})
	return r, err
}

// Render implements echo.Renderer.
func (r *Renderer) Render(c *echo.Context, w io.Writer, name string, data any) error {
	page, ok := r.pages[name]
	if !ok {
		return fmt.Errorf("no template %q", name)
	}
	r.mu.Lock()
	r.seen[name] = true
	r.mu.Unlock()
	f := frame{Data: data}
	if tok, ok := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string); ok {
		f.CSRF = tok
	}
	if flash, ok := c.Get(flashKey).(string); ok {
		f.Flash = flash
	}
	if p, ok := c.Get(previewKey).(*previewFrame); ok {
		f.Preview = p
		var buf bytes.Buffer
		if err := page.ExecuteTemplate(&buf, "layout.html", f); err != nil {
			return err
		}
		_, err := w.Write(p.rewrite(buf.Bytes()))
		return err
	}
	return page.ExecuteTemplate(w, "layout.html", f)
}

func (r *Renderer) rendered() map[string]bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]bool{}
	for name := range r.pages {
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

// lastDay words the last day a survey that closes at t can be answered, in Amsterdam time:
// "15 december" for a close at midnight after it, "15 december om 17:00" otherwise.
func lastDay(t time.Time) string {
	t = t.In(amsterdam)
	if t.Hour() == 0 && t.Minute() == 0 {
		d := t.Add(-time.Minute)
		return fmt.Sprintf("%d %s", d.Day(), dutchMonths[d.Month()-1])
	}
	return fmt.Sprintf("%d %s om %02d:%02d", t.Day(), dutchMonths[t.Month()-1], t.Hour(), t.Minute())
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

// registerPick is the choice of a municipality register, for the "registerselect" partial.
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
