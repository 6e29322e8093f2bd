package models

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

const bilingual = `slug: tweetalig
title: {nl: Tweetalig, en: Bilingual}
register: "2018"
scales:
  eens2:
    - {code: oneens, label: {nl: Oneens, en: Disagree}}
    - {code: eens, label: Eens}
sections:
  - title:
      nl: Over u
      en: About you
    questions:
      - {code: gemeente, kind: municipality, text: {nl: "Welke gemeente?", en: "Which municipality?"}, required: true}
      - code: stelling
        kind: likert
        text: {nl: "Eens?", en: "Agree?"}
        scale: eens2
        statements:
          - {code: s1, text: {nl: Goed, en: Good}}
      - code: fte
        kind: number
        text: Hoeveel?
        unit: {nl: uur, en: hours}
`

func TestTextsPerLanguage(t *testing.T) {
	def, err := ParseDefinition("tweetalig.yaml", []byte(bilingual))
	if err != nil {
		t.Fatal(err)
	}
	if def.Title != "Tweetalig" || def.Sections[0].Title != "Over u" {
		t.Fatalf("the plain fields are not Dutch: %q, %q", def.Title, def.Sections[0].Title)
	}
	en := def.In("en")
	q := en.Sections[0].Questions
	for _, tc := range []struct{ got, want string }{
		{en.Title, "Bilingual"},
		{en.Sections[0].Title, "About you"},
		{q[0].Text, "Which municipality?"},
		{q[1].Statements[0].Text, "Good"},
		{q[1].Choices()[0].Label, "Disagree"},
		{q[1].Choices()[1].Label, "Eens"}, // not translated: Dutch
		{q[2].Text, "Hoeveel?"},
		{q[2].Unit, "hours"},
		{en.Lang(), "en"},
		{def.Title, "Tweetalig"}, // In leaves the original alone
		{def.Sections[0].Questions[1].Choices()[0].Label, "Oneens"},
		{def.In("fy").Title, "Tweetalig"}, // a language the survey lacks: Dutch
		{def.In("fy").Lang(), "nl"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	if got := def.Languages(); len(got) != 1 || got[0] != "en" {
		t.Errorf("languages %v", got)
	}
	out, err := MarshalDefinition(def)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "en: Bilingual") {
		t.Errorf("marshalled without the English:\n%s", out)
	}
	again, err := ParseDefinition("again.yaml", out)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if again.In("en").Sections[0].Questions[1].Choices()[0].Label != "Disagree" {
		t.Errorf("round trip lost a translation:\n%s", out)
	}
	if _, ok := textOnlyChanges(def, again); !ok {
		t.Error("a round trip changed the shape")
	}
	changed, _ := def.Clone()
	changed.Sections[0].Translations["en"]["title"] = "About yourself"
	if texts, ok := textOnlyChanges(def, changed); !ok || len(texts) != 1 || !strings.Contains(texts[0], "sections[0].title (en)") {
		t.Errorf("an English correction: %v, %v", texts, ok)
	}
}

func TestTextsPerLanguageRules(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"no Dutch", "title: {nl: Tweetalig, en: Bilingual}", "title: {en: Bilingual}", "nl:"},
		{"a code per language", "code: fte", "code: {nl: fte, en: fte}", "alleen teksten"},
		{"an unknown field", "unit: {nl: uur, en: hours}", "unit: {nl: uur, en: hours}\n        colour: blue", "field colour not found"},
		{"a translation too long", "en: hours}", "en: " + strings.Repeat("h", 10001) + "}", "te lang"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDefinition("x.yaml", []byte(strings.Replace(bilingual, tc.from, tc.to, 1)))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one with %q", err, tc.want)
			}
		})
	}
}

func TestNumbersAreReadByTheLanguage(t *testing.T) {
	for _, tc := range []struct{ in, lang, sep, want string }{
		{"1.200", "nl", "", "1200"},
		{"3,5", "nl", "", "3.5"},
		{"1,200", "en", "", "1200"},
		{"1,234.5", "en", "", "1234.5"},
		{"3.5", "en", "", "3.5"},
		{"3,5", "en", "", "3.5"},
		{"1.200", "fy", ",", "1200"}, // the catalogue's separator (WithDecimal) decides
		{"1,200", "fy", ".", "1200"},
	} {
		if got := normaliseNumber(tc.in, decimalOf(tc.lang, tc.sep)); got != tc.want {
			t.Errorf("%s in %s: %q, want %q", tc.in, tc.lang, got, tc.want)
		}
	}
}

// TestResultsBreakDownByLanguage: a bilingual survey offers the breakdown by the language
// the responses were given in; its groups add up to everyone, per question and option.
func TestResultsBreakDownByLanguage(t *testing.T) {
	db, s := articleWithOverleg(t)
	def, _ := s.Def()
	if !slices.Contains(Breakdowns(def), DimLanguage) {
		t.Fatalf("breakdowns %v lack %s", Breakdowns(def), DimLanguage)
	}
	if err := db.Write.Exec(`UPDATE responses SET lang = 'en' WHERE survey_id = ? AND id % 3 = 0`, s.ID).Error; err != nil {
		t.Fatal(err)
	}
	var english int64
	db.Read.Model(&Response{}).Where("survey_id = ? AND status = ? AND lang = 'en'", s.ID, ResponseSubmitted).Count(&english)
	for _, f := range []*Filter{nil, {Dim: DimLanguage, Value: "en"}} {
		key := "test-taal"
		if f != nil {
			key += "-en"
		}
		for _, st := range sliceSteps(dialectOf(db.Write), s, def, key, DimLanguage, f, true) {
			if err := db.Write.Exec(st.sql, st.args...).Error; err != nil {
				t.Fatal(err)
			}
		}
		var groups []countRow
		db.Read.Raw(`SELECT grp, SUM(n) AS n FROM slice_counts WHERE slice = ? AND question = '' GROUP BY grp`, key).Scan(&groups)
		got := map[string]int64{}
		for _, g := range groups {
			got[g.Grp] = g.N
		}
		want := map[string]int64{"en": english, "nl": 119 - english}
		if f != nil {
			want = map[string]int64{"en": english}
		}
		if english == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("filter %v: respondents per language %v, want %v", f, got, want)
		}
	}
	var byLang, all []countRow
	db.Read.Raw(`SELECT question, item, option, SUM(n) AS n FROM slice_counts WHERE slice = 'test-taal' AND question <> '' GROUP BY question, item, option`).Scan(&byLang)
	db.Read.Raw(`SELECT question, item, option, n FROM aggregates WHERE survey_id = ? AND dimension = ? AND question <> ''`, s.ID, DimAll).Scan(&all)
	if len(all) == 0 || !reflect.DeepEqual(sortedRows(byLang), sortedRows(all)) {
		t.Errorf("the languages' counts (%d rows) do not add up to everyone's (%d rows)", len(byLang), len(all))
	}
	if slices.Contains(Breakdowns(mustParse(t, allKinds)), DimLanguage) {
		t.Error("a survey in Dutch only offers a breakdown by language")
	}
}
