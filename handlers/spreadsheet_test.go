package handlers

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"peiling/models"
)

// openXLSX reads an XLSX export back.
func openXLSX(t *testing.T, body string) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("xlsx does not open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// clashSurvey has question codes that clash as sheet names: two of 40 characters that share
// their first 31, one named after the codebook sheet and one after Excel's reserved sheet.
const clashSurvey = `slug: botsen
title: Botsen
register: "2018"
sections:
  - title: Vragen
    questions:
      - code: gemeente
        kind: municipality
        text: Voor welke gemeente vult u deze peiling in?
        required: true
      - code: kanalen_voor_klantcontact_in_2018_eerste
        kind: single
        text: Eerste vraag met een lange code
        options: [{code: ja, label: Ja}, {code: nee, label: Nee}]
      - code: kanalen_voor_klantcontact_in_2018_tweede
        kind: single
        text: Tweede vraag met een lange code
        options: [{code: ja, label: Ja}, {code: nee, label: Nee}]
      - code: codeboek
        kind: single
        text: Een vraag die codeboek heet
        options: [{code: ja, label: Ja}, {code: nee, label: Nee}]
      - code: history
        kind: single
        text: Een vraag die history heet
        options: [{code: ja, label: Ja}, {code: nee, label: Nee}]
`

func TestXLSXSheetNamesNeverCollide(t *testing.T) {
	app := newTestApp(t)
	def, err := models.ParseDefinition("botsen.yaml", []byte(clashSurvey))
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.ImportSurvey(app.db.Write, def, models.StatusOpen)
	if err != nil {
		t.Fatal(err)
	}
	answers := []models.Answer{{Question: "kanalen_voor_klantcontact_in_2018_eerste", Option: "ja"},
		{Question: "kanalen_voor_klantcontact_in_2018_tweede", Option: "nee"}, {Question: "codeboek", Option: "ja"}, {Question: "history", Option: "nee"}}
	if err := models.InsertSubmitted(app.db.Write, s, []models.SeededResponse{{Answers: answers}}); err != nil {
		t.Fatal(err)
	}
	if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	f := openXLSX(t, app.asResearcher().get("/admin/surveys/botsen/export/peiling.xlsx").Body)
	titles := map[string]string{}
	seen := map[string]bool{}
	for _, name := range f.GetSheetList() {
		if len([]rune(name)) > 31 {
			t.Errorf("sheet name %q is longer than 31 characters", name)
		}
		if seen[strings.ToLower(name)] {
			t.Errorf("sheet name %q twice (ignoring case)", name)
		}
		seen[strings.ToLower(name)] = true
		title, _ := f.GetCellValue(name, "A1")
		titles[title] = name
	}
	for _, q := range []string{"Eerste vraag met een lange code", "Tweede vraag met een lange code", "Een vraag die codeboek heet", "Een vraag die history heet"} {
		if titles[q] == "" {
			t.Errorf("no sheet for %q; sheets: %v", q, f.GetSheetList())
		}
	}
	if titles["Een vraag die history heet"] == "history" || titles["Een vraag die codeboek heet"] == "codeboek" {
		t.Errorf("a question took a reserved sheet name: %v", titles)
	}
	if head, _ := f.GetCellValue("Codeboek", "A1"); head != "kolom" {
		t.Errorf("the codebook sheet was overwritten: A1 = %q", head)
	}
}

func TestXLSXKeepsTextAsTextAndCountsAsNumbers(t *testing.T) {
	app := newTestApp(t)
	submitKnownSet(t, app)
	f := openXLSX(t, app.asResearcher().get("/admin/surveys/"+refSlug+"/export/peiling.xlsx").Body)
	rows, _ := f.GetRows("Ruwe data")
	cols := map[string]int{}
	for i, name := range rows[0] {
		cols[name] = i
	}
	// A formula-like text is stored as typed and carries the quote-prefix style.
	found := false
	for i, r := range rows[1:] {
		if cols["kc_concreet"] >= len(r) || r[cols["kc_concreet"]] != tricky[2] {
			continue
		}
		found = true
		cell, _ := excelize.CoordinatesToCellName(cols["kc_concreet"]+1, i+2)
		style, err := f.GetCellStyle("Ruwe data", cell)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.GetStyle(style); err != nil { // loads the style sheet
			t.Fatal(err)
		}
		if xf := f.Styles.CellXfs.Xf[style]; xf.QuotePrefix == nil || !*xf.QuotePrefix {
			t.Errorf("%s holds a formula-like text without the quote-prefix style", cell)
		}
	}
	if !found {
		t.Errorf("no cell holds %q as typed (without an apostrophe)", tricky[2])
	}
	// Submission times are date-time cells in Amsterdam time.
	cell, _ := excelize.CoordinatesToCellName(cols["ingediend"]+1, 2)
	raw, _ := f.GetCellValue("Ruwe data", cell, excelize.Options{RawCellValue: true})
	shown, _ := f.GetCellValue("Ruwe data", cell)
	if strings.Contains(raw, "T") || strings.Contains(raw, "Z") || !strings.Contains(raw, ".") {
		t.Errorf("ingediend is no date-time number: raw %q", raw)
	}
	if _, err := time.Parse("02-01-2006 15:04:05", shown); err != nil {
		t.Errorf("ingediend shows as %q, not dd-mm-jjjj uu:mm:ss", shown)
	}
	// Per-question sheet: labels, counts as numbers, percentages as percentage cells.
	sheet, _ := f.GetRows("kc_plannen")
	if len(sheet) < 4 || sheet[0][0] != "Wat wil uw gemeente in 2018 doen op het gebied van klantcontact?" || sheet[3][1] != "De basis van het klantcontact op orde brengen" {
		t.Fatalf("kc_plannen sheet has no labels: %v", sheet)
	}
	if typ, _ := f.GetCellType("kc_plannen", "C4"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Error("a count is stored as text")
	}
	if raw, _ := f.GetCellValue("kc_plannen", "D4", excelize.Options{RawCellValue: true}); !strings.HasPrefix(raw, "0.") {
		t.Errorf("percentage cell holds %q, want a fraction", raw)
	}
	likert, _ := f.GetRows("kc_stellingen")
	heads := map[string]bool{}
	for _, h := range likert[2] {
		if heads[h] {
			t.Errorf("column %q twice on the likert sheet", h)
		}
		heads[h] = true
	}
	for _, want := range []string{"Helemaal eens (%)", "samen Enigszins eens of helemaal eens (%)", "samen Neutraal (%)"} {
		if !heads[want] {
			t.Errorf("likert sheet lacks column %q: %v", want, likert[2])
		}
	}
}

func TestNumberQuestionInExportsHasUnitMeanAndMedianWithoutFloatNoise(t *testing.T) {
	app := newTestApp(t)
	rs := countingResponses()
	rs[0].Answers[2].Number = num(0.1) // saldo 0.1, 0.2, 0.2: a mean of 0.16666666666666666, median 0.2
	rs[1].Answers[1].Number = num(0.2)
	rs[2].Answers[0].Number = num(0.2)
	closedCountingSurvey(t, app, rs)
	res := app.asResearcher()
	f := openXLSX(t, res.get("/admin/surveys/tellen/export/peiling.xlsx").Body)
	sheet, _ := f.GetRows("saldo")
	if len(sheet) < 6 || !strings.Contains(sheet[0][0], "(miljoen euro)") || sheet[4][0] != "gemiddelde" || sheet[5][0] != "mediaan" || sheet[5][1] != "0.2" {
		t.Errorf("saldo sheet = %v", sheet)
	}
	book := res.get("/admin/surveys/tellen/export/codeboek.csv").Body
	if !strings.Contains(book, "saldo,saldo,getal,,Wat was het saldo van het klantcontactcentrum? (miljoen euro)") {
		t.Errorf("codebook lacks the unit: %s", book)
	}
	body := res.get("/admin/surveys/tellen/export/resultaten.json").Body
	var doc struct {
		Questions []struct {
			Code, Unit string
			Total      *struct{ Mean, Median, Min, Max *float64 }
		}
	}
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, q := range doc.Questions {
		if q.Code == "saldo" && (q.Unit != "miljoen euro" || q.Total.Median == nil || *q.Total.Median != 0.2 || *q.Total.Min != 0.1) {
			t.Errorf("JSON saldo = %+v", q.Total)
		}
	}
	if strings.Contains(body, "0.16666666666666666") || !strings.Contains(body, "0.166666666666667") {
		t.Errorf("JSON mean carries float noise: %s", body[strings.Index(body, `"mean"`):][:40])
	}
}

func TestCSVCodesAndTimesSurviveDutchExcel(t *testing.T) {
	app := newTestApp(t)
	before := time.Now()
	set := submitKnownSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/export/"
	cols, rows := readCSV(t, res.get(base+"antwoorden-excel.csv").Body, ';')
	want := byMunicipality(set)
	for _, r := range rows {
		code := r[cols["gemeente"]]
		if _, ok := want[code]; !ok || r[cols["gemeente_gm"]] != "GM"+code {
			t.Errorf("gemeente %q has GM code %q", code, r[cols["gemeente_gm"]])
		}
		at, err := time.ParseInLocation("02-01-2006 15:04:05", r[cols["ingediend"]], amsterdam)
		if err != nil || at.Before(before.Add(-time.Second)) || at.After(time.Now()) {
			t.Errorf("ingediend %q is no Amsterdam date-time of the submission (%v)", r[cols["ingediend"]], err)
		}
	}
	cols, rows = readCSV(t, res.get(base+"antwoorden.csv").Body, ',')
	if at, err := time.Parse(time.RFC3339, rows[0][cols["ingediend"]]); err != nil || at.Format("-07:00") != time.Now().In(amsterdam).Format("-07:00") {
		t.Errorf("plain CSV time %q is not ISO 8601 in Amsterdam time", rows[0][cols["ingediend"]])
	}
	// Only texts a spreadsheet would evaluate get an apostrophe.
	for _, r := range rows {
		switch v := r[cols["kc_concreet"]]; {
		case strings.HasPrefix(v, "'-geen-"), v == "'-":
			t.Errorf("%q was neutralised although no spreadsheet evaluates it", v)
		}
	}
	_, book := readCSV(t, res.get(base+"codeboek-excel.csv").Body, ';')
	dutch := map[string]bool{"volgnummer": true, "datum en tijd": true, "gemeentecode": true, "gemeentenaam": true, "provincie": true, "grootteklasse": true,
		"één antwoord": true, "meer antwoorden (0/1)": true, "stelling": true, "open antwoord": true, "getal": true, "toelichting": true, "taal": true}
	for _, r := range book {
		if !dutch[r[2]] {
			t.Errorf("codebook soort %q of %s is not one of the Dutch kinds", r[2], r[0])
		}
	}
}
