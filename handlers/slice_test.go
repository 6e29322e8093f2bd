package handlers

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"peiling/models"
)

// sliceRespondent is one respondent of the slicing set; every answer follows from its number.
type sliceRespondent struct {
	m       models.Municipality
	dept    string
	overleg string // "" when not answered
	plans   []string
}

// sliceSet loads 40 respondents (20 in Zuid-Holland, 12 in Noord-Brabant, 5 in Utrecht, 3 in
// Limburg, as knownSet) with an answer to "overleg" for three in four, and closes the survey.
func sliceSet(t *testing.T, app *testApp) []sliceRespondent {
	t.Helper()
	var out []sliceRespondent
	for _, w := range []struct {
		province string
		n        int
	}{{"Zuid-Holland", 20}, {"Noord-Brabant", 12}, {"Utrecht", 5}, {"Limburg", 3}} {
		var ms []models.Municipality
		if err := app.db.Read.Where("register = ? AND province = ?", "2018", w.province).Order("code").Limit(w.n).Find(&ms).Error; err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			out = append(out, sliceRespondent{m: m})
		}
	}
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	var seeded []models.SeededResponse
	for i := range out {
		r := &out[i]
		switch {
		case i%10 < 6:
			r.dept = "communicatie"
		case i%10 < 8:
			r.dept = "dienstverlening"
		case i%10 == 8:
			r.dept = "participatie"
		default:
			r.dept = "anders"
		}
		switch i % 4 {
		case 0:
			r.overleg = "ja"
		case 1, 2:
			r.overleg = "nee"
		}
		if i%5 != 0 {
			r.plans = append(r.plans, "basis_op_orde")
		}
		if i%2 == 0 {
			r.plans = append(r.plans, "sturing")
		}
		answers := []models.Answer{{Question: "gemeente", Option: r.m.Code}, {Question: "afdeling", Option: r.dept}}
		if r.dept == "anders" {
			answers[1].Text = "Informatiebeheer"
		}
		if r.overleg != "" {
			answers = append(answers, models.Answer{Question: "overleg", Option: r.overleg})
		}
		for _, p := range r.plans {
			answers = append(answers, models.Answer{Question: "kc_plannen", Option: p})
		}
		seeded = append(seeded, models.SeededResponse{Municipality: r.m.Code, SubmittedAt: time.Now().UTC(), Answers: answers})
	}
	if err := models.InsertSubmitted(app.db.Write, s, seeded); err != nil {
		t.Fatal(err)
	}
	app.closeSurvey()
	return out
}

func count(set []sliceRespondent, keep func(sliceRespondent) bool) int {
	n := 0
	for _, r := range set {
		if keep(r) {
			n++
		}
	}
	return n
}

func hasPlan(r sliceRespondent, plan string) bool {
	for _, p := range r.plans {
		if p == plan {
			return true
		}
	}
	return false
}

func TestBreakdownByAQuestionAndAFilterKeepSmallGroupsHidden(t *testing.T) {
	app := newTestApp(t)
	set := sliceSet(t, app)
	res := app.asResearcher()
	results := "/admin/surveys/" + refSlug + "/results"

	// A breakdown by the single-choice question "overleg", counted independently here.
	p := res.get(results + "?indeling=overleg")
	if p.Status != http.StatusOK {
		t.Fatalf("breakdown by overleg: %d", p.Status)
	}
	p.mustContain(t, `<option value="overleg" selected>`, "uitgesplitst naar heeft u voor het invullen overlegd")
	for _, g := range []struct{ key, label string }{{"ja", "Ja"}, {"nee", "Nee"}, {"", "Geen antwoord"}} {
		in := func(r sliceRespondent) bool { return r.overleg == g.key }
		n := count(set, in)
		basis := count(set, func(r sliceRespondent) bool { return in(r) && hasPlan(r, "basis_op_orde") })
		answered := count(set, func(r sliceRespondent) bool { return in(r) && len(r.plans) > 0 })
		p.mustContain(t, fmt.Sprintf("<th scope=\"row\">%s</th><td>%d</td>", g.label, n), fmt.Sprintf("%s (n = %d)", g.label, n))
		// A multi question's base is everyone shown it, also who ticked nothing.
		if !strings.Contains(p.Body, fmt.Sprintf("%d %% (%d)", halfUp(basis, n), basis)) {
			t.Errorf("overleg %s: basis op orde %d of %d not on the page", g.label, basis, n)
		}
		_ = answered
	}

	// A filter: only Communicatie. The total column is the filtered set.
	comm := func(r sliceRespondent) bool { return r.dept == "communicatie" }
	nComm := count(set, comm)
	p = res.get(results + "?filter=afdeling:communicatie")
	p.mustContain(t, fmt.Sprintf("<dt>Alleen</dt><dd>Afdeling: Communicatie: %d van de %d respondenten</dd>", nComm, len(set)),
		fmt.Sprintf("Totaal (n = %d)", nComm), `<option value="afdeling:communicatie" selected>`)

	// Filter and breakdown together. Without the filter Limburg (3) is too small and Utrecht
	// (5) goes as its complement; with it, Noord-Brabant (8 of 12 in Communicatie) is hidden
	// too: the 4 others would follow from the unfiltered Noord-Brabant minus this one.
	p = res.get(results + "?indeling=provincie&filter=afdeling:communicatie")
	inZH := count(set, func(r sliceRespondent) bool { return comm(r) && r.m.Province == "Zuid-Holland" })
	inNB := count(set, func(r sliceRespondent) bool { return comm(r) && r.m.Province == "Noord-Brabant" })
	if inNB < 5 || 12-inNB >= 5 {
		t.Fatalf("the set no longer makes the case: %d of Noord-Brabant in Communicatie", inNB)
	}
	p.mustContain(t, fmt.Sprintf("<th scope=\"row\">Zuid-Holland</th><td>%d</td>", inZH),
		"<th scope=\"row\">Noord-Brabant</th><td>verborgen om terugrekenen te voorkomen</td>",
		hiddenRow("Utrecht", count(set, func(r sliceRespondent) bool { return comm(r) && r.m.Province == "Utrecht" })),
		hiddenRow("Limburg", count(set, func(r sliceRespondent) bool { return comm(r) && r.m.Province == "Limburg" })))

	// A filter on a group its own breakdown hides is not applied.
	for _, f := range []string{"provincie:Utrecht", "provincie:Limburg"} {
		p = res.get(results + "?filter=" + url.QueryEscape(f))
		p.mustContain(t, "is niet toegepast", fmt.Sprintf("Totaal (n = %d)", len(set)))
		if strings.Contains(p.Body, "<dt>Alleen</dt>") {
			t.Errorf("filter %s applied to a hidden group", f)
		}
	}

	// Size class: shown or refused exactly as the size breakdown hides it.
	big := func(r sliceRespondent) bool { return r.m.Population >= 100_000 }
	p = res.get(results + "?filter=grootte:e_ge100k")
	sizes := res.get(results + "?indeling=grootte")
	if regexp.MustCompile(`<th scope="row">100.000 inwoners of meer</th><td>[^0-9]`).MatchString(sizes.Body) {
		p.mustContain(t, "is niet toegepast")
	} else {
		p.mustContain(t, fmt.Sprintf("Gemeentegrootte: 100.000 inwoners of meer: %d van de %d respondenten", count(set, big), len(set)))
	}

	// Today's addresses keep working, and the chart of a filtered page downloads filtered.
	for _, d := range []string{"afdeling", "provincie", "grootte"} {
		if p := res.get(results + "?indeling=" + d); p.Status != http.StatusOK || !strings.Contains(p.Body, `<option value="`+d+`" selected>`) {
			t.Errorf("?indeling=%s: %d", d, p.Status)
		}
	}
	p = res.get(results + "?indeling=overleg&filter=afdeling:communicatie")
	p.mustContain(t, "/results/chart/kc_plannen.svg?filter=afdeling%3Acommunicatie&amp;indeling=overleg")
	svg := res.get("/admin/surveys/" + refSlug + "/results/chart/kc_plannen.svg?filter=afdeling%3Acommunicatie&indeling=overleg")
	if svg.Status != http.StatusOK || !strings.Contains(svg.Body, fmt.Sprintf("aan wie de vraag is gesteld, ook wie niets aankruiste (n = %d)", nComm)) {
		t.Errorf("filtered chart: %d\n%.600s", svg.Status, svg.Body)
	}
	// The public page keeps to the stored breakdowns.
	res.post(results+"/settings", url.Values{"min_groep": {"5"}})
	res.publish(t, false)
	pub := app.newClient().get("/r/" + refSlug + "?indeling=overleg&filter=afdeling:communicatie")
	pub.mustContain(t, fmt.Sprintf("Totaal (n = %d)", len(set)))
}

// crossCSV reads the counts block of a cross table export: the cells, with -1 for hidden.
func crossCSV(t *testing.T, body string, comma rune) (rows []string, cols []string, cells [][]int) {
	t.Helper()
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff")))
	r.Comma, r.FieldsPerRecord = comma, -1
	records, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := records[0]
	cols = head[1 : len(head)-1]
	for _, rec := range records[1:] {
		if rec[0] == "Totaal" || len(rec) < 2 {
			break
		}
		rows = append(rows, rec[0])
		var row []int
		for _, v := range rec[1 : len(rec)-1] {
			n, err := strconv.Atoi(v)
			if v == "verborgen" {
				n = -1
			} else if err != nil {
				t.Fatalf("cell %q", v)
			}
			row = append(row, n)
		}
		cells = append(cells, row)
	}
	return rows, cols, cells
}

// recomputable returns the hidden cells (-1) that follow from what is shown by elimination:
// each row and column sums to its margin, and every margin is taken as known, also of hidden
// groups (the totals of each question are public). A line with one unknown left gives it
// away; solving it can give away the next.
func recomputable(cells [][]int, rowSums, colSums []int) [][2]int {
	known := make([][]bool, len(cells))
	for i := range cells {
		known[i] = make([]bool, len(cells[i]))
		for j, v := range cells[i] {
			known[i][j] = v >= 0
		}
	}
	var found [][2]int
	for changed := true; changed; {
		changed = false
		for i := range cells {
			var unknown []int
			for j := range cells[i] {
				if !known[i][j] {
					unknown = append(unknown, j)
				}
			}
			if len(unknown) == 1 && rowSums[i] > 0 {
				known[i][unknown[0]], changed = true, true
				found = append(found, [2]int{i, unknown[0]})
			}
		}
		for j := range colSums {
			var unknown []int
			for i := range cells {
				if !known[i][j] {
					unknown = append(unknown, i)
				}
			}
			if len(unknown) == 1 && colSums[j] > 0 {
				known[unknown[0]][j], changed = true, true
				found = append(found, [2]int{unknown[0], j})
			}
		}
	}
	return found
}

func TestCrossTableHidesWhatBreakdownsHideAndNoHiddenCellCanBeRecomputed(t *testing.T) {
	app := newTestApp(t)
	set := sliceSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/kruistabel"
	if p := res.get(base); p.Status != http.StatusOK || !strings.Contains(p.Body, `<select class="select" id="kolom" name="kolom">`) {
		t.Fatalf("cross table form: %d", p.Status)
	}
	// The form offers two different dimensions to start with.
	res.last.mustContain(t, `name="rij"><option value="afdeling" selected>`, `<option value="overleg" selected>Heeft u`)
	if p := res.get(base + "?rij=overleg&kolom=overleg"); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("the same question twice: %d", p.Status)
	}
	p := res.get(base + "?rij=provincie&kolom=overleg")
	if p.Status != http.StatusOK {
		t.Fatalf("cross table: %d", p.Status)
	}
	zhJa := count(set, func(r sliceRespondent) bool { return r.m.Province == "Zuid-Holland" && r.overleg == "ja" })
	p.mustContain(t, "<caption>Provincie tegen Heeft u voor het invullen overlegd",
		fmt.Sprintf(`<td class="shade-%d">%d (%d %%)</td>`, shade(halfUp(zhJa, 20)), zhJa, halfUp(zhJa, 20)),
		"<th scope=\"row\">Limburg</th><td>–<span class=\"visually-hidden\"> niet getoond</span></td>", "kruistabel-excel.csv?kolom=overleg&amp;rij=provincie")
	p = res.get(base + "?rij=provincie&kolom=overleg&procent=kolom")
	ja := count(set, func(r sliceRespondent) bool { return r.overleg == "ja" })
	p.mustContain(t, fmt.Sprintf("%d (%d %%)", zhJa, halfUp(zhJa, ja)))

	provinces := []string{"Limburg", "Noord-Brabant", "Utrecht", "Zuid-Holland"} // as the breakdown lists them
	answers := []string{"ja", "nee", ""}
	for _, tc := range []struct{ name, query string }{
		{"all", "?rij=provincie&kolom=overleg"},
		{"communicatie", "?rij=provincie&kolom=overleg&filter=afdeling%3Acommunicatie"},
	} {
		keep := func(r sliceRespondent) bool { return tc.name == "all" || r.dept == "communicatie" }
		csvPage := res.get(base + "/kruistabel-excel.csv" + tc.query)
		if csvPage.Status != http.StatusOK {
			t.Fatalf("%s: CSV %d", tc.name, csvPage.Status)
		}
		rows, cols, cells := crossCSV(t, csvPage.Body, ';')
		if strings.Join(rows, ",") != strings.Join(provinces, ",") || strings.Join(cols, ",") != "Ja,Nee,Geen antwoord" {
			t.Fatalf("%s: rows %v, columns %v", tc.name, rows, cols)
		}
		rowSums, colSums := make([]int, len(rows)), make([]int, len(cols))
		shown, hidden := 0, 0
		for i, prov := range provinces {
			for j, a := range answers {
				n := count(set, func(r sliceRespondent) bool { return keep(r) && r.m.Province == prov && r.overleg == a })
				rowSums[i] += n
				colSums[j] += n
				if cells[i][j] < 0 {
					hidden++
					continue
				}
				shown++
				if cells[i][j] != n {
					t.Errorf("%s: %s × %q = %d, want %d", tc.name, prov, a, cells[i][j], n)
				}
			}
		}
		if shown == 0 || hidden == 0 {
			t.Fatalf("%s: %d cells shown, %d hidden: nothing to check", tc.name, shown, hidden)
		}
		// Limburg is hidden in the province breakdown, so here as well.
		if cells[0][0] >= 0 {
			t.Errorf("%s: Limburg shown", tc.name)
		}
		if got := recomputable(cells, rowSums, colSums); len(got) > 0 {
			t.Errorf("%s: hidden cells recomputable from what is shown: %v", tc.name, got)
		}
	}
	// The check is not vacuous: hiding only the small group (no complement) gives it away.
	naive := [][]int{{5, 10, 5}, {3, 6, 3}, {1, 3, 1}, {-1, -1, -1}}
	if got := recomputable(naive, []int{20, 12, 5, 3}, []int{10, 20, 10}); len(got) == 0 {
		t.Error("the check finds nothing in a table with one hidden row")
	}

	// The XLSX: counts as numbers, percentages as percentage cells, hidden cells as text.
	x := res.get(base + "/kruistabel.xlsx?rij=provincie&kolom=overleg")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue("Kruistabel", "B5"); v != strconv.Itoa(zhJa) {
		t.Errorf("xlsx B5 = %q, want %d", v, zhJa)
	}
	if typ, _ := f.GetCellType("Kruistabel", "B5"); typ == excelize.CellTypeSharedString || typ == excelize.CellTypeInlineString {
		t.Error("xlsx count stored as text")
	}
	if v, _ := f.GetCellValue("Kruistabel", "B2"); v != "verborgen" {
		t.Errorf("xlsx Limburg × Ja = %q, want verborgen", v)
	}
	rowsX, _ := f.GetRows("Kruistabel")
	pctRow := 0
	for i, r := range rowsX {
		if len(r) > 0 && strings.HasPrefix(r[0], "Rijpercentages") {
			pctRow = i + 5 // Zuid-Holland, the fourth row
		}
	}
	if v, _ := f.GetCellValue("Kruistabel", fmt.Sprintf("B%d", pctRow)); v != fmt.Sprintf("%d%%", halfUp(zhJa, 20)) {
		t.Errorf("xlsx row percentage = %q, want %d%%", v, halfUp(zhJa, 20))
	}
}

// hiddenRow is a hidden group's row in the table of groups, labelled with why: no one, too
// few, or hidden so that it cannot be recomputed.
func hiddenRow(label string, n int) string {
	why := "verborgen om terugrekenen te voorkomen"
	switch {
	case n == 0:
		why = "geen respondenten"
	case n < 5:
		why = "te klein (minder dan 5)"
	}
	return fmt.Sprintf("<th scope=\"row\">%s</th><td>%s</td>", label, why)
}

// TestABreakdownByAQuestionSaysItIsStillBeingComputed: closing starts counting every slice
// that involves a question in the background; until it is stored, the page says so at once
// (and shows everyone), the cross table and its download too, while the breakdowns of the
// tallies are there already. Then the same address shows the breakdown.
func TestABreakdownByAQuestionSaysItIsStillBeingComputed(t *testing.T) {
	app := newTestApp(t)
	gate := make(chan struct{})
	app.h.slices.gate, app.h.slices.wait = gate, 20*time.Millisecond
	set := sliceSet(t, app) // closes the survey, which starts the job; the gate holds it
	res := app.asResearcher()
	results := "/admin/surveys/" + refSlug + "/results"

	p := res.get(results + "?indeling=overleg&filter=afdeling:communicatie")
	if p.Status != http.StatusOK {
		t.Fatalf("while computing: %d", p.Status)
	}
	p.mustContain(t, "De indeling naar ‘Heeft u voor het invullen overlegd", "met het filter ‘Afdeling: Communicatie’ wordt nog berekend",
		fmt.Sprintf("Totaal (n = %d)", len(set)), `<option value="overleg" selected>`, `<option value="afdeling:communicatie" selected>`)
	cross := res.get(results + "/kruistabel?rij=provincie&kolom=overleg")
	cross.mustContain(t, "Deze kruistabel wordt nog berekend")
	if strings.Contains(cross.Body, "kruistabel.csv") {
		t.Error("a cross table still being computed offers its downloads")
	}
	file := res.get(results + "/kruistabel/kruistabel.csv?rij=provincie&kolom=overleg")
	if file.Status != http.StatusServiceUnavailable || file.Header.Get("Retry-After") == "" {
		t.Errorf("download while computing: %d, Retry-After %q", file.Status, file.Header.Get("Retry-After"))
	}
	if svg := res.get(results + "/chart/kc_plannen.svg?indeling=overleg"); svg.Status != http.StatusServiceUnavailable {
		t.Errorf("chart download while computing: %d", svg.Status)
	}
	// Department, province and size class come from the tallies: no waiting.
	p = res.get(results + "?indeling=grootte&filter=provincie:Zuid-Holland")
	p.mustContain(t, "<dt>Alleen</dt><dd>Provincie: Zuid-Holland: 20 van de 40 respondenten</dd>")
	if strings.Contains(p.Body, "wordt nog berekend") {
		t.Error("a slice of the tallies waits for the job")
	}

	close(gate)
	app.h.slices.jobs.Wait()
	p = res.get(results + "?indeling=overleg&filter=afdeling:communicatie")
	if strings.Contains(p.Body, "wordt nog berekend") {
		t.Fatal("still computing after the job finished")
	}
	p.mustContain(t, "<dt>Alleen</dt><dd>Afdeling: Communicatie:")
	res.get(results+"/kruistabel?rij=provincie&kolom=overleg").mustContain(t, "kruistabel.csv")
}

// TestCrossTablesWithAMultiQuestionAndTwoRegisterAttributes: a multiple-choice question on
// either axis counts a respondent in every option ticked, over the question's base, and says
// so; province against size class counts municipalities in both, with or without a filter on
// a question; what the breakdowns hide stays hidden, and no hidden cell follows from the rest.
func TestCrossTablesWithAMultiQuestionAndTwoRegisterAttributes(t *testing.T) {
	app := newTestApp(t)
	set := sliceSet(t, app)
	res := app.asResearcher()
	base := "/admin/surveys/" + refSlug + "/results/kruistabel"
	depts := []string{"communicatie", "dienstverlening", "participatie", "anders"}
	plans := []string{"basis_op_orde", "sturing", "data_proactief", "serviceniveau", "anders"}

	p := res.get(base + "?rij=afdeling&kolom=kc_plannen")
	if p.Status != http.StatusOK {
		t.Fatalf("afdeling × kc_plannen: %d", p.Status)
	}
	p.mustContain(t, `<option value="kc_plannen" selected>`,
		fmt.Sprintf("Basis: alle respondenten aan wie de vraag is gesteld, ook wie niets aankruiste (n = %d)", len(set)),
		"Een respondent telt in elke kolom waarvan hij het antwoord aankruiste")
	for _, tc := range []struct {
		query string
		turn  bool
	}{{"?rij=afdeling&kolom=kc_plannen", false}, {"?rij=kc_plannen&kolom=afdeling", true}} {
		f := res.get(base + "/kruistabel.csv" + tc.query)
		if f.Status != http.StatusOK {
			t.Fatalf("%s: CSV %d", tc.query, f.Status)
		}
		body := f.Body[strings.Index(f.Body, "Aantallen"):] // after the line on the base
		rows, cols, cells := crossCSV(t, body, ',')
		if len(rows) != 4 && !tc.turn || len(cols) != 4 && tc.turn {
			t.Fatalf("%s: rows %v, columns %v", tc.query, rows, cols)
		}
		for i := range rows {
			for j := range cols {
				d, pl := i, j
				if tc.turn {
					d, pl = j, i
				}
				n := count(set, func(r sliceRespondent) bool { return r.dept == depts[d] && hasPlan(r, plans[pl]) })
				inDept := count(set, func(r sliceRespondent) bool { return r.dept == depts[d] })
				switch {
				case inDept < 5: // participatie, anders: too small, hidden as in the breakdown
					if cells[i][j] != -1 {
						t.Errorf("%s: %s × %s shown (%d)", tc.query, depts[d], plans[pl], cells[i][j])
					}
				case cells[i][j] != n:
					t.Errorf("%s: %s × %s = %d, want %d", tc.query, depts[d], plans[pl], cells[i][j], n)
				}
			}
		}
	}
	res.get(base+"?rij=kc_plannen&kolom=afdeling").mustContain(t, "Een respondent telt in elke rij waarvan hij het antwoord aankruiste")
	res.get(base+"?rij=overleg&kolom=provincie").mustContain(t, "<caption>Heeft u voor het invullen overlegd", "tegen Provincie")
	if p := res.get(base + "?rij=kc_plannen&kolom=part_plannen"); p.Status != http.StatusUnprocessableEntity {
		t.Errorf("two multiple-choice questions: %d", p.Status)
	}
	x := res.get(base + "/kruistabel.xlsx?rij=afdeling&kolom=kc_plannen")
	xf, err := excelize.OpenReader(bytes.NewReader([]byte(x.Body)))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer xf.Close()
	if v, _ := xf.GetCellValue("Kruistabel", "A1"); !strings.HasPrefix(v, "Basis: ") {
		t.Errorf("xlsx A1 = %q, want the base", v)
	}

	// Province × size class, everyone and only who answered "ja" to overleg (counted in the
	// pass after closing, like any slice with a question).
	sizes := []string{"a_lt10k", "b_10k_20k", "c_20k_50k", "d_50k_100k", "e_ge100k"}
	for _, tc := range []struct {
		name, query string
		keep        func(sliceRespondent) bool
	}{
		{"all", "?rij=provincie&kolom=grootte", func(sliceRespondent) bool { return true }},
		{"overleg ja", "?rij=provincie&kolom=grootte&filter=overleg%3Aja", func(r sliceRespondent) bool { return r.overleg == "ja" }},
	} {
		f := res.get(base + "/kruistabel.csv" + tc.query)
		if f.Status != http.StatusOK {
			t.Fatalf("%s: CSV %d", tc.name, f.Status)
		}
		rows, cols, cells := crossCSV(t, f.Body, ',')
		rowSums, colSums := make([]int, len(rows)), make([]int, len(cols))
		shown := 0
		for i, prov := range rows {
			for j, col := range cols {
				size := ""
				for _, c := range models.SizeClasses {
					if c.Label == col {
						size = c.Key
					}
				}
				n := count(set, func(r sliceRespondent) bool {
					return tc.keep(r) && r.m.Province == prov && models.SizeClassOf(r.m.Population).Key == size
				})
				if cells[i][j] >= 0 {
					shown++
					if cells[i][j] != n {
						t.Errorf("%s: %s × %s = %d, want %d", tc.name, prov, col, cells[i][j], n)
					}
				}
				if prov == "Limburg" && cells[i][j] > 0 {
					t.Errorf("%s: Limburg shown", tc.name)
				}
			}
		}
		if shown == 0 || len(cols) != len(sizes) && tc.name == "all" {
			t.Fatalf("%s: %d cells shown, columns %v", tc.name, shown, cols)
		}
		// The margins shown are in the last column and row of the counts block.
		r := csv.NewReader(strings.NewReader(f.Body))
		r.FieldsPerRecord = -1
		recs, _ := r.ReadAll()
		for i := range rows {
			if v, err := strconv.Atoi(recs[i+1][len(cols)+1]); err == nil {
				rowSums[i] = v
			}
		}
		for j := range cols {
			if v, err := strconv.Atoi(recs[len(rows)+1][j+1]); err == nil {
				colSums[j] = v
			}
		}
		if got := recomputable(cells, rowSums, colSums); len(got) > 0 {
			t.Errorf("%s: hidden cells recomputable from what is shown: %v", tc.name, got)
		}
	}
}

// TestTheAPIBreaksDownByAQuestionAndFilters: ?indeling= takes a question's code and ?filter=
// a group, as on the results page, with the same suppression; nothing before closing, and a
// 503 with Retry-After while the slices are still being counted.
func TestTheAPIBreaksDownByAQuestionAndFilters(t *testing.T) {
	app := newTestApp(t)
	res := app.asResearcher()
	token := createToken(t, res, "R-script")
	api := app.newClient()
	results := "/api/v1/surveys/" + refSlug + "/results"
	if p := api.getWith(results+"?indeling=overleg&filter=afdeling:communicatie", token); p.Status != http.StatusForbidden || !strings.Contains(p.Body, `"embargo"`) {
		t.Fatalf("before closing: %d %s", p.Status, p.Body)
	}
	gate := make(chan struct{})
	app.h.slices.gate, app.h.slices.wait = gate, 20*time.Millisecond
	set := sliceSet(t, app)
	p := api.getWith(results+"?indeling=overleg", token)
	if p.Status != http.StatusServiceUnavailable || p.Header.Get("Retry-After") == "" || !strings.Contains(p.Body, `"computing"`) {
		t.Fatalf("while computing: %d %s", p.Status, p.Body)
	}
	close(gate)
	app.h.slices.jobs.Wait()

	type doc struct {
		Respondents int64
		Breakdown   *struct {
			Dimension, Label string
			Groups           []struct {
				Key          string
				N            *int64
				Hidden       bool
				HiddenReason string `json:"hidden_reason"`
			}
		}
		Filter, FilterRefused *struct {
			Dimension, Group, Label string
			RespondentsAll          int64 `json:"respondents_all"`
		}
		Questions []struct {
			Code  string
			Total *struct{ N int64 }
		}
	}
	get := func(query string) doc {
		t.Helper()
		p := api.getWith(results+query, token)
		if p.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", query, p.Status, p.Body)
		}
		var d doc
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal([]byte(p.Body), &raw); err != nil {
			t.Fatal(err)
		}
		d.Filter, d.FilterRefused = nil, nil
		if err := json.Unmarshal([]byte(strings.ReplaceAll(p.Body, `"filter_refused"`, `"filterrefused"`)), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	comm := count(set, func(r sliceRespondent) bool { return r.dept == "communicatie" })
	d := get("?indeling=overleg&filter=afdeling:communicatie")
	if d.Respondents != int64(comm) || d.Filter == nil || d.Filter.Dimension != "afdeling" || d.Filter.Group != "communicatie" ||
		d.Filter.RespondentsAll != int64(len(set)) || d.Filter.Label != "Afdeling: Communicatie" {
		t.Fatalf("filtered: %+v %+v", d.Respondents, d.Filter)
	}
	if d.Breakdown == nil || d.Breakdown.Dimension != "overleg" || !strings.HasPrefix(d.Breakdown.Label, "Heeft u voor het invullen overlegd") {
		t.Fatalf("breakdown: %+v", d.Breakdown)
	}
	// The same groups, shown or hidden, as the models give the results page.
	s, _ := models.FindSurvey(app.db.Read, refSlug)
	rep, _, err := models.LoadSlice(app.db.Read, s, models.SliceSpec{Breakdown: "overleg", Filter: &models.Filter{Dim: "afdeling", Value: "communicatie"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Groups) != len(d.Breakdown.Groups) {
		t.Fatalf("%d groups, the page has %d", len(d.Breakdown.Groups), len(rep.Groups))
	}
	for i, g := range rep.Groups {
		a := d.Breakdown.Groups[i]
		if a.Key != g.Key || a.Hidden != g.Hidden || a.HiddenReason != g.Reason || (a.N == nil) != g.Hidden || a.N != nil && *a.N != g.N {
			t.Errorf("group %q: API %+v, page %+v", g.Key, a, g)
		}
		want := count(set, func(r sliceRespondent) bool { return r.dept == "communicatie" && r.overleg == g.Key })
		if a.N != nil && *a.N != int64(want) {
			t.Errorf("group %q: n = %d, want %d", g.Key, *a.N, want)
		}
	}
	for _, q := range d.Questions {
		if q.Code == "kc_plannen" && (q.Total == nil || q.Total.N != int64(comm)) {
			t.Errorf("kc_plannen total: %+v, want n = %d", q.Total, comm)
		}
	}
	// A filter on a group its own breakdown hides is refused and says so.
	d = get("?filter=provincie:Limburg")
	if d.Filter != nil || d.FilterRefused == nil || d.FilterRefused.Group != "Limburg" || d.Respondents != int64(len(set)) {
		t.Errorf("refused filter: %+v %+v, %d respondents", d.Filter, d.FilterRefused, d.Respondents)
	}
	// Without slicing the document is what it was: no filter fields at all.
	if p := api.getWith(results+"?indeling=provincie", token); strings.Contains(p.Body, `"filter`) {
		t.Errorf("a stored breakdown gained filter fields: %.300s", p.Body)
	}
}
