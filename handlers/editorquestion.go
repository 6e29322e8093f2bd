package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// blankRows is how many empty option or statement rows the form offers for new ones.
const blankRows = 3

// questionForm is one question as the editor's form shows it; every field is kept as typed.
type questionForm struct {
	Kind, Code, Text, Help string
	Required               bool
	Options                []rowForm // without the "anders" option
	Other                  bool
	OtherCode, OtherLabel  string
	DontKnow               bool
	Scale                  string
	NewScale               string // one answer per line: a scale of the researcher's own
	Statements             []rowForm
	MaxLength              string
	Min, Max, Unit         string
	Integer                bool
}

type rowForm struct {
	N           int // 0-based, for ids
	Code, Label string
}

type scaleOption struct {
	Name   string
	Labels string
}

type questionEditView struct {
	Researcher   *models.Researcher
	Survey       *models.Survey
	Editable     bool
	New          bool
	Section      int // 1-based
	SectionTitle string
	Action       string
	Form         questionForm
	KindLabel    string
	Kinds        []kindOption // for a new question
	Scales       []scaleOption
	// NewSectionTitle and NewSectionIntro carry a section that is made with its first question.
	NewSectionTitle, NewSectionIntro string
	MakesSection                     bool // the question is the first of a new section
	Errors                           []problemView
	Field                            map[string]string
}

// formOf shows q in the form, with blank rows to add options or statements.
func formOf(q *models.Question) questionForm {
	f := questionForm{Kind: q.Kind, Code: q.Code, Text: q.Text, Help: q.Help, Required: q.Required, DontKnow: q.DontKnow,
		Scale: q.Scale, Unit: q.Unit, Integer: q.Integer, OtherLabel: "Anders, namelijk"}
	for _, o := range q.Options {
		if o.Other {
			f.Other, f.OtherCode, f.OtherLabel = true, o.Code, o.Label
			continue
		}
		f.Options = append(f.Options, rowForm{Code: o.Code, Label: o.Label})
	}
	for _, s := range q.Statements {
		f.Statements = append(f.Statements, rowForm{Code: s.Code, Label: s.Text})
	}
	if q.MaxLength > 0 {
		f.MaxLength = strconv.Itoa(q.MaxLength)
	}
	if q.Min != nil {
		f.Min = models.FormatNumber(*q.Min)
	}
	if q.Max != nil {
		f.Max = models.FormatNumber(*q.Max)
	}
	return f.withBlanks()
}

func (f questionForm) withBlanks() questionForm {
	for range blankRows {
		f.Options = append(f.Options, rowForm{})
		f.Statements = append(f.Statements, rowForm{})
	}
	for i := range f.Options {
		f.Options[i].N = i
	}
	for i := range f.Statements {
		f.Statements[i].N = i
	}
	return f
}

// readQuestionForm reads the posted form as typed, without blank rows.
func readQuestionForm(form url.Values, kind string) questionForm {
	t := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	f := questionForm{Kind: kind, Code: t("code"), Text: t("tekst"), Help: t("hulp"), Required: form.Get("verplicht") == "ja",
		Other: form.Get("anders") == "ja", OtherCode: t("anders-code"), OtherLabel: t("anders-tekst"), DontKnow: form.Get("weetniet") == "ja",
		Scale: t("schaal"), NewScale: t("nieuwe-schaal"), MaxLength: t("maxlengte"), Min: t("min"), Max: t("max"), Unit: t("eenheid"), Integer: form.Get("geheel") == "ja"}
	f.Options = rows(form["optie-code"], form["optie-tekst"])
	f.Statements = rows(form["stelling-code"], form["stelling-tekst"])
	return f
}

func rows(codes, labels []string) []rowForm {
	var out []rowForm
	for i, l := range labels {
		code := ""
		if i < len(codes) {
			code = strings.TrimSpace(codes[i])
		}
		if l = strings.TrimSpace(l); l == "" && code == "" {
			continue
		}
		out = append(out, rowForm{N: len(out), Code: code, Label: l})
	}
	return out
}

// question turns the form into a question, making codes from the texts where none was
// typed; taken reports the codes of the survey's other questions.
func (f *questionForm) question(taken func(string) bool) (models.Question, *models.DefinitionError) {
	q := models.Question{Kind: f.Kind, Code: f.Code, Text: f.Text, Help: f.Help, Required: f.Required || f.Kind == models.KindMunicipality}
	if f.Text == "" {
		return q, &models.DefinitionError{Path: ".text", Problem: "vul de vraag in zoals de gemeente hem leest"}
	}
	if q.Code == "" && q.Text != "" {
		q.Code = models.CodeFrom(q.Text, taken)
		f.Code = q.Code
	}
	switch f.Kind {
	case models.KindSingle, models.KindMulti:
		used := map[string]bool{}
		for i := range f.Options {
			used[f.Options[i].Code] = f.Options[i].Code != ""
		}
		for i := range f.Options {
			r := &f.Options[i]
			if r.Code == "" && r.Label != "" {
				r.Code = models.CodeFrom(r.Label, func(c string) bool { return used[c] || c == f.OtherCode })
				used[r.Code] = true
			}
			q.Options = append(q.Options, models.Option{Code: r.Code, Label: r.Label})
		}
		if f.Other {
			if f.OtherLabel == "" {
				f.OtherLabel = "Anders, namelijk"
			}
			if f.OtherCode == "" {
				f.OtherCode = models.CodeFrom("anders", func(c string) bool { return used[c] })
			}
			q.Options = append(q.Options, models.Option{Code: f.OtherCode, Label: f.OtherLabel, Other: true})
		}
		q.DontKnow = f.DontKnow && f.Kind == models.KindSingle
	case models.KindLikert:
		q.Scale, q.DontKnow = f.Scale, f.DontKnow
		if f.NewScale != "" {
			q.Scale = f.Code + "_schaal"
		}
		used := map[string]bool{}
		for i := range f.Statements {
			used[f.Statements[i].Code] = f.Statements[i].Code != ""
		}
		for i := range f.Statements {
			r := &f.Statements[i]
			if r.Code == "" && r.Label != "" {
				r.Code = models.CodeFrom(r.Label, func(c string) bool { return used[c] })
				used[r.Code] = true
			}
			q.Statements = append(q.Statements, models.Statement{Code: r.Code, Text: r.Label})
		}
	case models.KindText:
		if f.MaxLength != "" {
			n, err := strconv.Atoi(f.MaxLength)
			if err != nil || n < 1 {
				return q, &models.DefinitionError{Path: ".max_length", Problem: "vul een aantal tekens in, zoals 500, of laat het leeg"}
			}
			q.MaxLength = n
		}
	case models.KindNumber:
		q.Integer, q.Unit = f.Integer, f.Unit
		for _, b := range []struct {
			in   string
			out  **float64
			path string
		}{{f.Min, &q.Min, ".min"}, {f.Max, &q.Max, ".max"}} {
			if b.in == "" {
				continue
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(b.in, ",", "."), 64)
			if err != nil {
				return q, &models.DefinitionError{Path: b.path, Problem: "vul een getal in, zoals 0 of 12,5"}
			}
			*b.out = &v
		}
	}
	return q, nil
}

var questionPath = regexp.MustCompile(`^(?:sections\[\d+\]\.questions\[\d+\])?\.?(\w+)(?:\[(\d+)\](?:\.(\w+))?)?`)

// questionField is the id in the question form where a problem at path belongs.
func questionField(path string) string {
	m := questionPath.FindStringSubmatch(path)
	if m == nil {
		return "tekst"
	}
	switch m[1] {
	case "options":
		part := "tekst"
		if m[3] == "code" {
			part = "code"
		}
		return "optie-" + part + "-" + cmpOr(m[2], "0")
	case "statements":
		part := "tekst"
		if m[3] == "code" {
			part = "code"
		}
		return "stelling-" + part + "-" + cmpOr(m[2], "0")
	}
	return map[string]string{"code": "code", "text": "tekst", "help": "hulp", "scale": "schaal", "dont_know": "weetniet",
		"max_length": "maxlengte", "min": "min", "max": "max", "unit": "eenheid", "kind": "soort", "scales": "nieuwe-schaal"}[m[1]]
}

func cmpOr(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

func (h *Handler) scaleOptions(def *models.Definition) []scaleOption {
	all := map[string][]models.Option{}
	for name, opts := range models.PresetScales {
		all[name] = opts
	}
	for name, opts := range def.Scales {
		all[name] = opts
	}
	var out []scaleOption
	for name, opts := range all {
		var labels []string
		for _, o := range opts {
			labels = append(labels, o.Label)
		}
		out = append(out, scaleOption{Name: name, Labels: strings.Join(labels, " / ")})
	}
	slices.SortFunc(out, func(a, b scaleOption) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (h *Handler) questionView(c *echo.Context, ed *editing, si int, f questionForm) *questionEditView {
	title := c.QueryParam("titel")
	if si < len(ed.def.Sections) {
		title = ed.def.Sections[si].Title
	}
	return &questionEditView{Researcher: researcher(c), Survey: ed.survey, Editable: true,
		Section: si + 1, SectionTitle: title, Form: f, KindLabel: questionKindLabel(f.Kind), Scales: h.scaleOptions(ed.def), Field: map[string]string{}}
}

func (h *Handler) showQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, qi, err := ed.def.FindQuestion(c.Param("code"))
	if err != nil {
		return err
	}
	q := &ed.def.Sections[si].Questions[qi]
	view := h.questionView(c, ed, si, formOf(q))
	view.Action = editorURL(ed.survey.Slug) + "/vragen/" + q.Code
	return c.Render(http.StatusOK, "admin/question", view)
}

// newSectionIndex reads the section a new question goes into: an existing one, or the one
// after the last, which the question's form then makes.
func newSectionIndex(c *echo.Context, def *models.Definition) (int, error) {
	n, err := strconv.Atoi(c.Param("s"))
	if err != nil || n < 1 || n > len(def.Sections)+1 {
		return 0, models.ErrNotFound
	}
	return n - 1, nil
}

func (h *Handler) showNewQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, err := newSectionIndex(c, ed.def)
	if err != nil {
		return err
	}
	kind := c.QueryParam("soort")
	if !addable(kind) {
		kind = models.KindSingle
	}
	f := questionForm{Kind: kind, Required: true, OtherLabel: "Anders, namelijk"}
	if kind == models.KindLikert {
		f.Scale = "eens5"
	}
	view := h.questionView(c, ed, si, f.withBlanks())
	view.New, view.MakesSection = true, si == len(ed.def.Sections)
	view.NewSectionTitle, view.NewSectionIntro = c.QueryParam("titel"), c.QueryParam("intro")
	view.Action = fmt.Sprintf("%s/secties/%d/nieuw", editorURL(ed.survey.Slug), si+1)
	return c.Render(http.StatusOK, "admin/question", view)
}

func (h *Handler) addQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, err := newSectionIndex(c, ed.def)
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	kind := form.Get("soort")
	if !addable(kind) {
		return echo.ErrBadRequest
	}
	makes := si == len(ed.def.Sections)
	if makes {
		ed.def.Sections = append(ed.def.Sections, models.Section{Title: strings.TrimSpace(form.Get("sectie-titel")), Intro: strings.TrimSpace(form.Get("sectie-intro"))})
	}
	f := readQuestionForm(form, kind)
	view := h.questionView(c, ed, si, f)
	view.New, view.MakesSection, view.NewSectionTitle, view.NewSectionIntro = true, makes, form.Get("sectie-titel"), form.Get("sectie-intro")
	view.Action = fmt.Sprintf("%s/secties/%d/nieuw", editorURL(ed.survey.Slug), si+1)
	qs := &ed.def.Sections[si].Questions
	return h.storeQuestion(c, ed, view, func(q models.Question) { *qs = append(*qs, q) })
}

func (h *Handler) saveQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, qi, err := ed.def.FindQuestion(c.Param("code"))
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	old := ed.def.Sections[si].Questions[qi]
	view := h.questionView(c, ed, si, readQuestionForm(form, old.Kind))
	view.Action = editorURL(ed.survey.Slug) + "/vragen/" + old.Code
	// The form does not show skip rules yet: the question keeps its own.
	return h.storeQuestion(c, ed, view, func(q models.Question) {
		q.ShowIf = old.ShowIf
		q.KeepTranslations(old)
		ed.def.Sections[si].Questions[qi] = q
	})
}

// storeQuestion puts the question from the form in place and saves the definition, or
// renders the form again with the problem beside its field and everything as typed.
func (h *Handler) storeQuestion(c *echo.Context, ed *editing, view *questionEditView, place func(models.Question)) error {
	f := &view.Form
	taken := map[string]bool{}
	for _, q := range ed.def.Questions() {
		taken[q.Code] = true
	}
	if !view.New {
		delete(taken, c.Param("code"))
	}
	q, problem := f.question(func(code string) bool { return taken[code] })
	if problem == nil {
		place(q)
		if q.Kind == models.KindLikert {
			addScale(ed.def, q.Scale, f.NewScale)
		}
		change, err := models.SaveDefinition(h.db.Write.WithContext(c.Request().Context()), ed.survey, ed.def, models.By(researcher(c)), time.Now().UTC())
		if !errors.As(err, &problem) && err != nil {
			return err
		}
		if problem == nil {
			return h.redirectWithFlash(c, editorURL(ed.survey.Slug)+"#vraag-"+q.Code, fmt.Sprintf("De vraag ‘%s’ is opgeslagen.", q.Text)+changeNote(change))
		}
	}
	view.Form = f.withBlanks()
	field := questionField(problem.Path)
	switch {
	case view.New && strings.HasSuffix(problem.Path, "].title") && !strings.Contains(problem.Path, "questions["):
		field = "sectie-titel"
	case !strings.Contains(problem.Path, "questions[") && strings.HasPrefix(problem.Path, "sections"):
		field = "tekst" // a rule about the survey as a whole, such as the one municipality question
	case strings.HasPrefix(field, "optie-") && f.Other && strings.HasSuffix(field, "-"+strconv.Itoa(len(f.Options))):
		field = "anders-tekst"
	case field == "":
		field = "tekst"
	}
	view.Errors, view.Field = setProblem(nil, nil, field, capitalise(problem.Problem))
	return c.Render(http.StatusUnprocessableEntity, "admin/question", view)
}

// addScale puts the scale a likert question uses into the definition: a preset the editor
// offers, or the researcher's own (one answer per line, codes made from the answers).
func addScale(def *models.Definition, name, own string) {
	var opts []models.Option
	if own != "" {
		used := map[string]bool{}
		for _, line := range strings.Split(own, "\n") {
			if label := strings.TrimSpace(line); label != "" {
				code := models.CodeFrom(label, func(c string) bool { return used[c] })
				used[code] = true
				opts = append(opts, models.Option{Code: code, Label: label})
			}
		}
	} else if preset, ok := models.PresetScales[name]; ok && def.Scales[name] == nil {
		opts = preset
	}
	if opts == nil {
		return
	}
	if def.Scales == nil {
		def.Scales = map[string][]models.Option{}
	}
	def.Scales[name] = opts
}
