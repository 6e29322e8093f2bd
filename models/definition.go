package models

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-playground/validator/v10"
	"go.yaml.in/yaml/v3"
)

// Question kinds a definition may use.
const (
	KindMunicipality = "municipality"
	KindSingle       = "single"
	KindMulti        = "multi"
	KindLikert       = "likert"
	KindText         = "text"
	KindNumber       = "number"
)

// DontKnowCode is the option code of the optional "weet niet" answer; results leave it out
// of percentages.
const DontKnowCode = "weet_niet"

// MaxDefinitionBytes bounds a definition file: the reference survey is 8 kB.
const MaxDefinitionBytes = 1 << 20

// DefaultTextLimit is the longest open answer accepted when a question sets no max_length.
const DefaultTextLimit = 4000

// Definition is a survey as written in a definition file (docs/survey-format.md).
type Definition struct {
	Slug         string              `yaml:"slug" json:"slug" validate:"required,max=60,slug"`
	Title        string              `yaml:"title" json:"title" validate:"required,max=200"`
	Organisation string              `yaml:"organisation,omitempty" json:"organisation" validate:"max=200"`
	Intro        string              `yaml:"intro,omitempty" json:"intro" validate:"max=10000"`
	Privacy      string              `yaml:"privacy,omitempty" json:"privacy" validate:"max=5000"`
	Contact      SurveyContact       `yaml:"contact,omitempty" json:"contact,omitzero"`
	Minutes      int                 `yaml:"minutes,omitempty" json:"minutes" validate:"min=0,max=600"`
	Register     string              `yaml:"register" json:"register" validate:"required,max=40"`
	Scales       map[string][]Option `yaml:"scales,omitempty" json:"scales" validate:"max=20,dive,keys,code,endkeys,min=2,max=11,dive"`
	Sections     []Section           `yaml:"sections" json:"sections" validate:"required,min=1,max=50,dive"`
	// Translations are the texts above in other languages (translations.go).
	Translations Translations `yaml:"-" json:"translations,omitempty"`

	lang string // the language In chose for the texts; empty: Dutch
	// decimal is the decimal separator numbers are typed and shown with (WithDecimal); empty:
	// that of lang, as numbers() says.
	decimal string
	// dutchLeft are the texts In left in Dutch as lang gives none for them (TextLang).
	dutchLeft map[string]bool
}

// Section is one page of the questionnaire.
type Section struct {
	Title     string     `yaml:"title" json:"title" validate:"required,max=200"`
	Intro     string     `yaml:"intro,omitempty" json:"intro" validate:"max=5000"`
	Questions []Question `yaml:"questions" json:"questions" validate:"required,min=1,max=100,dive"`
	// ShowIf shows the whole page only when an earlier answer has one of the given values.
	ShowIf       *Condition   `yaml:"show_if,omitempty" json:"show_if,omitempty"`
	Translations Translations `yaml:"-" json:"translations,omitempty"`
}

// Condition is skip logic: it holds when the answer to Question, a single or multi question
// on an earlier page, is (single) or includes (multi) one of Values, option codes.
type Condition struct {
	Question string   `yaml:"question" json:"question" validate:"required,code"`
	Values   []string `yaml:"values" json:"values" validate:"required,min=1,max=50,dive,code"`
}

// Question is one question; which fields apply depends on Kind.
type Question struct {
	Code       string      `yaml:"code" json:"code" validate:"required,code"`
	Kind       string      `yaml:"kind" json:"kind" validate:"required,oneof=municipality single multi likert text number"`
	Text       string      `yaml:"text" json:"text" validate:"required,max=1000"`
	Help       string      `yaml:"help,omitempty" json:"help,omitempty" validate:"max=2000"`
	Required   bool        `yaml:"required,omitempty" json:"required"`
	Options    []Option    `yaml:"options,omitempty" json:"options,omitempty" validate:"max=50,dive"`
	Scale      string      `yaml:"scale,omitempty" json:"scale,omitempty" validate:"omitempty,code"`
	Statements []Statement `yaml:"statements,omitempty" json:"statements,omitempty" validate:"max=50,dive"`
	DontKnow   bool        `yaml:"dont_know,omitempty" json:"dont_know,omitempty"`
	MaxLength  int         `yaml:"max_length,omitempty" json:"max_length,omitempty" validate:"min=0,max=20000"`
	Min        *float64    `yaml:"min,omitempty" json:"min,omitempty"`
	Max        *float64    `yaml:"max,omitempty" json:"max,omitempty"`
	Integer    bool        `yaml:"integer,omitempty" json:"integer,omitempty"`
	Unit       string      `yaml:"unit,omitempty" json:"unit,omitempty" validate:"max=40"`
	// ShowIf shows the question only when an earlier answer has one of the given values.
	ShowIf *Condition `yaml:"show_if,omitempty" json:"show_if,omitempty"`
	// Profile marks the single question that describes who answered (the department
	// breakdown); without one, the question coded "afdeling" or else the first single one.
	Profile bool `yaml:"profile,omitempty" json:"profile,omitempty"`

	// ScaleOptions is Scale resolved against the definition's scales (likert only).
	ScaleOptions []Option     `yaml:"-" json:"-"`
	Translations Translations `yaml:"-" json:"translations,omitempty"`

	// conditional is set by check when skip logic can hide the question (its own show_if or
	// its page's).
	conditional bool
	lang        string // the language of the texts (Definition.In), for reading numbers
	decimal     string // the decimal separator of the numbers typed (Definition.WithDecimal)
}

// Option is one answer of a single, multi or likert question.
type Option struct {
	Code  string `yaml:"code" json:"code" validate:"required,code"`
	Label string `yaml:"label" json:"label" validate:"required,max=300"`
	Other bool   `yaml:"other,omitempty" json:"other,omitempty"`

	Translations Translations `yaml:"-" json:"translations,omitempty"`
}

// Statement is one row of a likert block, rated on the question's scale.
type Statement struct {
	Code string `yaml:"code" json:"code" validate:"required,code"`
	Text string `yaml:"text" json:"text" validate:"required,max=1000"`

	Translations Translations `yaml:"-" json:"translations,omitempty"`
}

// DefinitionError says what is wrong with a definition file, and where.
type DefinitionError struct {
	File    string
	Line    int    // 0 when unknown
	Path    string // e.g. sections[1].questions[2].code
	Problem string // in Dutch, for the command line and the log
	// Code names the problem for the pages, which word it in the reader's language with
	// Args (name, value pairs); empty for problems that have no code yet (then Problem shows).
	Code string
	Args []any
}

func (e *DefinitionError) Error() string { return e.With(e.Problem) }

// With writes the error as file:line: path: problem, with problem worded by the caller (a
// page words it in its reader's language from Code and Args).
func (e *DefinitionError) With(problem string) string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Path != "" {
		b.WriteString(": " + e.Path)
	}
	b.WriteString(": " + problem)
	return b.String()
}

var (
	slugPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	codePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	lineInYAML  = regexp.MustCompile(`line (\d+)`)
)

var definitionValidator = newDefinitionValidator()

func newDefinitionValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	_ = v.RegisterValidation("slug", func(fl validator.FieldLevel) bool { return slugPattern.MatchString(fl.Field().String()) })
	_ = v.RegisterValidation("code", func(fl validator.FieldLevel) bool { return codePattern.MatchString(fl.Field().String()) })
	return v
}

// ParseDefinition reads a definition file (YAML, or JSON, which is YAML too) and checks it
// completely; file names the source in error messages.
func ParseDefinition(file string, data []byte) (*Definition, error) {
	if len(data) > MaxDefinitionBytes {
		return nil, &DefinitionError{File: file, Problem: fmt.Sprintf("het bestand is groter dan %d kB", MaxDefinitionBytes>>10),
			Code: "too_big", Args: []any{"KB", MaxDefinitionBytes >> 10}}
	}
	var root, work yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, yamlError(file, err)
	}
	if root.Kind == 0 {
		return nil, yamlError(file, io.EOF)
	}
	// Texts given per language ({nl: …, en: …}) are taken out first; what remains decodes
	// as a definition of Dutch texts.
	_ = yaml.Unmarshal(data, &work)
	translations := map[string]map[string]string{}
	if err := takeTranslations(&work, "", translations); err != nil {
		err.(*DefinitionError).File = file
		return nil, err
	}
	if bad := unknownField(&work, reflect.TypeOf(Definition{})); bad != nil {
		return nil, &DefinitionError{File: file, Line: bad.Line, Problem: fmt.Sprintf("field %s not found in type models.Definition", bad.Value)}
	}
	var def Definition
	if err := work.Decode(&def); err != nil {
		return nil, yamlError(file, err)
	}
	if err := def.putTranslations(translations, &root); err != nil {
		err.(*DefinitionError).File = file
		return nil, err
	}
	if err := def.check(); err != nil {
		var de *DefinitionError
		if errors.As(err, &de) {
			de.File = file
			de.Line = lineOf(&root, de.Path)
		}
		return nil, err
	}
	return &def, nil
}

func yamlError(file string, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.ReplaceAll(msg, "unmarshal errors:\n  ", "")
	line := 0
	if m := lineInYAML.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = strings.TrimSpace(lineInYAML.ReplaceAllString(msg, ""))
		msg = strings.TrimPrefix(msg, ": ")
	}
	code := ""
	if err.Error() == "EOF" {
		msg, code = "het bestand is leeg", "empty"
	}
	return &DefinitionError{File: file, Line: line, Problem: msg, Code: code}
}

// check validates the structure with validator, then the rules between fields.
func (d *Definition) check() error {
	if err := definitionValidator.Struct(d); err != nil {
		var ves validator.ValidationErrors
		if errors.As(err, &ves) && len(ves) > 0 {
			fe := ves[0]
			path := strings.TrimPrefix(fe.Namespace(), "Definition.")
			code, args := fieldErrorCode(fe)
			return &DefinitionError{Path: path, Problem: describeFieldError(fe), Code: code, Args: args}
		}
		return &DefinitionError{Problem: err.Error()}
	}
	seen := map[string]string{}
	municipalityQuestions := 0
	for si := range d.Sections {
		// Conditions refer to pages before this one: what they need is answered and saved
		// before the page is shown, and no rule can refer forward or go round in a loop.
		if err := d.checkCondition(d.Sections[si].ShowIf, si, fmt.Sprintf("sections[%d].show_if", si)); err != nil {
			return err
		}
		for qi := range d.Sections[si].Questions {
			if err := d.checkCondition(d.Sections[si].Questions[qi].ShowIf, si, fmt.Sprintf("sections[%d].questions[%d].show_if", si, qi)); err != nil {
				return err
			}
			d.Sections[si].Questions[qi].conditional = d.Sections[si].ShowIf != nil || d.Sections[si].Questions[qi].ShowIf != nil
			q := &d.Sections[si].Questions[qi]
			path := fmt.Sprintf("sections[%d].questions[%d]", si, qi)
			if prev, ok := seen[q.Code]; ok {
				return &DefinitionError{Path: path + ".code", Problem: fmt.Sprintf("code %q staat ook al bij %s", q.Code, prev),
					Code: "code_taken", Args: []any{"Code", q.Code, "Prev", prev}}
			}
			seen[q.Code] = path
			if q.Kind == KindMunicipality {
				municipalityQuestions++
			}
			if q.Profile {
				if prev, ok := seen[profileMark]; ok {
					return &DefinitionError{Path: path + ".profile", Problem: "profile: true mag maar bij één vraag; staat ook al bij " + prev,
						Code: "profile_twice", Args: []any{"Prev", prev}}
				}
				seen[profileMark] = path
				if q.Kind != KindSingle {
					return &DefinitionError{Path: path + ".profile", Problem: "profile: true kan alleen bij een vraag van soort single", Code: "profile_single"}
				}
			}
			if err := d.checkQuestion(q, path); err != nil {
				return err
			}
		}
	}
	if municipalityQuestions != 1 {
		return &DefinitionError{Path: "sections", Problem: fmt.Sprintf("een peiling heeft precies één vraag van soort municipality nodig, deze heeft er %d", municipalityQuestions),
			Code: "municipality_count", Args: []any{"Count", municipalityQuestions}}
	}
	if first := d.Sections[0].Questions[0]; first.Kind != KindMunicipality || !first.Required {
		return &DefinitionError{Path: "sections[0].questions[0]", Problem: "de eerste vraag moet de verplichte gemeentevraag (kind: municipality, required: true) zijn", Code: "municipality_first"}
	}
	return nil
}

// checkCondition checks a show_if on page si: it must name a single or multi question on an
// earlier page, and values among its option codes.
func (d *Definition) checkCondition(c *Condition, si int, path string) error {
	if c == nil {
		return nil
	}
	for sj := range d.Sections {
		for qi := range d.Sections[sj].Questions {
			q := &d.Sections[sj].Questions[qi]
			if q.Code != c.Question {
				continue
			}
			if sj >= si {
				return &DefinitionError{Path: path + ".question", Problem: fmt.Sprintf("vraag %q staat niet op een eerdere pagina; een voorwaarde kan alleen naar een vraag op een eerdere pagina verwijzen", c.Question),
					Code: "condition_later", Args: []any{"Question", c.Question}}
			}
			if q.Kind != KindSingle && q.Kind != KindMulti {
				return &DefinitionError{Path: path + ".question", Problem: fmt.Sprintf("vraag %q is van soort %s; een voorwaarde kan alleen naar een single- of multi-vraag verwijzen", c.Question, q.Kind),
					Code: "condition_kind", Args: []any{"Question", c.Question, "Kind", q.Kind}}
			}
			for i, v := range c.Values {
				if _, ok := q.Choice(v); !ok {
					return &DefinitionError{Path: fmt.Sprintf("%s.values[%d]", path, i), Problem: fmt.Sprintf("%q is geen optie van vraag %q", v, c.Question),
						Code: "condition_value", Args: []any{"Value", v, "Question", c.Question}}
				}
			}
			return nil
		}
	}
	return &DefinitionError{Path: path + ".question", Problem: fmt.Sprintf("vraag %q bestaat niet", c.Question), Code: "condition_missing", Args: []any{"Question", c.Question}}
}

// Choice returns the option with code of a choice question.
func (q *Question) Choice(code string) (Option, bool) {
	for _, o := range q.Choices() {
		if o.Code == code {
			return o, true
		}
	}
	return Option{}, false
}

// profileMark keeps the profile question's path among the codes seen; no code can contain
// a space.
const profileMark = "profile question"

func (d *Definition) checkQuestion(q *Question, path string) error {
	fail := func(field, problem, code string, args ...any) error {
		return &DefinitionError{Path: path + field, Problem: problem, Code: code, Args: args}
	}
	switch q.Kind {
	case KindSingle, KindMulti:
		if len(q.Options) < 2 {
			return fail(".options", "een keuzevraag heeft minstens twee opties nodig", "options_min")
		}
		if err := uniqueCodes(q.Options, path+".options"); err != nil {
			return err
		}
		if q.DontKnow && q.Kind == KindMulti {
			return fail(".dont_know", "dont_know kan alleen bij single en likert", "dont_know_kind")
		}
	case KindLikert:
		scale, ok := d.Scales[q.Scale]
		if !ok {
			return fail(".scale", fmt.Sprintf("schaal %q is niet gedefinieerd onder scales", q.Scale), "scale_missing", "Scale", q.Scale)
		}
		if len(q.Statements) == 0 {
			return fail(".statements", "een likert-vraag heeft minstens één stelling nodig", "statements_min")
		}
		seen := map[string]bool{}
		for i, s := range q.Statements {
			if seen[s.Code] {
				return fail(fmt.Sprintf(".statements[%d].code", i), fmt.Sprintf("code %q komt twee keer voor", s.Code), "code_twice", "Code", s.Code)
			}
			seen[s.Code] = true
		}
		q.ScaleOptions = scale
	case KindNumber:
		if q.Min != nil && q.Max != nil && *q.Min > *q.Max {
			return fail(".min", "min is groter dan max", "min_max")
		}
	}
	if q.Kind != KindSingle && q.Kind != KindMulti && len(q.Options) > 0 {
		return fail(".options", fmt.Sprintf("options horen niet bij een vraag van soort %s", q.Kind), "options_kind", "Kind", q.Kind)
	}
	if q.Kind != KindLikert && (len(q.Statements) > 0 || q.Scale != "") {
		return fail(".statements", fmt.Sprintf("statements en scale horen niet bij een vraag van soort %s", q.Kind), "statements_kind", "Kind", q.Kind)
	}
	return nil
}

func uniqueCodes(opts []Option, path string) error {
	seen := map[string]bool{DontKnowCode: false}
	for i, o := range opts {
		if o.Code == DontKnowCode {
			return &DefinitionError{Path: fmt.Sprintf("%s[%d].code", path, i), Problem: "weet_niet is gereserveerd: gebruik dont_know: true", Code: "dont_know_reserved"}
		}
		if seen[o.Code] {
			return &DefinitionError{Path: fmt.Sprintf("%s[%d].code", path, i), Problem: fmt.Sprintf("code %q komt twee keer voor", o.Code), Code: "code_twice", Args: []any{"Code", o.Code}}
		}
		seen[o.Code] = true
	}
	return nil
}

// fieldErrorCode is describeFieldError's problem as a code with its arguments.
func fieldErrorCode(fe validator.FieldError) (string, []any) {
	switch fe.Tag() {
	case "required", "max", "min", "oneof", "email", "slug", "code":
		return "field_" + fe.Tag(), []any{"Param", fe.Param(), "Value", fmt.Sprint(fe.Value())}
	}
	return "field_other", []any{"Tag", fe.Tag()}
}

func describeFieldError(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "dit veld ontbreekt of is leeg"
	case "max":
		return fmt.Sprintf("te lang of te veel: hoogstens %s", fe.Param())
	case "min":
		return fmt.Sprintf("te kort of te weinig: minstens %s", fe.Param())
	case "oneof":
		return fmt.Sprintf("%q is geen geldige waarde; kies uit: %s", fe.Value(), fe.Param())
	case "email":
		return fmt.Sprintf("%q is geen e-mailadres zoals naam@gemeente.nl", fe.Value())
	case "slug":
		return fmt.Sprintf("%q is geen geldige slug: kleine letters, cijfers en streepjes", fe.Value())
	case "code":
		return fmt.Sprintf("%q is geen geldige code: begint met een kleine letter, daarna kleine letters, cijfers of _ (hoogstens 40)", fe.Value())
	}
	return fmt.Sprintf("ongeldige waarde (%s)", fe.Tag())
}

// lineOf finds the line of a path such as sections[1].questions[0].code in a YAML tree,
// so an error points into the file; it returns the deepest line it could reach.
func lineOf(root *yaml.Node, path string) int {
	if root == nil || len(root.Content) == 0 {
		return 0
	}
	node := root.Content[0]
	line := node.Line
	for _, part := range strings.Split(path, ".") {
		key, idx, hasIdx := strings.Cut(part, "[")
		node = childByKey(node, key)
		if node == nil {
			return line
		}
		line = node.Line
		if hasIdx {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err != nil || node.Kind != yaml.SequenceNode || i >= len(node.Content) {
				return line
			}
			node = node.Content[i]
			line = node.Line
		}
	}
	return line
}

func childByKey(n *yaml.Node, key string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			if n.Content[i+1].Kind == yaml.ScalarNode {
				return n.Content[i] // the key's line reads better than a folded value's
			}
			return n.Content[i+1]
		}
	}
	return nil
}

// MarshalDefinition writes d in the format of a definition file (docs/survey-format.md):
// ParseDefinition reads it back to the same definition.
func MarshalDefinition(d *Definition) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Questions returns every question in order.
func (d *Definition) Questions() []*Question {
	var qs []*Question
	for si := range d.Sections {
		for qi := range d.Sections[si].Questions {
			qs = append(qs, &d.Sections[si].Questions[qi])
		}
	}
	return qs
}

// MunicipalityQuestion returns the question that names the responding municipality.
func (d *Definition) MunicipalityQuestion() *Question {
	for _, q := range d.Questions() {
		if q.Kind == KindMunicipality {
			return q
		}
	}
	return nil
}

// Choices returns the answers a single or likert question offers, with "weet niet" last
// when the question allows it.
func (q *Question) Choices() []Option {
	opts := q.Options
	if q.Kind == KindLikert {
		opts = q.ScaleOptions
	}
	if !q.DontKnow {
		return opts
	}
	out := make([]Option, 0, len(opts)+1)
	out = append(out, opts...)
	return append(out, Option{Code: DontKnowCode, Label: "Weet niet / geen mening"})
}

// TextLimit is the longest open answer the question accepts, in characters.
func (q *Question) TextLimit() int {
	if q.MaxLength > 0 {
		return q.MaxLength
	}
	return DefaultTextLimit
}
