// Package locales holds Peiling's message catalogues, one set of YAML files per language, and
// the Translator that words messages, dates and numbers in one language. Adding a language
// takes only catalogue files: every *.LANG.yaml here is loaded, and the first key of each
// language (common.language.name) names it in the language switch.
package locales

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed *.yaml
var files embed.FS

// Default is the language of a visitor who asks for none we have: Peiling is Dutch first.
var Default = language.Dutch

// Catalogue is every language's messages.
type Catalogue struct {
	bundle      *i18n.Bundle
	tags        []language.Tag // Default first
	matcher     language.Matcher
	translators map[string]*Translator
}

// Load reads the embedded catalogue files.
func Load() (*Catalogue, error) { return LoadFS(files) }

// LoadFS reads every *.yaml file of fsys; a file's language is the part of its name before
// ".yaml", as in respondent.en.yaml.
func LoadFS(fsys fs.FS) (*Catalogue, error) {
	bundle := i18n.NewBundle(Default)
	bundle.RegisterUnmarshalFunc("yaml", yaml.Unmarshal)
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := bundle.LoadMessageFileFS(fsys, name); err != nil {
			return nil, fmt.Errorf("load catalogue %s: %w", name, err)
		}
	}
	c := &Catalogue{bundle: bundle, translators: map[string]*Translator{}}
	c.tags = append(c.tags, Default)
	for _, tag := range bundle.LanguageTags() {
		if tag != Default {
			c.tags = append(c.tags, tag)
		}
	}
	sort.SliceStable(c.tags[1:], func(i, j int) bool { return c.tags[1+i].String() < c.tags[1+j].String() })
	c.matcher = language.NewMatcher(c.tags)
	for _, tag := range c.tags {
		c.translators[tag.String()] = newTranslator(bundle, tag)
	}
	return c, nil
}

// Languages are the catalogue's languages, Dutch first.
func (c *Catalogue) Languages() []*Translator {
	out := make([]*Translator, len(c.tags))
	for i, tag := range c.tags {
		out[i] = c.translators[tag.String()]
	}
	return out
}

// Codes are the codes of the catalogue's languages, Dutch first: nl, en.
func (c *Catalogue) Codes() []string {
	out := make([]string, len(c.tags))
	for i, tag := range c.tags {
		out[i] = tag.String()
	}
	return out
}

// Translator returns the translator of language code ("nl", "en"), or nil if the catalogue
// does not have it.
func (c *Catalogue) Translator(code string) *Translator {
	return c.translators[strings.ToLower(strings.TrimSpace(code))]
}

// Dutch is the default language's translator.
func (c *Catalogue) Dutch() *Translator { return c.translators[Default.String()] }

// Accepted returns the translator of the best language of an Accept-Language header, or nil
// when the header names none of ours (a German browser, or no header at all), so that the
// next source of a language can decide.
func (c *Catalogue) Accepted(header string) *Translator {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return nil
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return nil
	}
	return c.translators[c.tags[i].String()]
}

// Messages returns the message ids and their "other" text of one language, as the catalogue
// files give them (without falling back to Dutch), for the completeness test.
func Messages(fsys fs.FS, code string) (map[string]map[string]string, error) {
	names, err := fs.Glob(fsys, "*."+code+".yaml")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		msgs, err := i18n.ParseMessageBytes(data, yaml.Unmarshal)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		for _, m := range msgs {
			if _, dup := out[m.ID]; dup {
				return nil, fmt.Errorf("%s: message %s defined twice", name, m.ID)
			}
			out[m.ID] = map[string]string{"zero": m.Zero, "one": m.One, "two": m.Two, "few": m.Few, "many": m.Many, "other": m.Other}
		}
	}
	return out, nil
}

// Files are the embedded catalogue files.
func Files() fs.FS { return files }
