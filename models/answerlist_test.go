package models

import "testing"

// TestParseAnswerListReadsSQLiteAndPostgreSQLJSON: both databases' JSON, escapes, nulls.
func TestParseAnswerListReadsSQLiteAndPostgreSQLJSON(t *testing.T) {
	for _, list := range []string{
		`[["afdeling","","anders","Info \"beheer\"\r\n🎉",null],["aantal","","","",37.5],["leeg",null,"","",-1e3]]`,
		`[["afdeling", "", "anders", "Info \"beheer\"\r\n\ud83c\udf89", null], ` + "\n" + ` ["aantal", "", "", "", 37.5], ["leeg", null, "", "", -1000]]`,
	} {
		var numbers []float64
		got, err := parseAnswerList(list, nil, &numbers)
		if err != nil {
			t.Fatalf("%s: %v", list, err)
		}
		if len(got) != 3 || got[0].Question != "afdeling" || got[0].Option != "anders" || got[0].Text != "Info \"beheer\"\r\n🎉" || got[0].Number != nil ||
			got[1].Number == nil || *got[1].Number != 37.5 || got[2].Item != "" || got[2].Number == nil || *got[2].Number != -1000 {
			t.Errorf("%s: %+v", list, got)
		}
	}
	if got, err := parseAnswerList(`[]`, nil, new([]float64)); err != nil || len(got) != 0 {
		t.Errorf("empty list: %v %v", got, err)
	}
	for _, bad := range []string{``, `[[`, `[["a","b","c","d"]]`, `[["a","b","c","d",1]`, `[["a","b","c","d,1]]`} {
		if _, err := parseAnswerList(bad, nil, new([]float64)); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
