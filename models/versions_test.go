package models

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func referenceDef(t *testing.T) *Definition {
	t.Helper()
	data, err := ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	def, err := ParseDefinition(ReferenceSurveyFile, data)
	if err != nil {
		t.Fatal(err)
	}
	return def
}

// TestDefinitionsRoundTripThroughTheFileFormat: what MarshalDefinition writes, ParseDefinition
// reads back to the same definition.
func TestDefinitionsRoundTripThroughTheFileFormat(t *testing.T) {
	def := referenceDef(t)
	min, max := -3.5, 12.0
	def.Sections[0].Questions = append(def.Sections[0].Questions, Question{Code: "fte", Kind: KindNumber, Text: "Hoeveel fte?",
		Help: "Afgerond op halven", Min: &min, Max: &max, Unit: "fte", Required: true},
		Question{Code: "toelichting", Kind: KindText, Text: "Toelichting", MaxLength: 500})
	body, err := MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseDefinition("export.yaml", body)
	if err != nil {
		t.Fatalf("the export does not parse: %v\n%s", err, body)
	}
	if !reflect.DeepEqual(def, again) {
		t.Fatalf("the round trip changed the definition:\n%s", body)
	}
	if strings.Contains(string(body), "help: \"\"") || strings.Contains(string(body), "required: false") {
		t.Error("the export writes empty optional fields")
	}
}

// TestChangeDefinitionVersions: in place before opening; after opening, texts in place with an
// audited before/after, anything else a new version; a closed survey takes texts only.
func TestChangeDefinitionVersions(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "v.db"))
	def := referenceDef(t)
	def.Slug = "versies"
	s, err := ImportSurvey(db.Write, def, StatusDraft)
	if err != nil {
		t.Fatal(err)
	}
	who, at := Actor{Name: "test"}, time.Now().UTC()

	draftChange := referenceDef(t)
	draftChange.Slug = "versies"
	draftChange.Sections = draftChange.Sections[:4] // structure, but nobody answered yet
	if c, err := ChangeDefinition(db.Write, s.ID, draftChange, who, at); err != nil || c.Kind != ActionDefinitionReplaced || c.Version != 1 {
		t.Fatalf("change before opening: %+v, %v", c, err)
	}
	if err := OpenSurvey(db.Write, s.ID, who, at); err != nil {
		t.Fatal(err)
	}

	typo := referenceDef(t)
	typo.Slug, typo.Sections = "versies", typo.Sections[:4]
	before := typo.Sections[0].Questions[1].Text
	typo.Sections[0].Questions[1].Text = before + " (verbeterd)"
	typo.Sections[1].Questions[0].Options[0].Label = "Basis op orde"
	c, err := ChangeDefinition(db.Write, s.ID, typo, who, at)
	if err != nil || c.Kind != ActionTextsCorrected || c.Version != 1 || len(c.Texts) != 2 {
		t.Fatalf("text correction: %+v, %v", c, err)
	}
	entries, err := SurveyAudit(db.Read, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if entries[0].Action != ActionTextsCorrected || !strings.Contains(entries[0].Subject, before) || !strings.Contains(entries[0].Subject, "(verbeterd)") {
		t.Errorf("the audit log says %q %q, want before and after", entries[0].Action, entries[0].Subject)
	}

	moved := referenceDef(t)
	moved.Slug = "versies" // the fifth section back: a structural change
	c, err = ChangeDefinition(db.Write, s.ID, moved, who, at)
	if err != nil || c.Kind != ActionVersionCreated || c.Version != 2 {
		t.Fatalf("structural change: %+v, %v", c, err)
	}
	cur, _ := FindSurvey(db.Read, "versies")
	old := &Response{Version: 1}
	v1, err := cur.DefFor(db.Read, old)
	if err != nil || len(v1.Sections) != 4 || !strings.HasSuffix(v1.Sections[0].Questions[1].Text, "(verbeterd)") {
		t.Fatalf("version 1 as a response of it sees it: %v", err)
	}
	if v2, _ := cur.Def(); len(v2.Sections) != 5 {
		t.Fatalf("the current version has %d sections", len(v2.Sections))
	}

	other := referenceDef(t)
	other.Slug, other.Register = "versies", "2017"
	if _, err := ChangeDefinition(db.Write, s.ID, other, who, at); !errors.As(err, new(*DefinitionError)) {
		t.Errorf("a register change after opening: %v", err)
	}
	if err := CloseSurvey(db.Write, s.ID, who, at); err != nil {
		t.Fatal(err)
	}
	shorter := referenceDef(t)
	shorter.Slug, shorter.Sections = "versies", shorter.Sections[:3]
	if _, err := ChangeDefinition(db.Write, s.ID, shorter, who, at); !errors.As(err, new(*DefinitionError)) {
		t.Errorf("a structural change after closing: %v", err)
	}
}

// TestSkipRulesThatCannotWorkAreRefused: a rule must name a single or multi question on an
// earlier page and values among its options; anything else is refused at import with where
// and why.
func TestSkipRulesThatCannotWorkAreRefused(t *testing.T) {
	cases := []struct {
		name string
		set  func(d *Definition)
		want string
	}{
		{"forward", func(d *Definition) {
			d.Sections[1].ShowIf = &Condition{Question: "uitdaging", Values: []string{"ja"}}
		}, `sections[1].show_if.question: vraag "uitdaging" staat niet op een eerdere pagina`},
		{"same page", func(d *Definition) {
			d.Sections[0].Questions[2].ShowIf = &Condition{Question: "afdeling", Values: []string{"communicatie"}}
		}, `sections[0].questions[2].show_if.question: vraag "afdeling" staat niet op een eerdere pagina`},
		{"missing", func(d *Definition) {
			d.Sections[2].ShowIf = &Condition{Question: "kcc", Values: []string{"ja"}}
		}, `vraag "kcc" bestaat niet`},
		{"not a choice", func(d *Definition) {
			d.Sections[2].ShowIf = &Condition{Question: "kc_concreet", Values: []string{"ja"}}
		}, `een voorwaarde kan alleen naar een single- of multi-vraag verwijzen`},
		{"no such option", func(d *Definition) {
			d.Sections[2].ShowIf = &Condition{Question: "overleg", Values: []string{"misschien"}}
		}, `sections[2].show_if.values[0]: "misschien" is geen optie van vraag "overleg"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			def := referenceDef(t)
			tc.set(def)
			body, err := MarshalDefinition(def)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParseDefinition("regel.yaml", body)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want %q", err, tc.want)
			}
		})
	}
}
