package models

import (
	"errors"
	"strings"
	"testing"
)

func TestReferenceSurveyParses(t *testing.T) {
	data, err := ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	def, err := ParseDefinition(ReferenceSurveyFile, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(def.Sections) != 5 || len(def.Questions()) != 13 {
		t.Fatalf("%d sections, %d questions; want 5 and 13", len(def.Sections), len(def.Questions()))
	}
	q := def.Questions()[4]
	if q.Code != "kc_stellingen" || len(q.Choices()) != 6 || q.Choices()[5].Code != DontKnowCode {
		t.Errorf("kc_stellingen choices = %+v", q.Choices())
	}
}

// minimal is a valid definition that the cases below break in one place each.
const minimal = `slug: test
title: Test
register: "2018"
scales:
  eens: [{code: nee, label: Nee}, {code: ja, label: Ja}]
sections:
  - title: Een
    questions:
      - code: gemeente
        kind: municipality
        text: Welke gemeente?
        required: true
      - code: aantal
        kind: number
        text: Hoeveel?
        min: 0
        max: 10
`

func TestBrokenDefinitionsNameFileLineAndProblem(t *testing.T) {
	cases := []struct {
		name, replace, with string
		wantLine            int
		wantText            string
	}{
		{"yaml syntax", "title: Test", "title: [Test", 0, "did not find expected"},
		{"unknown field", "title: Test", "title: Test\ncolour: blue", 3, "field colour not found"},
		{"missing title", "title: Test\n", "", 1, "title: dit veld ontbreekt"},
		{"bad kind", "kind: number", "kind: slider", 14, `"slider" is geen geldige waarde`},
		{"bad code", "code: aantal", "code: Aantal!", 13, "geen geldige code"},
		{"duplicate code", "code: aantal", "code: gemeente", 13, `code "gemeente" staat ook al bij`},
		{"min above max", "min: 0", "min: 20", 16, "min is groter dan max"},
		{"unknown scale", "      - code: aantal\n        kind: number\n        text: Hoeveel?\n        min: 0\n        max: 10\n",
			"      - code: st\n        kind: likert\n        text: Eens?\n        scale: oneens\n        statements: [{code: a, text: A}]\n", 16, `schaal "oneens" is niet gedefinieerd`},
		{"no municipality", "kind: municipality", "kind: text", 0, "precies één vraag van soort municipality"},
		{"empty file", minimal, "", 0, "het bestand is leeg"},
		{"profile not single", "        max: 10\n", "        max: 10\n        profile: true\n", 18, "profile: true kan alleen bij een vraag van soort single"},
		{"wrong type", "max: 10", "max: tien", 17, "cannot unmarshal"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimal, tc.replace, tc.with, 1)
			_, err := ParseDefinition("enquete.yaml", []byte(src))
			var de *DefinitionError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a DefinitionError", err)
			}
			if !strings.HasPrefix(err.Error(), "enquete.yaml") || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %q lacks the file or %q", err, tc.wantText)
			}
			if tc.wantLine != 0 && de.Line != tc.wantLine {
				t.Errorf("line %d, want %d (%s)", de.Line, tc.wantLine, err)
			}
		})
	}
	if _, err := ParseDefinition("ok.yaml", []byte(minimal)); err != nil {
		t.Fatalf("the minimal definition itself: %v", err)
	}
}

func TestOversizedAndDeeplyNestedDefinitionsAreRefused(t *testing.T) {
	big := minimal + "# " + strings.Repeat("x", MaxDefinitionBytes)
	if _, err := ParseDefinition("groot.yaml", []byte(big)); err == nil || !strings.Contains(err.Error(), "groter dan") {
		t.Errorf("oversized file: %v", err)
	}
	deep := "slug: " + strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	if _, err := ParseDefinition("diep.yaml", []byte(deep)); err == nil {
		t.Error("a deeply nested file was accepted")
	}
	aliases := "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
	if _, err := ParseDefinition("bom.yaml", []byte(aliases)); err == nil {
		t.Error("an alias bomb was accepted")
	}
}
