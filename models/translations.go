package models

import (
	"fmt"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"
	"weak"

	"go.yaml.in/yaml/v3"
)

// Translations are a part's texts in languages other than Dutch: language code → field name
// as in the definition file ("text", "label") → text. Dutch, the survey's own language, stays
// in the fields themselves, so every rule and every result reads it as before.
type Translations map[string]map[string]string

// textVisitor is called for every translatable text of a definition: the path of its part
// (as in DefinitionError.Path), the part's translations, the field's name and its Dutch text.
type textVisitor func(part string, tr *Translations, field string, text *string)

// eachText visits every text a definition file may give per language, in file order.
func (d *Definition) eachText(f textVisitor) {
	f("", &d.Translations, "title", &d.Title)
	f("", &d.Translations, "organisation", &d.Organisation)
	f("", &d.Translations, "intro", &d.Intro)
	f("", &d.Translations, "privacy", &d.Privacy)
	names := make([]string, 0, len(d.Scales))
	for name := range d.Scales {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for i := range d.Scales[name] {
			o := &d.Scales[name][i]
			f(fmt.Sprintf("scales.%s[%d]", name, i), &o.Translations, "label", &o.Label)
		}
	}
	for si := range d.Sections {
		s := &d.Sections[si]
		at := fmt.Sprintf("sections[%d]", si)
		f(at, &s.Translations, "title", &s.Title)
		f(at, &s.Translations, "intro", &s.Intro)
		for qi := range s.Questions {
			q := &s.Questions[qi]
			at := fmt.Sprintf("%s.questions[%d]", at, qi)
			f(at, &q.Translations, "text", &q.Text)
			f(at, &q.Translations, "help", &q.Help)
			f(at, &q.Translations, "unit", &q.Unit)
			for oi := range q.Options {
				f(fmt.Sprintf("%s.options[%d]", at, oi), &q.Options[oi].Translations, "label", &q.Options[oi].Label)
			}
			for ti := range q.Statements {
				f(fmt.Sprintf("%s.statements[%d]", at, ti), &q.Statements[ti].Translations, "text", &q.Statements[ti].Text)
			}
		}
	}
}

func joinPath(part, field string) string {
	if part == "" {
		return field
	}
	return part + "." + field
}

func sortedLanguages(tr Translations) []string {
	out := make([]string, 0, len(tr))
	for lang := range tr {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}

// KeepTranslations gives q, an edited version of old, old's texts in the other languages: the
// question's own, and its options' and statements' by code. An editor that shows only the Dutch
// then loses no translation when the Dutch changes.
func (q *Question) KeepTranslations(old Question) {
	q.Translations = old.Translations
	for i := range q.Options {
		if o, ok := old.Choice(q.Options[i].Code); ok && old.Kind != KindLikert {
			q.Options[i].Translations = o.Translations
		}
	}
	for i := range q.Statements {
		for _, st := range old.Statements {
			if st.Code == q.Statements[i].Code {
				q.Statements[i].Translations = st.Translations
			}
		}
	}
}

// Languages returns the languages other than Dutch that the definition gives any text in.
func (d *Definition) Languages() []string {
	seen := map[string]bool{}
	d.eachText(func(_ string, tr *Translations, _ string, _ *string) {
		for lang := range *tr {
			seen[lang] = true
		}
	})
	var out []string
	for lang := range seen {
		out = append(out, lang)
	}
	sort.Strings(out)
	return out
}

// Has reports whether the definition's texts exist in lang: Dutch always, another language
// when the definition gives its title in it.
func (d *Definition) Has(lang string) bool {
	return lang == "" || lang == DutchLanguage || d.Translations[lang]["title"] != ""
}

// DutchLanguage is the code of a definition's own language, that of its plain texts.
const DutchLanguage = "nl"

// Lang is the language the definition's texts are in: Dutch, or the one In chose.
func (d *Definition) Lang() string {
	if d.lang == "" {
		return DutchLanguage
	}
	return d.lang
}

// TextLang is the language text, one of d's texts, is in: Dutch where In found no translation
// for it (a survey translated in part), else Lang. Pages mark such a text with lang="nl".
func (d *Definition) TextLang(text string) string {
	if d.dutchLeft[text] {
		return DutchLanguage
	}
	return d.Lang()
}

// WithDecimal returns a copy of d whose number questions read and show numbers with decimal
// separator sep: "," as in Dutch (3,5 and 1.200), "." as in English (3.5 and 1,200). Handlers
// take it from the catalogue (common.format.decimal), so that a new language needs no code;
// without it, Dutch texts mean a comma and any other language a point.
func (d *Definition) WithDecimal(sep string) *Definition {
	c := *d
	c.decimal = sep
	c.Sections = append([]Section(nil), d.Sections...)
	for si := range c.Sections {
		s := &c.Sections[si]
		s.Questions = append([]Question(nil), s.Questions...)
		for qi := range s.Questions {
			s.Questions[qi].decimal = sep
		}
	}
	return &c
}

type localKey struct{ lang, decimal string }

// localizedCopies holds, per definition, the copies Localized made of it. They live outside
// the Definition: a field filled in after the definition is shared would be written while
// other requests copy the struct (In, WithDecimal and MarshalYAML do `c := *d`), a data race
// that -race found.
var localizedCopies DefinitionMemo

// Localized is d.In(lang).WithDecimal(sep), made once per language and separator and then
// shared: every respondent's page needs it, and making it copies every section, question,
// option and statement twice. The result is shared by concurrent requests, so no caller may
// change it; one that means to, takes Clone.
func (d *Definition) Localized(lang, sep string) *Definition {
	if !d.Has(lang) { // In shows Dutch then: one copy for every language without texts
		lang = DutchLanguage
	}
	copies := localizedCopies.Of(d)
	key := localKey{lang, sep}
	if local, ok := copies.Load(key); ok {
		return local.(*Definition)
	}
	// Two requests may make a copy at once; the first stored is everyone's.
	local, _ := copies.LoadOrStore(key, d.In(lang).WithDecimal(sep))
	return local.(*Definition)
}

// DefinitionMemo keeps what is derived from a definition (its localized copies, a question's
// markup) for as long as the definition lives: keyed by a weak pointer, so that a definition
// that is replaced (a new version, an edit, a preview) takes what was kept for it along when it
// is collected.
type DefinitionMemo struct {
	defs sync.Map // weak.Pointer[Definition] → *sync.Map
}

// Of is the map of what is kept for d.
func (m *DefinitionMemo) Of(d *Definition) *sync.Map {
	key := weak.Make(d)
	kept, ok := m.defs.Load(key)
	if !ok {
		var loaded bool
		if kept, loaded = m.defs.LoadOrStore(key, &sync.Map{}); !loaded {
			runtime.AddCleanup(d, func(k weak.Pointer[Definition]) { m.defs.Delete(k) }, key)
		}
	}
	return kept.(*sync.Map)
}

// Len is how many definitions have something kept (for tests).
func (m *DefinitionMemo) Len() int {
	n := 0
	m.defs.Range(func(_, _ any) bool { n++; return true })
	return n
}

// decimalOf is the decimal separator of numbers in texts of language lang, unless sep, set
// by WithDecimal, says otherwise.
func decimalOf(lang, sep string) string {
	if sep != "" {
		return sep
	}
	if lang == "" || lang == DutchLanguage {
		return ","
	}
	return "."
}

// In returns a copy of d with its texts in lang where the definition gives them, in Dutch
// where it does not (see Has). Codes, rules and order are d's own; d is not changed.
func (d *Definition) In(lang string) *Definition {
	c := *d
	if !d.Has(lang) {
		lang = DutchLanguage
	}
	c.lang = lang
	c.Scales = make(map[string][]Option, len(d.Scales))
	for name, opts := range d.Scales {
		c.Scales[name] = append([]Option(nil), opts...)
	}
	c.Sections = append([]Section(nil), d.Sections...)
	for si := range c.Sections {
		s := &c.Sections[si]
		s.Questions = append([]Question(nil), s.Questions...)
		for qi := range s.Questions {
			q := &s.Questions[qi]
			q.lang = lang
			q.Options = append([]Option(nil), q.Options...)
			q.Statements = append([]Statement(nil), q.Statements...)
			if q.Kind == KindLikert {
				q.ScaleOptions = c.Scales[q.Scale]
			}
		}
	}
	if lang == DutchLanguage {
		return &c
	}
	c.dutchLeft = map[string]bool{}
	translated := map[string]bool{}
	c.eachText(func(_ string, tr *Translations, field string, text *string) {
		if t := (*tr)[lang][field]; t != "" {
			*text = t
			translated[t] = true
		} else if *text != "" {
			c.dutchLeft[*text] = true
		}
	})
	for t := range translated { // the same words in both languages: take them as lang's
		delete(c.dutchLeft, t)
	}
	for si := range c.Sections { // the scale's options were translated after being shared
		for qi := range c.Sections[si].Questions {
			if q := &c.Sections[si].Questions[qi]; q.Kind == KindLikert {
				q.ScaleOptions = c.Scales[q.Scale]
			}
		}
	}
	return &c
}

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// languageMap reports whether n is a text given per language: a mapping of language codes
// to strings, Dutch among them.
func languageMap(n *yaml.Node) bool {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		return false
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if !languageCode.MatchString(n.Content[i].Value) || n.Content[i+1].Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// takeTranslations replaces every text given per language in the tree by its Dutch text and
// returns the others by path ("sections[0].title" → "en" → text).
func takeTranslations(n *yaml.Node, path string, out map[string]map[string]string) error {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if err := takeTranslations(c, path, out); err != nil {
				return err
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if err := takeTranslations(c, fmt.Sprintf("%s[%d]", path, i), out); err != nil {
				return err
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i].Value, n.Content[i+1]
			at := joinPath(path, key)
			if !languageMap(val) {
				if err := takeTranslations(val, at, out); err != nil {
					return err
				}
				continue
			}
			texts := map[string]string{}
			dutch, hasDutch := "", false
			for j := 0; j+1 < len(val.Content); j += 2 {
				if lang := val.Content[j].Value; lang == DutchLanguage {
					dutch, hasDutch = val.Content[j+1].Value, true
				} else {
					texts[lang] = val.Content[j+1].Value
				}
			}
			if !hasDutch {
				return &DefinitionError{Path: at, Line: val.Line, Problem: "een tekst per taal heeft ook de Nederlandse tekst nodig (nl:)"}
			}
			*val = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: dutch, Line: val.Line, Column: val.Column}
			out[at] = texts
		}
	}
	return nil
}

// putTranslations files the texts takeTranslations found under their parts; a text per
// language where the format has none (a code, a kind) is an error.
func (d *Definition) putTranslations(found map[string]map[string]string, root *yaml.Node) error {
	var tooLong string
	d.eachText(func(part string, tr *Translations, field string, _ *string) {
		for lang, text := range found[joinPath(part, field)] {
			if utf8.RuneCountInString(text) > maxTranslation {
				tooLong = joinPath(part, field) + "." + lang
			}
			if *tr == nil {
				*tr = Translations{}
			}
			if (*tr)[lang] == nil {
				(*tr)[lang] = map[string]string{}
			}
			(*tr)[lang][field] = text
		}
		delete(found, joinPath(part, field))
	})
	for path := range found {
		return &DefinitionError{Path: path, Line: lineOf(root, path), Problem: "alleen teksten kunnen per taal worden gegeven (nl:, en:), geen codes of instellingen"}
	}
	if tooLong != "" {
		return &DefinitionError{Path: tooLong, Line: lineOf(root, tooLong), Problem: fmt.Sprintf("te lang: hoogstens %d tekens", maxTranslation)}
	}
	return nil
}

// maxTranslation bounds a text in another language, as the longest Dutch text (intro) is.
const maxTranslation = 10000

// unknownField finds a key in the tree that type t (a Definition, and below it) does not
// have, as the decoder's KnownFields would, which the tree itself cannot be decoded with.
func unknownField(n *yaml.Node, t reflect.Type) *yaml.Node {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case n.Kind == yaml.DocumentNode && len(n.Content) > 0:
		return unknownField(n.Content[0], t)
	case n.Kind == yaml.SequenceNode && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array):
		for _, c := range n.Content {
			if bad := unknownField(c, t.Elem()); bad != nil {
				return bad
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Map:
		for i := 1; i < len(n.Content); i += 2 {
			if bad := unknownField(n.Content[i], t.Elem()); bad != nil {
				return bad
			}
		}
	case n.Kind == yaml.MappingNode && t.Kind() == reflect.Struct:
		fields := map[string]reflect.Type{}
		for i := 0; i < t.NumField(); i++ {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
			if name != "" && name != "-" {
				fields[name] = t.Field(i).Type
			}
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			ft, ok := fields[n.Content[i].Value]
			if !ok {
				return n.Content[i]
			}
			if bad := unknownField(n.Content[i+1], ft); bad != nil {
				return bad
			}
		}
	}
	return nil
}

// MarshalYAML writes the definition as a definition file gives it: a text with translations
// as a mapping per language ({nl: …, en: …}).
func (d Definition) MarshalYAML() (any, error) {
	type plain Definition // without this method
	var root yaml.Node
	if err := root.Encode((*plain)(&d)); err != nil {
		return nil, err
	}
	d.withTranslations(&root)
	return &root, nil
}

// withTranslations writes every text that has translations as a mapping per language into
// the tree of d, as the definition file format gives them.
func (d *Definition) withTranslations(root *yaml.Node) {
	d.eachText(func(part string, tr *Translations, field string, text *string) {
		if len(*tr) == 0 {
			return
		}
		var langs []string
		for lang, texts := range *tr {
			if texts[field] != "" {
				langs = append(langs, lang)
			}
		}
		if len(langs) == 0 {
			return
		}
		sort.Strings(langs)
		val := valueAt(root, joinPath(part, field))
		if val == nil {
			return
		}
		m := yaml.Node{Kind: yaml.MappingNode, Style: val.Style & yaml.FlowStyle}
		add := func(lang, s string) {
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: lang}, &yaml.Node{Kind: yaml.ScalarNode, Value: s, Style: val.Style &^ yaml.FlowStyle})
		}
		add(DutchLanguage, *text)
		for _, lang := range langs {
			add(lang, (*tr)[lang][field])
		}
		*val = m
	})
}

// valueAt finds the value node at a path such as sections[1].questions[0].text.
func valueAt(root *yaml.Node, path string) *yaml.Node {
	node := root
	if node.Kind == yaml.DocumentNode && len(node.Content) > 0 {
		node = node.Content[0]
	}
	for _, part := range strings.Split(path, ".") {
		key, idx, hasIdx := strings.Cut(part, "[")
		var next *yaml.Node
		if node.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(node.Content); i += 2 {
				if node.Content[i].Value == key {
					next = node.Content[i+1]
				}
			}
		}
		if next == nil {
			return nil
		}
		node = next
		if hasIdx {
			var i int
			if _, err := fmt.Sscanf(idx, "%d]", &i); err != nil || node.Kind != yaml.SequenceNode || i >= len(node.Content) {
				return nil
			}
			node = node.Content[i]
		}
	}
	return node
}
