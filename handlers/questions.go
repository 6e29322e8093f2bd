package handlers

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"sync"

	"peiling/locales"
	"peiling/models"
)

// questionView is one question as the section page shows it, with what was typed or saved.
type questionView struct {
	Lang       string // the language of the survey's texts, when it is not the page's
	Kind       string
	Name       string // form field
	ID         string // id of the first control: where an error link lands
	QuestionID string // id of the question as a whole: where "Wijzig" lands
	Text, Help string
	HelpLang   string // the help's language, when it is not the page's
	HintID     string
	Optional   bool
	Value      string
	Error      string
	ErrorID    string
	Choices    []choiceView
	Statements []statementView
	Other      *otherView
	MaxLength  int
	Unit       string
	Options    template.HTML // the picker's list of municipalities, rendered once per register
	ListID     string
	// Picks are the municipalities the respondent may have meant, offered as radios named
	// PickName ("Bedoelt u …?").
	Picks    []choiceView
	PickName string
	// Markup is the question as the "question" template renders it, from the markup kept for
	// it untouched (questionmarkup.go): as it is when the question is pristine, with the
	// respondent's answer put in (withAnswer) otherwise.
	Markup   template.HTML
	pristine bool // nothing on it is the respondent's own
}

// pickerOption is one municipality in the picker's list, with the names people also use.
type pickerOption struct {
	Name, Also string
}

// pickerOptions renders a register's municipalities as the picker's <option>s, through
// html/template, the same for every page.
var pickerOptions = template.Must(template.New("options").Parse(`{{range .}}<option value="{{.Name}}"{{with .Also}} label="{{.}}"{{end}}></option>{{end}}`))

// pickerLists holds each register's rendered list: 380 options cost a section page more than
// everything else on it, and a register's list never changes (a reloaded register is a new
// *Register).
var pickerLists sync.Map // *models.Register → template.HTML

// pickerList is reg's list of municipalities as the picker's options.
func pickerList(reg *models.Register) template.HTML {
	if html, ok := pickerLists.Load(reg); ok {
		return html.(template.HTML)
	}
	opts := make([]pickerOption, len(reg.List))
	for i := range reg.List {
		m := &reg.List[i]
		opts[i] = pickerOption{Name: m.Name, Also: strings.Join(reg.CommonNames(m), ", ")}
	}
	var b strings.Builder
	if err := pickerOptions.Execute(&b, opts); err != nil {
		panic(err) // names and strings only: the template cannot fail on them
	}
	html := template.HTML(b.String()) // escaped by html/template, for the content of a <datalist>
	pickerLists.Store(reg, html)
	return html
}

type choiceView struct {
	Lang             string // the label's language, when it is not the page's
	ID, Value, Label string
	Checked          bool
	Other            bool
}

type otherView struct {
	Name, ID, Value, Error, ErrorID string
	Question                        string // the question's text, in the field's accessible name
	ChoiceID                        string // the "Anders" option that reveals the field
}

type statementView struct {
	Lang             string
	Name, ID, Legend string
	Error, ErrorID   string
	Choices          []choiceView
}

// problemView is one line of the error summary.
type problemView struct {
	Href, Message string
}

// otherLang is the language of text, one of def's texts, when it is not the page's: for a lang
// attribute on a text a survey translated in part left in Dutch.
func otherLang(t *locales.Translator, def *models.Definition, text string) string {
	if l := def.TextLang(text); l != t.Code() {
		return l
	}
	return ""
}

// fieldID turns a form field name into an id that is valid in HTML and CSS.
func fieldID(name string, parts ...string) string {
	id := "f-" + strings.ReplaceAll(name, ".", "-")
	for _, p := range parts {
		id += "-" + p
	}
	return id
}

// buildQuestions makes the views of section si from values and problems, and the error
// summary that links to the fields in the same order.
//
// cached, when not nil, gives the markup kept for a question untouched (questionmarkup.go):
// a question with that markup and at most an answer on it (withAnswer) needs no view of its
// own, only the markup.
func buildQuestions(t *locales.Translator, def *models.Definition, si int, values url.Values, problems []models.Problem, reg *models.Register, cached func(code string) (keptMarkup, bool)) ([]questionView, []problemView) {
	msgs := map[string]string{}
	picks := map[string][]string{}
	for _, p := range problems {
		if _, dup := msgs[p.Field]; !dup {
			msgs[p.Field] = p.Message
			picks[p.Field] = p.Choices
		}
	}
	anchors := map[string]string{}
	var views []questionView
	for qi := range def.Sections[si].Questions {
		q := &def.Sections[si].Questions[qi]
		pristine := untouched(values, msgs, questionFields(q)...)
		if cached != nil {
			if k, ok := cached(q.Code); ok {
				html := k.html
				if !pristine {
					html, ok = withAnswer(k, q, values, msgs)
				}
				if ok {
					views = append(views, questionView{Kind: q.Kind, Name: q.Code, Markup: html, pristine: pristine})
					continue
				}
			}
		}
		v := questionView{Lang: otherLang(t, def, q.Text), HelpLang: otherLang(t, def, q.Help), Kind: q.Kind, Name: q.Code, ID: fieldID(q.Code), QuestionID: fieldID(q.Code), Text: q.Text, Help: q.Help, Optional: !q.Required,
			Value: values.Get(q.Code), Error: msgs[q.Code], ErrorID: fieldID(q.Code, "error"), MaxLength: q.TextLimit(), Unit: q.Unit}
		if q.Help != "" {
			v.HintID = fieldID(q.Code, "hint")
		}
		switch q.Kind {
		case models.KindSingle, models.KindMulti:
			v.Choices = choices(t, def, q.Code, q.Choices(), values[q.Code])
			v.ID = v.Choices[0].ID
			if hasOther(q.Options) {
				name := models.OtherField(q)
				v.Other = &otherView{Name: name, ID: fieldID(name, "tekst"), Value: values.Get(name), Error: msgs[name], ErrorID: fieldID(name, "error"), Question: q.Text}
				for _, ch := range v.Choices {
					if ch.Other {
						v.Other.ChoiceID = ch.ID
					}
				}
				anchors[name] = v.Other.ID
			}
		case models.KindLikert:
			for _, s := range q.Statements {
				name := models.StatementField(q, s)
				sv := statementView{Lang: otherLang(t, def, s.Text), Name: name, Legend: s.Text, Error: msgs[name], ErrorID: fieldID(name, "error"),
					Choices: choices(t, def, name, q.Choices(), values[name])}
				sv.ID = sv.Choices[0].ID
				anchors[name] = sv.ID
				v.Statements = append(v.Statements, sv)
			}
			v.ID = v.Statements[0].ID
		case models.KindMunicipality:
			v.ListID = fieldID(q.Code, "list")
			v.Options = pickerList(reg)
			v.PickName = models.PickField(q)
			for _, name := range picks[q.Code] {
				v.Picks = append(v.Picks, choiceView{ID: fieldID(v.PickName, fmt.Sprint(len(v.Picks))), Value: name, Label: name})
			}
		}
		anchors[q.Code] = v.ID
		v.pristine = pristine
		views = append(views, v)
	}
	var summary []problemView
	for _, p := range problems {
		pv := problemView{Message: p.Message}
		if p.Field != "" { // a problem of the whole form links nowhere
			pv.Href = "#" + anchors[p.Field]
		}
		summary = append(summary, pv)
	}
	return views, summary
}

// questionFields are the names of the form fields of question q.
func questionFields(q *models.Question) []string {
	names := []string{q.Code}
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		if hasOther(q.Options) {
			names = append(names, models.OtherField(q))
		}
	case models.KindLikert:
		for _, s := range q.Statements {
			names = append(names, models.StatementField(q, s))
		}
	case models.KindMunicipality:
		names = append(names, models.PickField(q))
	}
	return names
}

// untouched reports whether none of the fields has a value or a problem.
func untouched(values url.Values, msgs map[string]string, fields ...string) bool {
	for _, f := range fields {
		if len(values[f]) > 0 || msgs[f] != "" {
			return false
		}
	}
	return true
}

func choices(t *locales.Translator, def *models.Definition, name string, opts []models.Option, picked []string) []choiceView {
	out := make([]choiceView, 0, len(opts))
	for _, o := range opts {
		optLang := otherLang(t, def, o.Label)
		if o.Code == models.DontKnowCode { // Peiling's words, in the page's language
			optLang = ""
		}
		o.Label = optionLabel(t, o)
		checked := false
		for _, p := range picked {
			checked = checked || p == o.Code
		}
		out = append(out, choiceView{Lang: optLang, ID: fieldID(name, o.Code), Value: o.Code, Label: o.Label, Checked: checked, Other: o.Other})
	}
	return out
}

func hasOther(opts []models.Option) bool {
	for _, o := range opts {
		if o.Other {
			return true
		}
	}
	return false
}

// summarySection is one section on the check-your-answers and confirmation pages.
type summarySection struct {
	Lang    string // the language of the survey's texts, when it is not the page's
	Title   string
	EditURL string
	Rows    []summaryRow
}

type summaryRow struct {
	Question string
	Lang     string // the question's language, when it is not the page's
	Answers  []string
	EditURL  string
	Missing  bool // required and not answered
}

// optionLabel is an option's label; "weet niet", which Peiling adds to a question and not
// the definition, is worded in the page's language.
func optionLabel(t *locales.Translator, o models.Option) string {
	if o.Code == models.DontKnowCode {
		return t.T("question.dont_know")
	}
	return o.Label
}

// summarise lists every question with its answer in words.
func summarise(t *locales.Translator, def *models.Definition, slug string, answers []models.Answer) []summarySection {
	byQ := map[string][]models.Answer{}
	for _, a := range answers {
		byQ[a.Question] = append(byQ[a.Question], a)
	}
	missing := map[string]bool{}
	for _, code := range def.Missing(answers) {
		missing[code] = true
	}
	vis := def.Visible(answers)
	var out []summarySection
	for si, s := range def.Sections {
		if !vis.Section(si) { // skipped: not part of this respondent's questionnaire
			continue
		}
		sec := summarySection{Title: s.Title, Lang: otherLang(t, def, s.Title), EditURL: stepURL(slug, si+1) + "?terug=controleren"}
		for qi := range s.Questions {
			q := &s.Questions[qi]
			if !vis.Question(q.Code) {
				continue
			}
			sec.Rows = append(sec.Rows, summaryRow{Question: q.Text, Lang: otherLang(t, def, q.Text), Answers: answerWords(t, q, byQ[q.Code]),
				EditURL: sec.EditURL + "#" + fieldID(q.Code), Missing: missing[q.Code]})
		}
		out = append(out, sec)
	}
	return out
}

func answerWords(t *locales.Translator, q *models.Question, as []models.Answer) []string {
	label := func(opts []models.Option, code string) string {
		for _, o := range opts {
			if o.Code == code {
				return optionLabel(t, o)
			}
		}
		return code
	}
	var out []string
	for _, a := range as {
		switch q.Kind {
		case models.KindMunicipality:
			out = append(out, a.Text)
		case models.KindSingle, models.KindMulti:
			w := label(q.Choices(), a.Option)
			if a.Text != "" {
				w += ": " + a.Text
			}
			out = append(out, w)
		case models.KindLikert:
			for _, s := range q.Statements {
				if s.Code == a.Item {
					out = append(out, s.Text+" — "+label(q.Choices(), a.Option))
				}
			}
		case models.KindText:
			out = append(out, a.Text)
		case models.KindNumber:
			if a.Number != nil {
				out = append(out, strings.TrimSpace(t.Number(*a.Number, 10)+" "+q.Unit))
			}
		}
	}
	return out
}

// wordProblems words the problems models found (Code, Args) in the respondent's language;
// a problem the handler made keeps its Message.
func wordProblems(t *locales.Translator, ps []models.Problem) []models.Problem {
	out := make([]models.Problem, len(ps))
	for i, p := range ps {
		if p.Code != "" {
			args := make([]any, len(p.Args))
			for j, a := range p.Args {
				switch a := a.(type) {
				case float64:
					args[j] = t.Number(a, 10)
				case []string:
					args[j] = orList(t, a)
				default:
					args[j] = a
				}
			}
			p.Message = t.T("problem."+p.Code, args...)
		}
		out[i] = p
	}
	return out
}

// orList writes names as "A, B of C" or "A, B or C".
func orList(t *locales.Translator, names []string) string {
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return t.T("common.or_list", "List", strings.Join(names[:len(names)-1], ", "), "Last", names[len(names)-1])
}
