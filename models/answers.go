package models

import (
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Problem is one thing wrong with what a respondent entered, tied to a form field. Code says
// what, Args (name, value pairs) fill in the details; the handler words them in the
// respondent's language (message problem.CODE) into Message.
type Problem struct {
	Field   string // form field name: "afdeling", "afdeling.anders", "kc_stellingen.meer_samenwerken"
	Code    string
	Args    []any // a float64 is a number to format, a []string a list of names to join with "or"
	Message string
	// Choices are the municipality names the respondent may have meant ("Bedoelt u …?"),
	// offered under PickField.
	Choices []string
}

// Form field names: a question's code, "code.anders" for its write-in, "code.statement" for a
// likert statement.
const otherSuffix = ".anders"

// OtherField is the form field of a question's "anders, namelijk" text.
func OtherField(q *Question) string { return q.Code + otherSuffix }

// PickField is the form field of the municipality a respondent picked from the names
// offered after an ambiguous or unknown name.
func PickField(q *Question) string { return q.Code + ".kies" }

// StatementField is the form field of one likert statement.
func StatementField(q *Question, s Statement) string { return q.Code + "." + s.Code }

// ReadSection checks the form values of section si against the definition and returns the
// answers to store. Problems are in question order. With strict unset (saving to come back
// later) unanswered required questions are not a problem; malformed answers always are.
func (d *Definition) ReadSection(si int, form url.Values, reg *Register, strict bool) ([]Answer, []Problem) {
	return d.ReadShown(si, form, reg, strict, nil)
}

// ReadShown is ReadSection for the questions of page si that vis shows (all when nil): a
// question that skip logic hides is neither read nor required.
func (d *Definition) ReadShown(si int, form url.Values, reg *Register, strict bool, vis *Visibility) ([]Answer, []Problem) {
	var answers []Answer
	var problems []Problem
	for qi := range d.Sections[si].Questions {
		q := &d.Sections[si].Questions[qi]
		if vis != nil && !vis.Question(q.Code) {
			continue
		}
		as, ps := readQuestion(q, form, reg, strict)
		answers = append(answers, as...)
		problems = append(problems, ps...)
	}
	return answers, problems
}

func readQuestion(q *Question, form url.Values, reg *Register, strict bool) ([]Answer, []Problem) {
	need := strict && q.Required
	problem := func(field, code string, args ...any) []Problem {
		return []Problem{{Field: field, Code: code, Args: args}}
	}
	switch q.Kind {
	case KindMunicipality:
		in := strings.TrimSpace(form.Get(q.Code))
		if in == "" {
			in = strings.TrimSpace(form.Get(PickField(q)))
		}
		if in == "" {
			if need {
				return nil, problem(q.Code, "municipality_required")
			}
			return nil, nil
		}
		match := reg.Match(in)
		if match.Found == nil && form.Get(PickField(q)) != "" {
			if picked := reg.Match(form.Get(PickField(q))); picked.Found != nil {
				match = picked
			}
		}
		if match.Found != nil {
			return []Answer{{Question: q.Code, Option: match.Found.Code, Text: match.Found.Name}}, nil
		}
		return nil, []Problem{municipalityProblem(q, in, match)}
	case KindSingle:
		if p := strayOther(q, form); p != nil {
			return nil, p
		}
		return readChoice(q, form, q.Code, q.Choices(), need, Problem{Code: "choose_answer", Args: []any{"Question", q.Text}})
	case KindMulti:
		if p := strayOther(q, form); p != nil {
			return nil, p
		}
		return readMulti(q, form, need)
	case KindLikert:
		var answers []Answer
		var problems []Problem
		for _, s := range q.Statements {
			as, ps := readChoice(q, form, StatementField(q, s), q.Choices(), need, Problem{Code: "rate_statement", Args: []any{"Statement", s.Text}})
			for i := range as {
				as[i].Item = s.Code
			}
			answers = append(answers, as...)
			problems = append(problems, ps...)
		}
		return answers, problems
	case KindText:
		text := normaliseText(form.Get(q.Code))
		if p := checkText(q.Code, text, q.TextLimit()); p != nil {
			return nil, p
		}
		if text == "" {
			if need {
				return nil, problem(q.Code, "text_required", "Question", q.Text)
			}
			return nil, nil
		}
		return []Answer{{Question: q.Code, Text: text}}, nil
	case KindNumber:
		return readNumber(q, form, need)
	}
	return nil, nil
}

// municipalityProblem asks which municipality was meant, naming the candidates.
func municipalityProblem(q *Question, in string, match Match) Problem {
	p := Problem{Field: q.Code}
	switch {
	case len(match.Ambiguous) > 0:
		for _, m := range match.Ambiguous {
			p.Choices = append(p.Choices, m.Name)
		}
		p.Code, p.Args = "municipality_ambiguous", []any{"Count", len(p.Choices), "Input", clip(in, 60), "Choices", p.Choices}
	case len(match.Suggestions) > 0:
		for _, m := range match.Suggestions {
			p.Choices = append(p.Choices, m.Name)
		}
		p.Code, p.Args = "municipality_suggest", []any{"Input", clip(in, 60), "Choices", p.Choices}
	default:
		p.Code, p.Args = "municipality_unknown", []any{"Input", clip(in, 60)}
	}
	return p
}

// readChoice reads one radio group (a single question or one likert statement).
func readChoice(q *Question, form url.Values, field string, choices []Option, need bool, missing Problem) ([]Answer, []Problem) {
	vals := form[field]
	if len(vals) == 0 || vals[0] == "" {
		if need {
			missing.Field = field
			return nil, []Problem{missing}
		}
		return nil, nil
	}
	if len(vals) > 1 {
		return nil, []Problem{{Field: field, Code: "choose_one"}}
	}
	opt, ok := findOption(choices, vals[0])
	if !ok {
		return nil, []Problem{{Field: field, Code: "choose_listed"}}
	}
	a := Answer{Question: q.Code, Option: opt.Code}
	if opt.Other {
		text, p := readOther(q, form)
		if p != nil {
			return nil, p
		}
		a.Text = text
	}
	return []Answer{a}, nil
}

func readMulti(q *Question, form url.Values, need bool) ([]Answer, []Problem) {
	picked := map[string]bool{}
	for _, v := range form[q.Code] {
		if _, ok := findOption(q.Options, v); !ok {
			return nil, []Problem{{Field: q.Code, Code: "choose_only_listed"}}
		}
		picked[v] = true
	}
	if len(picked) == 0 {
		if need {
			return nil, []Problem{{Field: q.Code, Code: "choose_at_least_one", Args: []any{"Question", q.Text}}}
		}
		return nil, nil
	}
	var answers []Answer
	for _, o := range q.Options { // the defined order, whatever order the form sent
		if !picked[o.Code] {
			continue
		}
		a := Answer{Question: q.Code, Option: o.Code}
		if o.Other {
			text, p := readOther(q, form)
			if p != nil {
				return nil, p
			}
			a.Text = text
		}
		answers = append(answers, a)
	}
	return answers, nil
}

// strayOther asks about text typed at "Anders, namelijk" while "Anders" was not chosen:
// dropping it silently would lose what the respondent meant, keeping it as an answer would
// guess. The form shows the text again with this question.
func strayOther(q *Question, form url.Values) []Problem {
	text := normaliseText(form.Get(OtherField(q)))
	if text == "" {
		return nil
	}
	for _, o := range q.Options {
		if o.Other && slices.Contains(form[q.Code], o.Code) {
			return nil
		}
	}
	return []Problem{{Field: OtherField(q), Code: "other_not_chosen", Args: []any{"Question", q.Text}}}
}

func readOther(q *Question, form url.Values) (string, []Problem) {
	field := OtherField(q)
	text := normaliseText(form.Get(field))
	if p := checkText(field, text, 500); p != nil {
		return "", p
	}
	if text == "" {
		return "", []Problem{{Field: field, Code: "other_empty", Args: []any{"Question", q.Text}}}
	}
	return text, nil
}

var plainNumber = regexp.MustCompile(`^-?\d+(\.\d+)?$`) // no exponents, no Inf or NaN

var (
	dutchThousands   = regexp.MustCompile(`^-?\d{1,3}(\.\d{3})+$`)
	englishThousands = regexp.MustCompile(`^-?\d{1,3}(,\d{3})+(\.\d+)?$`)
)

// normaliseNumber turns a typed number into Go's notation by the decimal separator of the
// respondent's language (decimalOf). With a comma, as in Dutch, one writes 1.234,5 and 1.200;
// with a point, as in English, 1,234.5 and 1,200. Both accept a bare decimal dot (a keypad
// sends one), and a point language also a lone decimal comma (3,5), which is no thousands.
func normaliseNumber(in, decimal string) string {
	if decimal == "." {
		if englishThousands.MatchString(in) {
			return strings.ReplaceAll(in, ",", "")
		}
		return strings.Replace(in, ",", ".", 1)
	}
	if strings.Contains(in, ",") || dutchThousands.MatchString(in) {
		return strings.ReplaceAll(strings.ReplaceAll(in, ".", ""), ",", ".")
	}
	return in
}

func readNumber(q *Question, form url.Values, need bool) ([]Answer, []Problem) {
	in := strings.TrimSpace(form.Get(q.Code))
	fail := func(code string, args ...any) ([]Answer, []Problem) {
		return nil, []Problem{{Field: q.Code, Code: code, Args: args}}
	}
	if in == "" {
		if need {
			return fail("number_required", "Question", q.Text)
		}
		return nil, nil
	}
	norm := normaliseNumber(in, decimalOf(q.lang, q.decimal))
	n, err := strconv.ParseFloat(norm, 64)
	if err != nil || !plainNumber.MatchString(norm) || len(in) > 30 {
		return fail("number_invalid")
	}
	if q.Integer && n != math.Trunc(n) {
		return fail("number_whole")
	}
	if q.Min != nil && n < *q.Min {
		return fail("number_min", "Min", *q.Min)
	}
	if q.Max != nil && n > *q.Max {
		return fail("number_max", "Max", *q.Max)
	}
	return []Answer{{Question: q.Code, Number: &n}}, nil
}

// formatNumberIn writes n as a respondent typed it: with a decimal comma (as in Dutch), or
// with a point.
func formatNumberIn(n float64, decimal string) string {
	if decimal == "," {
		return FormatNumber(n)
	}
	return strconv.FormatFloat(n, 'f', -1, 64)
}

// FormatNumber writes n the Dutch way: a decimal comma, no trailing zeros.
func FormatNumber(n float64) string {
	return strings.Replace(strconv.FormatFloat(n, 'f', -1, 64), ".", ",", 1)
}

func checkText(field, text string, limit int) []Problem {
	if !utf8.ValidString(text) {
		return []Problem{{Field: field, Code: "text_unreadable"}}
	}
	if strings.ContainsFunc(text, forbiddenControl) {
		return []Problem{{Field: field, Code: "text_control"}}
	}
	if n := utf8.RuneCountInString(text); n > limit {
		return []Problem{{Field: field, Code: "text_too_long", Args: []any{"Length", n, "Max", limit}}}
	}
	return nil
}

// forbiddenControl reports the control characters an answer may not hold: every C0 control
// but tab, line feed and carriage return, and DEL. A NUL cuts the text short in C programs
// that read the export, and none of them is anything a respondent meant to type.
func forbiddenControl(r rune) bool {
	return r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f
}

// normaliseText trims the answer and turns Windows line ends into \n, so counts match what people see.
func normaliseText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\r\n", "\n"))
}

func findOption(opts []Option, code string) (Option, bool) {
	for _, o := range opts {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

// Values turns stored answers back into form values, so a page shows what was saved.
func (d *Definition) Values(answers []Answer) url.Values {
	v := url.Values{}
	byCode := map[string]*Question{}
	for _, q := range d.Questions() {
		byCode[q.Code] = q
	}
	for _, a := range answers {
		q := byCode[a.Question]
		if q == nil {
			continue
		}
		switch q.Kind {
		case KindMunicipality:
			v.Set(q.Code, a.Text)
		case KindSingle, KindMulti:
			v.Add(q.Code, a.Option)
			if a.Text != "" {
				v.Set(OtherField(q), a.Text)
			}
		case KindLikert:
			v.Set(q.Code+"."+a.Item, a.Option)
		case KindText:
			v.Set(q.Code, a.Text)
		case KindNumber:
			if a.Number != nil {
				v.Set(q.Code, formatNumberIn(*a.Number, decimalOf(d.Lang(), d.decimal)))
			}
		}
	}
	return v
}

// Missing returns the codes of required questions without a (complete) answer.
func (d *Definition) Missing(answers []Answer) []string {
	have := map[string]int{}
	for _, a := range answers {
		have[a.Question]++
	}
	vis := d.Visible(answers)
	var missing []string
	for _, q := range d.Questions() {
		if !q.Required || !vis.Question(q.Code) { // a skipped question is never missing
			continue
		}
		want := 1
		if q.Kind == KindLikert {
			want = len(q.Statements)
		}
		if have[q.Code] < want {
			missing = append(missing, q.Code)
		}
	}
	return missing
}
