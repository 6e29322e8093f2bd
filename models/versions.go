package models

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// A survey's definition has numbered versions. Every response records the version it was
// started on and is shown, checked and counted by that version. Before the survey opens the
// current version may be replaced freely (nobody has answered it). Opening freezes it: from
// then on a change that only corrects texts (a typo in a question, an option's label, a help
// text) is made in place and audited with before and after; any other change (questions,
// option codes, order, kinds, limits) makes a new version, which only responses started after
// it use. Results count every version by question code and say how many responses each
// version has.

// Audit actions of definitions.
const (
	ActionDefinitionReplaced = "definition_replaced"
	ActionTextsCorrected     = "texts_corrected"
	ActionVersionCreated     = "version_created"
)

// SurveyVersion is one version of a survey's definition.
type SurveyVersion struct {
	ID         uint   `gorm:"primaryKey"`
	SurveyID   uint   `gorm:"not null;uniqueIndex:idx_survey_versions_number"`
	Number     int    `gorm:"not null;uniqueIndex:idx_survey_versions_number"`
	Definition string `gorm:"not null"` // the Definition as JSON
	CreatedAt  time.Time
	FrozenAt   *time.Time // when the survey opened on this version: structure fixed from then
}

// Change says what ChangeDefinition did.
type Change struct {
	Kind    string   // ActionDefinitionReplaced, ActionTextsCorrected, ActionVersionCreated, or "" for no change
	Version int      // the survey's current version afterwards
	Texts   []string // for texts_corrected: "path: before → after"
}

// versionDefs caches parsed definitions of versions other than the current one: those never
// change, so the key needs no revision.
var versionDefs sync.Map // "id/created/version" → *Definition

// DefFor returns the definition that response r was started on.
func (s *Survey) DefFor(db *gorm.DB, r *Response) (*Definition, error) {
	if r == nil || r.Version == 0 || r.Version == s.Version {
		return s.Def()
	}
	key := fmt.Sprintf("%d/%d/%d", s.ID, s.CreatedAt.UnixNano(), r.Version)
	if d, ok := versionDefs.Load(key); ok {
		return d.(*Definition), nil
	}
	var v SurveyVersion
	if err := db.Where("survey_id = ? AND number = ?", s.ID, r.Version).Take(&v).Error; err != nil {
		return nil, fmt.Errorf("survey %s version %d: %w", s.Slug, r.Version, notFound(err))
	}
	d, err := decodeDefinition(s.Slug, v.Definition)
	if err != nil {
		return nil, err
	}
	versionDefs.Store(key, d)
	return d, nil
}

func decodeDefinition(slug, body string) (*Definition, error) {
	var d Definition
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		return nil, fmt.Errorf("survey %s: stored definition: %w", slug, err)
	}
	if err := d.check(); err != nil {
		return nil, fmt.Errorf("survey %s: stored definition: %w", slug, err)
	}
	return &d, nil
}

// ChangeDefinition puts def in place of survey id's current definition: in place while the
// survey has never opened, in place with an audited list of corrections when only texts
// differ, and as a new version otherwise. A closed survey takes text corrections only, and
// slug and register never change once it has opened.
func ChangeDefinition(db *gorm.DB, id uint, def *Definition, who Actor, at time.Time) (Change, error) {
	if err := def.check(); err != nil {
		return Change{}, err
	}
	body, err := json.Marshal(def)
	if err != nil {
		return Change{}, err
	}
	var out Change
	err = db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		old, err := decodeDefinition(s.Slug, s.Definition)
		if err != nil {
			return err
		}
		out.Version = s.Version
		if string(body) == s.Definition {
			return nil
		}
		if s.OpenedAt == nil { // nobody has answered: the version is still being written
			if def.Slug != s.Slug {
				return &DefinitionError{Path: "slug", Problem: "de slug van een bestaande peiling verandert niet"}
			}
			out.Kind = ActionDefinitionReplaced
			return writeCurrent(tx, s, def, body, s.Version, at, who, out.Kind, "")
		}
		if def.Slug != s.Slug || def.Register != s.Register {
			return &DefinitionError{Path: "register", Problem: "slug en gemeentelijst liggen vast zodra de peiling is geopend; maak een nieuwe peiling (een volgende ronde)"}
		}
		if texts, ok := textOnlyChanges(old, def); ok {
			out.Kind, out.Texts = ActionTextsCorrected, texts
			return writeCurrent(tx, s, def, body, s.Version, at, who, out.Kind, strings.Join(texts, "\n"))
		}
		if s.Status == StatusClosed {
			return &DefinitionError{Path: "sections", Problem: "de peiling is gesloten: alleen teksten kunnen nog worden verbeterd"}
		}
		out.Kind, out.Version = ActionVersionCreated, s.Version+1
		v := SurveyVersion{SurveyID: s.ID, Number: out.Version, Definition: string(body), CreatedAt: at, FrozenAt: &at}
		if err := tx.Create(&v).Error; err != nil {
			return err
		}
		return writeCurrent(tx, s, def, body, out.Version, at, who, out.Kind, fmt.Sprintf("versie %d", out.Version))
	})
	if err != nil {
		return Change{}, fmt.Errorf("change definition of survey %d: %w", id, err)
	}
	return out, nil
}

// writeCurrent stores def as survey s's current definition and its version row, and audits.
func writeCurrent(tx *gorm.DB, s *Survey, def *Definition, body []byte, version int, at time.Time, who Actor, action, subject string) error {
	err := tx.Model(s).Updates(map[string]any{"definition": string(body), "title": def.Title, "register": def.Register,
		"version": version, "definition_revision": s.DefinitionRevision + 1}).Error
	if err != nil {
		return err
	}
	res := tx.Model(&SurveyVersion{}).Where("survey_id = ? AND number = ?", s.ID, version).Update("definition", string(body))
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		if err := tx.Create(&SurveyVersion{SurveyID: s.ID, Number: version, Definition: string(body), CreatedAt: at}).Error; err != nil {
			return err
		}
	}
	return audit(tx, who, at, action, &s.ID, subject, nil)
}

// freezeVersion marks survey s's current version as opened.
func freezeVersion(tx *gorm.DB, s *Survey, at time.Time) error {
	return tx.Model(&SurveyVersion{}).Where("survey_id = ? AND number = ? AND frozen_at IS NULL", s.ID, s.Version).
		Update("frozen_at", at).Error
}

// VersionCount is how many sent responses answered one version.
type VersionCount struct {
	Version int
	N       int64
}

// ResponsesPerVersion returns the sent responses of closed survey surveyID per version, as
// counted at closing.
func ResponsesPerVersion(db *gorm.DB, surveyID uint) ([]VersionCount, error) {
	var out []VersionCount
	err := db.Model(&Aggregate{}).Select("CAST(grp AS INTEGER) AS version, n").
		Where("survey_id = ? AND dimension = ? AND question = ''", surveyID, DimVersion).Order("CAST(grp AS INTEGER)").Scan(&out).Error
	return out, err
}

// textOnlyChanges reports whether b differs from a in texts only, and lists those texts.
func textOnlyChanges(a, b *Definition) ([]string, bool) {
	if !sameShape(a, b) {
		return nil, false
	}
	var texts []string
	note := func(path, before, after string) {
		if before != after {
			texts = append(texts, fmt.Sprintf("%s: %q → %q", path, clip(before, 120), clip(after, 120)))
		}
	}
	note("title", a.Title, b.Title)
	note("organisation", a.Organisation, b.Organisation)
	note("intro", a.Intro, b.Intro)
	note("privacy", a.Privacy, b.Privacy)
	note("contact.name", a.Contact.Name, b.Contact.Name)
	note("contact.email", a.Contact.Email, b.Contact.Email)
	note("contact.phone", a.Contact.Phone, b.Contact.Phone)
	for name, opts := range a.Scales {
		for i, o := range opts {
			note(fmt.Sprintf("scales.%s[%d].label", name, i), o.Label, b.Scales[name][i].Label)
		}
	}
	for si, sa := range a.Sections {
		sb := b.Sections[si]
		note(fmt.Sprintf("sections[%d].title", si), sa.Title, sb.Title)
		note(fmt.Sprintf("sections[%d].intro", si), sa.Intro, sb.Intro)
		for qi, qa := range sa.Questions {
			qb, at := sb.Questions[qi], fmt.Sprintf("sections[%d].questions[%d]", si, qi)
			note(at+".text", qa.Text, qb.Text)
			note(at+".help", qa.Help, qb.Help)
			note(at+".unit", qa.Unit, qb.Unit)
			for oi, o := range qa.Options {
				note(fmt.Sprintf("%s.options[%d].label", at, oi), o.Label, qb.Options[oi].Label)
			}
			for ti, st := range qa.Statements {
				note(fmt.Sprintf("%s.statements[%d].text", at, ti), st.Text, qb.Statements[ti].Text)
			}
		}
	}
	// Translations: the same parts, as the shapes are the same.
	var before []string
	a.eachText(func(part string, tr *Translations, field string, _ *string) {
		for _, lang := range sortedLanguages(*tr) {
			before = append(before, fmt.Sprintf("%s (%s)\x00%s", joinPath(part, field), lang, (*tr)[lang][field]))
		}
	})
	after := map[string]string{}
	b.eachText(func(part string, tr *Translations, field string, _ *string) {
		for lang, texts := range *tr {
			after[fmt.Sprintf("%s (%s)", joinPath(part, field), lang)] = texts[field]
		}
	})
	for _, entry := range before {
		path, text, _ := strings.Cut(entry, "\x00")
		note(path, text, after[path])
		delete(after, path)
	}
	added := make([]string, 0, len(after))
	for path := range after {
		added = append(added, path)
	}
	sort.Strings(added)
	for _, path := range added {
		note(path, "", after[path])
	}
	return texts, true
}

// sameShape compares two definitions with every text left out.
func sameShape(a, b *Definition) bool {
	sa, errA := json.Marshal(shapeOf(a))
	sb, errB := json.Marshal(shapeOf(b))
	return errA == nil && errB == nil && string(sa) == string(sb)
}

// shapeOf is a deep copy of d without its texts: what respondents' answers depend on.
func shapeOf(d *Definition) Definition {
	var c Definition
	body, _ := json.Marshal(d)
	_ = json.Unmarshal(body, &c)
	c.Title, c.Organisation, c.Intro, c.Privacy, c.Minutes = "", "", "", "", 0
	c.Contact = SurveyContact{}
	c.eachText(func(_ string, tr *Translations, _ string, _ *string) { *tr = nil })
	for name := range c.Scales {
		for i := range c.Scales[name] {
			c.Scales[name][i].Label = ""
		}
	}
	for si := range c.Sections {
		s := &c.Sections[si]
		s.Title, s.Intro = "", ""
		for qi := range s.Questions {
			q := &s.Questions[qi]
			q.Text, q.Help, q.Unit = "", "", ""
			for oi := range q.Options {
				q.Options[oi].Label = ""
			}
			for ti := range q.Statements {
				q.Statements[ti].Text = ""
			}
		}
	}
	return c
}
