package models

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func closeForTest(t *testing.T, db *DB, s *Survey) {
	t.Helper()
	if err := CloseSurvey(db.Write, s.ID, System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	fresh, err := FindSurvey(db.Read, s.Slug)
	if err != nil {
		t.Fatal(err)
	}
	*s = *fresh
}

func questionResult(t *testing.T, rep *Report, code string) QuestionResult {
	t.Helper()
	for _, q := range rep.Questions {
		if q.Q.Code == code {
			return q
		}
	}
	t.Fatalf("no question %s in the report", code)
	return QuestionResult{}
}

func TestArticleFiguresAreReproduced(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	article, err := ArticleResponses(db.Read, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := InsertSubmitted(db.Write, s, article); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadReport(db.Read, s, DimAll); !errors.Is(err, ErrResultsEmbargo) {
		t.Fatalf("report of an open survey: %v, want the embargo", err)
	}
	closeForTest(t, db, s)
	rep, err := LoadReport(db.Read, s, DimAll)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Respondents != 119 || rep.Population != 380 || rep.RatePercent != 31 {
		t.Errorf("response: %d of %d = %d %%, want 119 of 380 = 31 %%", rep.Respondents, rep.Population, rep.RatePercent)
	}
	plans := questionResult(t, rep, "kc_plannen").Cells[0]
	if plans.N != 119 || plans.Options[0].Code != "basis_op_orde" || plans.Options[0].Percent != 80 || plans.Options[0].Count != 95 {
		t.Errorf("basis op orde: %+v of %d, want 95 = 80 %% of 119", plans.Options[0], plans.N)
	}
	if got := []int{plans.Options[1].Percent, plans.Options[2].Percent, plans.Options[3].Percent}; !reflect.DeepEqual(got, []int{55, 52, 11}) {
		t.Errorf("sturing, data, serviceniveau = %v %%, want the article's 55, 52, 11", got)
	}
	st := questionResult(t, rep, "kc_stellingen").Statements
	if st[0].Cells[0].Agree != 88 {
		t.Errorf("agree with meer samenwerken = %d %%, want 88", st[0].Cells[0].Agree)
	}
	if st[2].Cells[0].Disagree != 67 || st[2].Cells[0].N != 115 || st[2].Cells[0].DontKnow != 4 {
		t.Errorf("bestuur geen reden: %+v, want 67 %% disagree of 115, 4 weet niet apart", st[2].Cells[0])
	}
	if f := st[1].Cells[0]; f.Agree <= 50 || f.Agree >= 60 {
		t.Errorf("werken al goed samen: %d %% agree, want a small majority", f.Agree)
	}
	dept := rep.Profile.Cells[0]
	if dept.Options[0].Percent != 75 || dept.Options[1].Percent != 19 {
		t.Errorf("profile: %+v, want 75 %% communicatie and 19 %% (almost one fifth) dienstverlening", dept.Options)
	}
	shares := func(code string) []int {
		var out []int
		for _, o := range questionResult(t, rep, code).Cells[0].Options {
			if o.Code != "anders" {
				out = append(out, o.Percent)
			}
		}
		return out
	}
	if got := shares("part_plannen"); !reflect.DeepEqual(got, []int{63, 55, 53}) {
		t.Errorf("participation plans = %v %%, want the article's 63, 55, 53", got)
	}
	if got := shares("bnb_plannen"); !reflect.DeepEqual(got, []int{65, 52, 51}) {
		t.Errorf("van buiten naar binnen plans = %v %%, want the article's 65, 52, 51", got)
	}
	part := questionResult(t, rep, "part_stellingen").Statements
	neutral := func(f Figures) int { return f.Options[2].Percent }
	if part[0].Cells[0].Agree != 71 || neutral(part[1].Cells[0]) != 33 || neutral(part[2].Cells[0]) != 34 ||
		neutral(part[3].Cells[0]) != 38 || neutral(part[4].Cells[0]) != 39 || part[2].Cells[0].Options[3].Count <= part[2].Cells[0].Options[2].Count {
		t.Errorf("participation statements: agree %d %%, neutral %d/%d/%d/%d %%, want 71 and a third, a third, 38, 39", part[0].Cells[0].Agree,
			neutral(part[1].Cells[0]), neutral(part[2].Cells[0]), neutral(part[3].Cells[0]), neutral(part[4].Cells[0]))
	}
	bnb := questionResult(t, rep, "bnb_stellingen").Statements
	if bnb[0].Cells[0].Agree != 80 || bnb[1].Cells[0].Agree != 50 || bnb[2].Cells[0].Options[3].Percent != 45 || bnb[3].Cells[0].Agree > 20 {
		t.Errorf("van buiten naar binnen statements: %d, %d, %d %% enigszins eens, %d %%; want 80, 50, 45 and a small group",
			bnb[0].Cells[0].Agree, bnb[1].Cells[0].Agree, bnb[2].Cells[0].Options[3].Percent, bnb[3].Cells[0].Agree)
	}
	// Every question has answers, as in a real survey; open answers are not placeholders.
	for _, qr := range rep.Questions {
		for _, f := range append(qr.Cells, statementTotals(qr)...) {
			if f.Answered == 0 {
				t.Errorf("%s: nobody answered", qr.Q.Code)
			}
		}
	}
	for _, r := range article {
		for _, a := range r.Answers {
			if strings.HasPrefix(a.Text, "Antwoord ") || a.Text == "Iets anders" {
				t.Fatalf("placeholder answer %q", a.Text)
			}
		}
	}
}

func statementTotals(qr QuestionResult) []Figures {
	var out []Figures
	for _, st := range qr.Statements {
		out = append(out, st.Cells[0])
	}
	return out
}

func TestBreakdownsAddUpAndSmallGroupsAreHidden(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "p.db"))
	s := referenceSurvey(t, db)
	if err := SeedResponses(db.Write, s, 200, rand.New(rand.NewPCG(1, 2))); err != nil {
		t.Fatal(err)
	}
	closeForTest(t, db, s)
	for _, dim := range Dimensions {
		rep, err := LoadReport(db.Read, s, dim)
		if err != nil {
			t.Fatal(err)
		}
		var sum int64
		for _, g := range rep.Groups {
			sum += g.N
			if g.N > 0 && g.N < 5 && !g.Hidden {
				t.Errorf("%s: group %s of %d shown", dim, g.Label, g.N)
			}
		}
		if sum != 200 {
			t.Errorf("%s: groups add up to %d, want 200", dim, sum)
		}
		// Every shown group's counts equal a count straight from the answers.
		plans := questionResult(t, rep, "kc_plannen")
		for gi, g := range rep.Groups {
			cell := plans.Cells[gi+1]
			if g.Hidden != cell.Hidden {
				t.Fatalf("%s: group %s hidden %v, cell hidden %v", dim, g.Label, g.Hidden, cell.Hidden)
			}
			if g.Hidden {
				if cell.N != 0 || cell.Options != nil {
					t.Errorf("%s: hidden group %s still carries figures", dim, g.Label)
				}
				continue
			}
			want := countDirect(t, db, s, dim, g.Key, "kc_plannen", "basis_op_orde")
			if cell.Options[0].Count != want {
				t.Errorf("%s/%s basis_op_orde = %d, want %d", dim, g.Key, cell.Options[0].Count, want)
			}
		}
	}
	if err := DropAggregates(db.Write, s.ID); err != nil {
		t.Fatal(err)
	}
	var left int64
	db.Read.Model(&Aggregate{}).Where("survey_id = ?", s.ID).Count(&left)
	if left != 0 {
		t.Errorf("%d aggregate rows left after dropping", left)
	}
}

// countDirect counts, without the aggregates table, the submitted responses in a group that
// gave option to question.
func countDirect(t *testing.T, db *DB, s *Survey, dim, grp, question, option string) int64 {
	t.Helper()
	var rows []struct {
		Department, Province string
		Population           int
	}
	err := db.Read.Raw(`SELECT d.option AS department, m.province, m.population FROM responses r
		JOIN answers a ON a.response_id = r.id AND a.question = ? AND a.option = ?
		JOIN answers d ON d.response_id = r.id AND d.question = 'afdeling'
		JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		WHERE r.survey_id = ? AND r.status = 'submitted'`, question, option, s.Register, s.ID).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, r := range rows {
		key := r.Department
		switch dim {
		case DimProvince:
			key = r.Province
		case DimSize:
			for _, c := range SizeClasses {
				if r.Population >= c.Min {
					key = c.Key
				}
			}
		}
		if key == grp {
			n++
		}
	}
	return n
}

func TestSuppressHidesSmallGroupsAndTheirComplement(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int64
		want  []bool
	}{
		{"all large", []int64{10, 20, 30}, []bool{false, false, false}},
		{"one small: the next smallest goes too", []int64{3, 20, 8, 30}, []bool{true, false, true, false}},
		{"two small: enough", []int64{3, 2, 20, 30}, []bool{true, true, false, false}},
		{"empty groups give nothing away", []int64{0, 20, 30}, []bool{true, false, false}},
		{"one small and an empty one", []int64{0, 4, 20, 30}, []bool{true, true, true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := make([]Group, len(tt.sizes))
			for i, n := range tt.sizes {
				gs[i].N = n
			}
			Suppress(gs, 5)
			var got []bool
			for _, g := range gs {
				got = append(got, g.Hidden)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("hidden = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSharesOfOneQuestionAddUpTo100(t *testing.T) {
	tests := []struct {
		counts []int64
		want   []int
	}{
		{[]int64{1, 1, 1}, []int{34, 33, 33}},
		{[]int64{89, 22, 4, 4}, []int{75, 19, 3, 3}},
		{[]int64{0, 0, 0}, []int{0, 0, 0}},
		{[]int64{2, 1}, []int{67, 33}},
	}
	for _, tt := range tests {
		var base int64
		for _, n := range tt.counts {
			base += n
		}
		if got := LargestRemainder(tt.counts, base); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("LargestRemainder(%v) = %v, want %v", tt.counts, got, tt.want)
		}
	}
	if got := roundPercent(1, 8); got != 13 { // 12.5 rounds half up
		t.Errorf("roundPercent(1, 8) = %d", got)
	}
}

func TestSuppressSaysWhyAGroupIsHidden(t *testing.T) {
	tests := []struct {
		name  string
		sizes []int64
		want  []string
	}{
		{"exactly at the minimum is shown", []int64{5, 20, 30}, []string{"", "", ""}},
		{"too small, and its complement", []int64{3, 20, 5, 30}, []string{HiddenTooSmall, "", HiddenComplement, ""}},
		{"empty", []int64{0, 20, 30}, []string{HiddenEmpty, "", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := make([]Group, len(tt.sizes))
			for i, n := range tt.sizes {
				gs[i].N = n
			}
			Suppress(gs, 5)
			var got []string
			for _, g := range gs {
				got = append(got, g.Reason)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("reasons = %q, want %q", got, tt.want)
			}
		})
	}
	for reason, want := range map[string]string{HiddenTooSmall: "te klein (minder dan 5)", HiddenComplement: "verborgen om terugrekenen te voorkomen", HiddenEmpty: "geen respondenten"} {
		if got := HiddenLabel(reason, 5); got != want {
			t.Errorf("label of %s = %q, want %q", reason, got, want)
		}
	}
}

func TestScaleSummaryNamesTheHalvesAfterTheScale(t *testing.T) {
	opts := func(labels ...string) []Option {
		var out []Option
		for _, l := range labels {
			out = append(out, Option{Label: l})
		}
		return out
	}
	low, mid, high, hasMid := ScaleSummary(opts("Nooit", "Soms", "Vaak", "Altijd"))
	if low != "Nooit of soms" || high != "Vaak of altijd" || hasMid || mid != "" {
		t.Errorf("4-point scale: %q / %q (%v) / %q", low, mid, hasMid, high)
	}
	low, mid, high, hasMid = ScaleSummary(opts("Zeer slecht", "Slecht", "Matig", "Neutraal", "Redelijk", "Goed", "Zeer goed"))
	if low != "Zeer slecht t/m matig" || mid != "Neutraal" || !hasMid || high != "Redelijk t/m zeer goed" {
		t.Errorf("7-point scale: %q / %q / %q", low, mid, high)
	}
}
