package models

import (
	"bytes"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// allKinds has one question of every kind, all required, for the rules below.
const allKinds = `slug: soorten
title: Alle soorten
register: "2018"
scales:
  eens: [{code: oneens, label: Oneens}, {code: neutraal, label: Neutraal}, {code: eens, label: Eens}]
sections:
  - title: Alles
    questions:
      - {code: gemeente, kind: municipality, text: "Welke gemeente?", required: true}
      - code: afdeling
        kind: single
        text: Afdeling?
        required: true
        dont_know: true
        options: [{code: a, label: A}, {code: b, label: B}, {code: anders, label: Anders, other: true}]
      - code: plannen
        kind: multi
        text: Plannen?
        required: true
        options: [{code: x, label: X}, {code: y, label: Y}, {code: anders, label: Anders, other: true}]
      - code: stellingen
        kind: likert
        text: Eens?
        required: true
        scale: eens
        dont_know: true
        statements: [{code: s1, text: Een}, {code: s2, text: Twee}]
      - {code: toelichting, kind: text, text: "Toelichting?", required: true, max_length: 10}
      - {code: fte, kind: number, text: "Hoeveel fte?", required: true, min: 0, max: 500, unit: fte}
      - {code: teams, kind: number, text: "Hoeveel teams?", integer: true}
`

func testRegister(t testing.TB) *Register {
	data, err := defaults.ReadFile(DefaultRegisters["2018"])
	if err != nil {
		t.Fatal(err)
	}
	list, err := ReadRegisterCSV("2018", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return NewRegister("2018", list)
}

func mustParse(t testing.TB, src string) *Definition {
	def, err := ParseDefinition("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return def
}

func validForm() url.Values {
	return url.Values{"gemeente": {"utrecht"}, "afdeling": {"anders"}, "afdeling.anders": {"Juridisch"}, "plannen": {"y", "x"},
		"stellingen.s1": {"eens"}, "stellingen.s2": {"weet_niet"}, "toelichting": {" kort \r\n"}, "fte": {"12,5"}, "teams": {"3"}}
}

func TestReadSectionAcceptsEveryKind(t *testing.T) {
	def, reg := mustParse(t, allKinds), testRegister(t)
	answers, problems := def.ReadSection(0, validForm(), reg, true)
	if len(problems) > 0 {
		t.Fatalf("problems: %+v", problems)
	}
	var got []string
	for _, a := range answers {
		s := a.Question + "/" + a.Item + "/" + a.Option + "/" + a.Text
		if a.Number != nil {
			s += "/" + FormatNumber(*a.Number)
		}
		got = append(got, s)
	}
	want := []string{"gemeente//0344/Utrecht", "afdeling//anders/Juridisch", "plannen//x/", "plannen//y/",
		"stellingen/s1/eens/", "stellingen/s2/weet_niet/", "toelichting///kort", "fte////12,5", "teams////3"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("answers\n got %q\nwant %q", got, want)
	}
}

func TestReadSectionRules(t *testing.T) {
	def, reg := mustParse(t, allKinds), testRegister(t)
	cases := []struct {
		name, field string
		value       []string
		wantField   string
		wantCode    string // the code, then name=value of some of its arguments
	}{
		{"municipality required", "gemeente", nil, "gemeente", "municipality_required"},
		{"municipality unknown", "gemeente", []string{"Gotham"}, "gemeente", "municipality_unknown Input=Gotham"},
		{"municipality by CBS code", "gemeente", []string{"0344"}, "", ""},
		{"single required", "afdeling", nil, "afdeling", "choose_answer Question=Afdeling?"},
		{"single unknown code", "afdeling", []string{"z"}, "afdeling", "choose_listed"},
		{"single weet niet allowed", "afdeling", []string{"weet_niet"}, "", ""},
		{"multi required", "plannen", nil, "plannen", "choose_at_least_one"},
		{"multi unknown code", "plannen", []string{"x", "q"}, "plannen", "choose_only_listed"},
		{"likert unknown code", "stellingen.s1", []string{"5"}, "stellingen.s1", "choose_listed"},
		{"likert required", "stellingen.s2", nil, "stellingen.s2", "rate_statement Statement=Twee"},
		{"text too long", "toelichting", []string{"elf tekens!"}, "toelichting", "text_too_long Length=11 Max=10"},
		{"text required", "toelichting", []string{"   "}, "toelichting", "text_required"},
		{"number not a number", "fte", []string{"twaalf"}, "fte", "number_invalid"},
		{"number below min", "fte", []string{"-1"}, "fte", "number_min Min=0"},
		{"number above max", "fte", []string{"500,5"}, "fte", "number_max Max=500"},
		{"number Dutch thousands", "fte", []string{"1.200"}, "", ""},
		{"integer with decimals", "teams", []string{"2,5"}, "teams", "number_whole"},
		{"number infinity", "fte", []string{"Inf"}, "fte", "number_invalid"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := validForm()
			if tc.name == "number Dutch thousands" {
				form.Set("fte", "400")
				form.Set("teams", "1.200")
				tc.field = "teams"
			} else if tc.value == nil {
				form.Del(tc.field)
				form.Del(tc.field + ".anders") // no "Anders" text left over without "Anders"
			} else {
				form[tc.field] = tc.value
				form.Del(tc.field + ".anders")
			}
			_, problems := def.ReadSection(0, form, reg, true)
			if tc.wantField == "" {
				if len(problems) > 0 {
					t.Fatalf("unexpected problems %+v", problems)
				}
				return
			}
			if len(problems) != 1 || problems[0].Field != tc.wantField || !strings.HasPrefix(describeProblem(problems[0]), tc.wantCode) {
				t.Fatalf("problems %+v, want one on %s: %q", problems, tc.wantField, tc.wantCode)
			}
		})
	}
	form := validForm()
	form.Del("afdeling.anders")
	if _, ps := def.ReadSection(0, form, reg, true); len(ps) != 1 || ps[0].Field != "afdeling.anders" {
		t.Errorf("anders without text: %+v", ps)
	}
	if _, ps := def.ReadSection(0, url.Values{}, reg, false); len(ps) != 0 {
		t.Errorf("saving for later an empty page: %+v", ps)
	}
}

// FuzzReadSection feeds arbitrary form bodies to the answer reader: it must never panic,
// never accept an answer outside the definition, and what it accepts must read back the same.
func FuzzReadSection(f *testing.F) {
	def, reg := mustParse(f, allKinds), testRegister(f)
	f.Add(validForm().Encode(), true)
	f.Add("gemeente=Ede&afdeling=a&plannen=x&plannen=x&stellingen.s1=neutraal", false)
	f.Add("afdeling=anders&afdeling.anders=%ff%fe&fte=1e308&teams=1e308", true)
	f.Add("toelichting=%F0%9F%8E%89%F0%9F%8E%89&fte=1.2.3,4", false)
	f.Fuzz(func(t *testing.T, body string, strict bool) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		answers, problems := def.ReadSection(0, form, reg, strict)
		if len(problems) > 0 {
			return
		}
		perQuestion := map[string]int{}
		for _, a := range answers {
			perQuestion[a.Question+"/"+a.Item]++
			if !utf8.ValidString(a.Text) || utf8.RuneCountInString(a.Text) > DefaultTextLimit || strings.ContainsFunc(a.Text, forbiddenControl) {
				t.Fatalf("accepted text %q", a.Text)
			}
			q := questionByCode(def, a.Question)
			if q == nil {
				t.Fatalf("answer to unknown question %q", a.Question)
			}
			switch q.Kind {
			case KindSingle, KindLikert, KindMulti:
				if _, ok := findOption(q.Choices(), a.Option); !ok {
					t.Fatalf("accepted option %q for %s", a.Option, q.Code)
				}
			}
		}
		for key, n := range perQuestion {
			if n > 1 && !strings.HasPrefix(key, "plannen/") {
				t.Fatalf("%d answers to %s", n, key)
			}
		}
		again, problems := def.ReadSection(0, def.Values(answers), reg, false)
		if len(problems) > 0 || !reflect.DeepEqual(stripIDs(again), stripIDs(answers)) {
			t.Fatalf("round trip changed the answers:\n%+v\n%+v\n%+v", answers, again, problems)
		}
	})
}

func questionByCode(def *Definition, code string) *Question {
	for _, q := range def.Questions() {
		if q.Code == code {
			return q
		}
	}
	return nil
}

func stripIDs(as []Answer) []string {
	var out []string
	for _, a := range as {
		s := a.Question + "|" + a.Item + "|" + a.Option + "|" + a.Text
		if a.Number != nil {
			s += "|" + FormatNumber(*a.Number)
		}
		out = append(out, s)
	}
	return out
}

func TestReadSectionAsksAboutTextAtAndersWithoutAnders(t *testing.T) {
	def, reg := mustParse(t, allKinds), testRegister(t)
	for _, lenient := range []bool{false, true} {
		form := validForm()
		form.Set("afdeling", "a")
		form.Set("afdeling.anders", "Informatiebeheer")
		_, problems := def.ReadSection(0, form, reg, !lenient)
		if len(problems) != 1 || problems[0].Field != "afdeling.anders" || describeProblem(problems[0]) != "other_not_chosen Question=Afdeling?" {
			t.Errorf("strict %v: problems %+v", !lenient, problems)
		}
	}
}

// describeProblem writes a problem's code and arguments as "code Name=value …".
func describeProblem(p Problem) string {
	out := p.Code
	for i := 0; i+1 < len(p.Args); i += 2 {
		out += fmt.Sprintf(" %v=%v", p.Args[i], p.Args[i+1])
	}
	return out
}
