package models

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"peiling/models/dbtest"
)

func TestNewDefinitionFieldsRoundTripThroughYAMLAndJSON(t *testing.T) {
	ref, err := ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	src := strings.Replace(string(ref), "register:", "contact:\n  name: Anna de Vries\n  email: anna@example.nl\n  phone: 030 123 45 67\nregister:", 1)
	def, err := ParseDefinition("contact.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if def.Contact != (SurveyContact{Name: "Anna de Vries", Email: "anna@example.nl", Phone: "030 123 45 67"}) {
		t.Fatalf("contact: %+v", def.Contact)
	}
	out, err := yaml.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	again, err := ParseDefinition("again.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	body, _ := json.Marshal(again)
	var fromJSON Definition
	if err := json.Unmarshal(body, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if err := fromJSON.check(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(def, &fromJSON) {
		t.Errorf("round trip changed the definition:\n%+v\n%+v", def, fromJSON)
	}
	bad := strings.Replace(src, "anna@example.nl", "geen adres", 1)
	if _, err := ParseDefinition("bad.yaml", []byte(bad)); err == nil || !strings.Contains(err.Error(), "contact.email") {
		t.Errorf("a bad contact address: %v", err)
	}
}

func TestCodeFromMakesStableUniqueCodes(t *testing.T) {
	taken := map[string]bool{"ja": true}
	for in, want := range map[string]string{
		"Ja":                    "ja_2",
		"Anders, namelijk":      "anders_namelijk",
		"Één keer per week":     "een_keer_per_week",
		"2 of meer":             "v2_of_meer",
		"Weet niet":             "weet_niet_optie",
		"???":                   "v",
		strings.Repeat("a", 50): strings.Repeat("a", 30),
	} {
		if got := CodeFrom(in, func(c string) bool { return taken[c] }); got != want {
			t.Errorf("CodeFrom(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSaveDefinitionRefusesWhatImportRefuses(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	at := time.Now().UTC()
	s, err := CreateSurvey(db.Write, NewDefinition("Nieuw", "nieuw", "2025"), nil, ActionSurveyCreated, System, at)
	if err != nil {
		t.Fatal(err)
	}
	def, _ := s.Def()
	cp, _ := def.Clone()
	cp.Sections[0].Questions = append(cp.Sections[0].Questions, Question{Code: "gemeente", Kind: KindText, Text: "Dubbel"})
	var de *DefinitionError
	if _, err := SaveDefinition(db.Write, s, cp, System, at); !errors.As(err, &de) || de.Path != "sections[0].questions[1].code" {
		t.Fatalf("a duplicate code: %v", err)
	}
	cp.Sections[0].Questions[1].Code = "toelichting"
	if _, err := SaveDefinition(db.Write, s, cp, System, at); err != nil {
		t.Fatal(err)
	}
	stored, _ := FindSurvey(db.Read, "nieuw")
	if d, _ := stored.Def(); len(d.Questions()) != 2 {
		t.Errorf("the cached definition was not replaced: %d questions", len(d.Questions()))
	}
	if err := OpenSurvey(db.Write, s.ID, System, at); err != nil {
		t.Fatal(err)
	}
	// Once open, the same definition again changes nothing.
	if c, err := SaveDefinition(db.Write, s, cp, System, at); err != nil || c.Kind != "" {
		t.Errorf("an unchanged definition of an open survey: %+v, %v", c, err)
	}
	if got := actions(t, db, s.ID); !reflect.DeepEqual(got, []string{ActionOpened, ActionDefinitionReplaced, ActionSurveyCreated}) && !reflect.DeepEqual(got, []string{ActionSurveyCreated, ActionDefinitionReplaced, ActionOpened}) {
		t.Errorf("audit: %v", got)
	}
}
