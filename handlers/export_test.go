package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// table reads a CSV export back: header → column index, then the rows.
func readCSV(t *testing.T, body string, sep rune) (map[string]int, [][]string) {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma = sep
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatalf("export is no valid CSV: %v", err)
	}
	cols := map[string]int{}
	for i, name := range rows[0] {
		cols[name] = i
	}
	return cols, rows[1:]
}

// byMunicipality indexes the generated set by CBS code.
func byMunicipality(set []respondent) map[string]respondent {
	out := map[string]respondent{}
	for _, r := range set {
		out[r.Municipality.Code] = r
	}
	return out
}

// formulas are the tricky texts a spreadsheet would evaluate; "-geen-" and "-" it would not.
var formulas = map[string]bool{`=HYPERLINK("http://evil.example","klik")`: true, "+31 6 12345678": true, "@SUM(A1:A2)": true, "-1+1": true}

// neutralised is how a text must appear in a CSV export: with an apostrophe only where a
// spreadsheet would evaluate it.
func neutralised(s string) string {
	if formulas[s] {
		return "'" + s
	}
	return s
}

// asIs is how a text must appear in an XLSX export: unchanged (its cell style keeps it text).
func asIs(s string) string { return s }

// checkRawRows compares every exported row with the respondent it came from; texts must
// read as text(s).
func checkRawRows(t *testing.T, name string, set []respondent, cols map[string]int, rows [][]string, text func(string) string) {
	t.Helper()
	if len(rows) != len(set) {
		t.Fatalf("%s: %d rows, want %d", name, len(rows), len(set))
	}
	want := byMunicipality(set)
	for _, row := range rows {
		r, ok := want[row[cols["gemeente"]]]
		if !ok {
			t.Fatalf("%s: row for unknown municipality %q", name, row[cols["gemeente"]])
		}
		if got := row[cols["afdeling"]]; got != r.Department {
			t.Errorf("%s: %s afdeling = %q, want %q", name, r.Municipality.Name, got, r.Department)
		}
		for _, code := range []string{"basis_op_orde", "sturing", "data_proactief"} {
			flag := "0"
			for _, p := range r.Plans {
				if p == code {
					flag = "1"
				}
			}
			// Everyone was shown the question: ticking nothing is 0, not empty.
			if got := row[cols["kc_plannen_"+code]]; got != flag {
				t.Errorf("%s: %s kc_plannen_%s = %q, want %q", name, r.Municipality.Name, code, got, flag)
			}
		}
		if got := row[cols["kc_stellingen_meer_samenwerken"]]; got != r.Together {
			t.Errorf("%s: %s likert = %q, want %q", name, r.Municipality.Name, got, r.Together)
		}
		if got := row[cols["kc_concreet"]]; got != text(r.Concrete) {
			t.Errorf("%s: %s kc_concreet = %q, want %q", name, r.Municipality.Name, got, text(r.Concrete))
		}
		if got := row[cols["kc_plannen_anders_tekst"]]; got != text(r.Other) {
			t.Errorf("%s: %s anders text = %q, want %q", name, r.Municipality.Name, got, text(r.Other))
		}
	}
}

func TestCSVExportsHoldEveryResponseNeutralised(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/export/"

	p := res.get(base + "antwoorden-excel.csv")
	if !strings.HasPrefix(p.Body, "\ufeffrespondent;") || !strings.HasPrefix(p.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("Dutch CSV starts %q (%s)", p.Body[:min(40, len(p.Body))], p.Header.Get("Content-Type"))
	}
	for _, formula := range []string{"=HYPERLINK", "+31", "@SUM"} {
		if strings.Contains(p.Body, ";"+formula) || strings.Contains(p.Body, ";\""+formula) {
			t.Errorf("a formula (%s) reached the Dutch CSV", formula)
		}
	}
	if lines := strings.Count(p.Body, "\n"); lines != strings.Count(p.Body, "\r\n") || lines < 2 {
		t.Errorf("Dutch CSV lines do not all end in CRLF (%d lines)", lines)
	}
	cols, rows := readCSV(t, p.Body, ';')
	checkRawRows(t, "antwoorden-excel.csv", set, cols, rows, neutralised)

	p = res.get(base + "antwoorden.csv")
	if strings.HasPrefix(p.Body, "\ufeff") {
		t.Error("the plain CSV has a BOM")
	}
	cols, rows = readCSV(t, p.Body, ',')
	checkRawRows(t, "antwoorden.csv", set, cols, rows, neutralised)

	p = res.get(base + "codeboek-excel.csv")
	_, book := readCSV(t, p.Body, ';')
	found := false
	for _, r := range book {
		if r[0] == "kc_stellingen_meer_samenwerken" && r[3] == "helemaal_eens" && r[4] == "Helemaal eens" {
			found = true
		}
	}
	if !found {
		t.Error("codebook lacks the likert scale values")
	}
	res.get(base+"codeboek.csv").mustContain(t, "kc_plannen_basis_op_orde,kc_plannen,meer antwoorden (0/1),1,aangekruist")
}

func TestXLSXExportHasRawDataCodebookAndAggregates(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	p := res.get("/admin/surveys/" + refSlug + "/export/peiling.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(p.Body)))
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("Ruwe data")
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]int{}
	for i, name := range rows[0] {
		cols[name] = i
	}
	for i := range rows[1:] { // GetRows drops trailing empty cells
		for len(rows[i+1]) < len(rows[0]) {
			rows[i+1] = append(rows[i+1], "")
		}
	}
	checkRawRows(t, "xlsx", set, cols, rows[1:], asIs)
	if _, err := f.GetRows("Codeboek"); err != nil {
		t.Error("no codebook sheet")
	}
	agg, err := f.GetRows("kc_plannen")
	if err != nil {
		t.Fatal(err)
	}
	e := expect(set, all)
	answered := e.n
	if agg[3][0] != "basis_op_orde" || agg[3][2] != strconv.Itoa(e.plans["basis_op_orde"]) || agg[3][3] != strconv.Itoa(halfUp(e.plans["basis_op_orde"], answered))+"%" {
		t.Errorf("kc_plannen sheet row = %v, want basis_op_orde %d = %d %%", agg[3], e.plans["basis_op_orde"], halfUp(e.plans["basis_op_orde"], answered))
	}
}

// resultsJSONDoc is the part of the aggregates JSON the tests read.
type resultsJSONDoc struct {
	Respondents  int `json:"respondents"`
	ResponseRate int `json:"response_rate_percent"`
	Breakdown    *struct {
		Groups []struct {
			Key    string `json:"key"`
			N      *int   `json:"n"`
			Hidden bool   `json:"hidden"`
		} `json:"groups"`
	} `json:"breakdown"`
	Questions []struct {
		Code  string `json:"code"`
		Total *struct {
			N       int `json:"n"`
			Options []struct {
				Code    string `json:"code"`
				Count   int    `json:"count"`
				Percent int    `json:"percent"`
			} `json:"options"`
		} `json:"total"`
		Statements []struct {
			Code  string `json:"code"`
			Total struct {
				N        int `json:"n"`
				DontKnow int `json:"dont_know"`
				Agree    int `json:"agree_percent"`
			} `json:"total"`
		} `json:"statements"`
	} `json:"questions"`
}

// checkResultsJSON compares an aggregates document with the generated set.
func checkResultsJSON(t *testing.T, body string, set []respondent) resultsJSONDoc {
	t.Helper()
	var doc resultsJSONDoc
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatalf("results JSON: %v: %.200s", err, body)
	}
	e := expect(set, all)
	if doc.Respondents != e.n || doc.ResponseRate != halfUp(e.n, 380) {
		t.Errorf("respondents %d (%d %%), want %d", doc.Respondents, doc.ResponseRate, e.n)
	}
	sc := make([]int, 5)
	for i, code := range scale {
		sc[i] = e.scale[code]
	}
	agree := hamilton([]int{sc[0] + sc[1], sc[2], sc[3] + sc[4]}, e.together)[2]
	for _, q := range doc.Questions {
		switch q.Code {
		case "kc_plannen":
			for _, o := range q.Total.Options {
				if o.Count != e.plans[o.Code] || o.Percent != halfUp(e.plans[o.Code], q.Total.N) {
					t.Errorf("json kc_plannen %s = %d (%d %%), want %d", o.Code, o.Count, o.Percent, e.plans[o.Code])
				}
			}
		case "kc_stellingen":
			st := q.Statements[0].Total
			if st.N != e.together || st.DontKnow != e.togetherDK || st.Agree != agree {
				t.Errorf("json meer_samenwerken = %+v, want n %d, weet niet %d, eens %d %%", st, e.together, e.togetherDK, agree)
			}
		}
	}
	return doc
}

func TestJSONExportsMatchTheKnownSet(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/export/"
	checkResultsJSON(t, res.get(base+"resultaten.json").Body, set)

	var raw []map[string]any
	if err := json.Unmarshal([]byte(res.get(base+"antwoorden.json").Body), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw) != len(set) {
		t.Fatalf("raw JSON: %d responses, want %d", len(raw), len(set))
	}
	want := byMunicipality(set)
	for _, obj := range raw {
		r := want[obj["gemeente"].(string)]
		if got, _ := obj["kc_concreet"].(string); got != r.Concrete { // JSON is data: not neutralised
			t.Errorf("raw JSON kc_concreet = %q, want %q", got, r.Concrete)
		}
	}

	// The breakdown by province in JSON hides Limburg and, as its complement, Utrecht.
	doc := checkResultsJSON(t, res.get(base+"resultaten.json?indeling=provincie").Body, set)
	for _, g := range doc.Breakdown.Groups {
		if hidden := g.Key == "Limburg" || g.Key == "Utrecht"; g.Hidden != hidden || (g.N == nil) != hidden {
			t.Errorf("group %s: hidden %v n %v", g.Key, g.Hidden, g.N)
		}
	}
	if p := res.get(base + "onbekend.csv"); p.Status != http.StatusNotFound {
		t.Errorf("unknown export: %d", p.Status)
	}
}

func TestAnonymisedExportsLeaveTheMunicipalityOut(t *testing.T) {
	app := newTestApp(t)
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug
	res.get(base + "/results")
	p := res.post(base+"/results/settings", url.Values{"min_groep": {"5"}, "anoniem": {"true"}})
	if p.Status != http.StatusOK {
		t.Fatalf("saving the setting: %d", p.Status)
	}
	cols, rows := readCSV(t, res.get(base+"/export/antwoorden.csv").Body, ',')
	if _, ok := cols["gemeente"]; ok {
		t.Error("the anonymised CSV still has the municipality code")
	}
	if _, ok := cols["gemeente_naam"]; ok {
		t.Error("the anonymised CSV still has the municipality name")
	}
	provinces := map[string]int{}
	for _, r := range rows {
		provinces[r[cols["provincie"]]]++
		for _, cell := range r {
			for _, who := range set {
				if cell == who.Municipality.Code || cell == who.Municipality.Name {
					t.Fatalf("the anonymised CSV names %s", cell)
				}
			}
		}
	}
	if provinces["Zuid-Holland"] != 20 || provinces["Limburg"] != 3 {
		t.Errorf("provinces in the anonymised CSV: %v", provinces)
	}
	body := res.get(base + "/export/antwoorden.json").Body
	for _, who := range set {
		if strings.Contains(body, `"`+who.Municipality.Code+`"`) {
			t.Fatalf("the anonymised JSON names %s", who.Municipality.Code)
		}
	}
	// The results page and its breakdowns do not depend on the raw municipality columns.
	res.get(base+"/results?indeling=provincie").mustContain(t, "Zuid-Holland")
}
