package models

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// CrossTable is two dimensions of the respondents against each other: how many of each row
// group are in each column group. A dimension is a breakdown (department, province, size
// class, a single-choice question) or a multiple-choice question, whose options are its
// groups: a respondent may then count in several of them, and the table's base is who was
// shown the question (docs/results.md). Rows and columns are suppressed exactly as the
// breakdowns are (with the same filter): a cell is shown only when its row and its column
// are, a margin only when its group is; two register dimensions (province × size class) have
// cells no breakdown shows, and these follow SuppressTable as well.
type CrossTable struct {
	RowDim, ColDim     string
	RowLabel, ColLabel string
	Rows               []Group // N: the row's margin, the base of its percentages
	Cols               []Group
	Cells              [][]CrossCell // [row][column]
	N                  int64         // respondents in the (filtered) set, or the base of the multi question
	Info               *SliceInfo
	// Multi is the code of a multiple-choice question on either axis; Base then says whom
	// the table counts (in Dutch; BaseOf is the question's result, for a label in another
	// language).
	Multi  string
	Base   string
	BaseOf *QuestionResult
}

// CrossCell is one cell; its percentages are of its row's and of its column's margin.
type CrossCell struct {
	Hidden     bool
	N          int64
	RowPercent int
	ColPercent int
}

// CrossDims are the dimensions a cross table can have on either axis: every breakdown, then
// the multiple-choice questions, in the order of the questionnaire.
func CrossDims(def *Definition) []string {
	var out []string
	for _, d := range Breakdowns(def) {
		// The answers' language is a breakdown of the results page, not an axis of a cross
		// table: registerPairs counts the register from the tallies, which do not hold it.
		if d != DimLanguage {
			out = append(out, d)
		}
	}
	for _, q := range def.Questions() {
		if q.Kind == KindMulti && !isDimension(q.Code) {
			out = append(out, q.Code)
		}
	}
	return out
}

// NormalCrossDim turns a requested axis into a known one (CrossDims), DimAll when unknown.
func NormalCrossDim(def *Definition, dim string) string {
	if q := multiQuestion(def, dim); q != nil {
		return dim
	}
	return NormalBreakdown(def, dim)
}

// IsMulti reports whether dim is a multiple-choice question.
func IsMulti(def *Definition, dim string) bool { return multiQuestion(def, dim) != nil }

func multiQuestion(def *Definition, code string) *Question {
	if isDimension(code) {
		return nil
	}
	for _, q := range def.Questions() {
		if q.Code == code && q.Kind == KindMulti {
			return q
		}
	}
	return nil
}

// CrossLabel is an axis's name: a dimension's name or a question's text.
func CrossLabel(def *Definition, dim string) string {
	if q := multiQuestion(def, dim); q != nil {
		return q.Text
	}
	return BreakdownLabel(def, dim)
}

// Why a cross table cannot be made.
var (
	ErrCrossSame     = fmt.Errorf("%w: the same dimension twice", ErrNotFound)
	ErrCrossTwoMulti = fmt.Errorf("%w: two multiple-choice questions", ErrNotFound)
)

// CrossSpecs are the slices a cross table reads; prepare each before LoadCrossTable.
func CrossSpecs(def *Definition, rowDim, colDim string, f *Filter) []SliceSpec {
	var specs []SliceSpec
	for _, d := range []string{rowDim, colDim} {
		if multiQuestion(def, d) == nil {
			specs = append(specs, SliceSpec{Breakdown: d, Filter: f})
		}
	}
	if len(specs) == 0 {
		specs = []SliceSpec{{Breakdown: DimAll, Filter: f}}
	}
	if tallyColumn(rowDim) != "" && tallyColumn(colDim) != "" && sliceQuestion(def, rowDim) == nil && sliceQuestion(def, colDim) == nil &&
		f != nil && tallyColumn(f.Dim) == "" {
		specs = append(specs, SliceSpec{Breakdown: pairBreakdown, Filter: f})
	}
	return specs
}

// LoadCrossTable builds the cross table of rowDim against colDim (CrossDims) for the
// respondents that pass f, from stored slices (and, for two register dimensions, the
// tallies). An unknown dimension, the same one twice or two multiple-choice questions are
// ErrNotFound.
func LoadCrossTable(db *gorm.DB, s *Survey, rowDim, colDim string, f *Filter) (*CrossTable, error) {
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	rowDim, colDim = NormalCrossDim(def, rowDim), NormalCrossDim(def, colDim)
	switch {
	case rowDim == DimAll || colDim == DimAll:
		return nil, ErrNotFound
	case rowDim == colDim:
		return nil, ErrCrossSame
	case multiQuestion(def, rowDim) != nil && multiQuestion(def, colDim) != nil:
		return nil, ErrCrossTwoMulti
	}
	// Compute with the breakdown on the rows and the question on the columns; turn it
	// around when asked the other way.
	turn := false
	switch {
	case multiQuestion(def, rowDim) != nil:
		turn = true
	case multiQuestion(def, colDim) == nil && sliceQuestion(def, colDim) == nil && sliceQuestion(def, rowDim) != nil:
		turn = true // a register dimension against a question: counted the other way round
	}
	r, c := rowDim, colDim
	if turn {
		r, c = colDim, rowDim
	}
	var ct *CrossTable
	switch {
	case multiQuestion(def, c) != nil:
		ct, err = crossMulti(db, s, def, r, multiQuestion(def, c), f)
	case sliceQuestion(def, c) != nil:
		ct, err = crossSingle(db, s, def, r, c, f)
	default:
		ct, err = crossRegister(db, s, def, r, c, f)
	}
	if err != nil {
		return nil, err
	}
	ct.RowDim, ct.ColDim, ct.RowLabel, ct.ColLabel = r, c, CrossLabel(def, r), CrossLabel(def, c)
	if turn {
		ct.transpose()
	}
	return ct, nil
}

// transpose swaps rows and columns.
func (ct *CrossTable) transpose() {
	ct.RowDim, ct.ColDim = ct.ColDim, ct.RowDim
	ct.RowLabel, ct.ColLabel = ct.ColLabel, ct.RowLabel
	ct.Rows, ct.Cols = ct.Cols, ct.Rows
	cells := make([][]CrossCell, len(ct.Rows))
	for i := range cells {
		cells[i] = make([]CrossCell, len(ct.Cols))
		for j := range cells[i] {
			c := ct.Cells[j][i]
			c.RowPercent, c.ColPercent = c.ColPercent, c.RowPercent
			cells[i][j] = c
		}
	}
	ct.Cells = cells
}

// crossFrame loads the two breakdowns of a cross table, with the same filter, and returns the
// table with their groups as rows and columns (and what the filter did), and the rows' report.
func crossFrame(db *gorm.DB, s *Survey, rowDim, colDim string, f *Filter) (*CrossTable, *Report, error) {
	byRow, info, err := LoadSlice(db, s, SliceSpec{Breakdown: rowDim, Filter: f})
	if err != nil {
		return nil, nil, err
	}
	byCol, _, err := LoadSlice(db, s, SliceSpec{Breakdown: colDim, Filter: f})
	if err != nil {
		return nil, nil, err
	}
	return &CrossTable{Rows: byRow.Groups, Cols: byCol.Groups, N: byRow.Respondents, Info: info}, byRow, nil
}

// crossSingle: rows a breakdown, columns a single-choice question, from the breakdown's
// figures for that question; the columns are the groups of the breakdown by the question.
func crossSingle(db *gorm.DB, s *Survey, def *Definition, rowDim, colDim string, f *Filter) (*CrossTable, error) {
	colQ := sliceQuestion(def, colDim)
	ct, byRow, err := crossFrame(db, s, rowDim, colDim, f)
	if err != nil {
		return nil, err
	}
	var figures []Figures
	for _, qr := range byRow.Questions {
		if qr.Q.Code == colQ.Code {
			figures = qr.Cells[1:]
		}
	}
	for i, r := range ct.Rows {
		row := make([]CrossCell, len(ct.Cols))
		for j, c := range ct.Cols {
			if r.Hidden || c.Hidden || figures == nil {
				row[j] = CrossCell{Hidden: true}
				continue
			}
			n := cellCount(figures[i], c.Key, r.N)
			row[j] = CrossCell{N: n, RowPercent: roundPercent(n, r.N), ColPercent: roundPercent(n, c.N)}
		}
		ct.Cells = append(ct.Cells, row)
	}
	return ct, nil
}

// crossMulti: rows a breakdown, columns the options of a multiple-choice question. A row's
// margin is the question's base in that group (who was shown it, or who ticked something,
// as the results settings say), a column's the respondents who ticked that option; both are
// figures the breakdown shows already. Rows are hidden as the breakdown hides them.
func crossMulti(db *gorm.DB, s *Survey, def *Definition, rowDim string, q *Question, f *Filter) (*CrossTable, error) {
	rep, info, err := LoadSlice(db, s, SliceSpec{Breakdown: rowDim, Filter: f})
	if err != nil {
		return nil, err
	}
	var qr *QuestionResult
	for i := range rep.Questions {
		if rep.Questions[i].Q.Code == q.Code {
			qr = &rep.Questions[i]
		}
	}
	if qr == nil {
		return nil, ErrNotFound
	}
	total := qr.Cells[0]
	ct := &CrossTable{N: total.N, Info: info, Multi: q.Code, Base: qr.BaseLabel(), BaseOf: qr}
	for _, o := range total.Options {
		ct.Cols = append(ct.Cols, Group{Key: o.Code, Label: o.Label, N: o.Count})
	}
	for i, g := range rep.Groups {
		fig := qr.Cells[i+1]
		row := Group{Key: g.Key, Label: g.Label, N: fig.N, Hidden: g.Hidden, Reason: g.Reason}
		ct.Rows = append(ct.Rows, row)
		cells := make([]CrossCell, len(ct.Cols))
		for j, c := range ct.Cols {
			if g.Hidden || fig.Hidden {
				cells[j] = CrossCell{Hidden: true}
				continue
			}
			n := cellCount(fig, c.Key, fig.N)
			cells[j] = CrossCell{N: n, RowPercent: roundPercent(n, fig.N), ColPercent: roundPercent(n, c.N)}
		}
		ct.Cells = append(ct.Cells, cells)
	}
	return ct, nil
}

// crossRegister: two register dimensions (province × size class), counted from the tallies,
// or with a filter on a question from the slice PrecomputeSlices stores for it. No breakdown
// shows these cells, so they follow SuppressTable on the groups of both breakdowns.
func crossRegister(db *gorm.DB, s *Survey, def *Definition, rowDim, colDim string, f *Filter) (*CrossTable, error) {
	ct, _, err := crossFrame(db, s, rowDim, colDim, f)
	if err != nil {
		return nil, err
	}
	counts, err := registerPairs(db, s, rowDim, colDim, ct.Info.Filter)
	if err != nil {
		return nil, err
	}
	n := make([][]int64, len(ct.Rows))
	for i, r := range ct.Rows {
		n[i] = make([]int64, len(ct.Cols))
		for j, c := range ct.Cols {
			n[i][j] = counts[r.Key+"|"+c.Key]
		}
	}
	settings, err := SettingsOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	reasons := SuppressTable(ct.Rows, ct.Cols, n, settings.MinGroupSize)
	for i, r := range ct.Rows {
		row := make([]CrossCell, len(ct.Cols))
		for j, c := range ct.Cols {
			if reasons[i][j] != "" && reasons[i][j] != HiddenEmpty {
				row[j] = CrossCell{Hidden: true}
				continue
			}
			row[j] = CrossCell{N: n[i][j], RowPercent: roundPercent(n[i][j], r.N), ColPercent: roundPercent(n[i][j], c.N)}
		}
		ct.Cells = append(ct.Cells, row)
	}
	return ct, nil
}

// pairBreakdown is the stored slice of respondents per province and size class together.
const pairBreakdown = DimProvince + "×" + DimSize

// registerPairs counts the respondents per "row|column" of two register dimensions.
func registerPairs(db *gorm.DB, s *Survey, rowDim, colDim string, f *Filter) (map[string]int64, error) {
	out := map[string]int64{}
	if f != nil && tallyColumn(f.Dim) == "" {
		// Filtered on a question: the slice PrecomputeSlices stores, by province and size.
		byGroup, _, err := readSlice(db, s, pairBreakdown, f, true)
		if err != nil {
			return nil, err
		}
		for k, a := range byGroup {
			if k.question != "" {
				continue
			}
			province, size, _ := strings.Cut(k.grp, "|")
			if rowDim == DimProvince {
				out[province+"|"+size] += a.N
			} else {
				out[size+"|"+province] += a.N
			}
		}
		return out, nil
	}
	rc, cc := tallyColumn(rowDim), tallyColumn(colDim)
	where, args := "survey_id = ? AND question = ''", []any{s.ID}
	if f != nil {
		where += " AND " + tallyColumn(f.Dim) + " = ?"
		args = append(args, f.Value)
	}
	var counts []struct {
		R, C string
		N    int64
	}
	if err := db.Raw(`SELECT `+rc+` AS r, `+cc+` AS c, SUM(n) AS n FROM tallies WHERE `+where+` GROUP BY `+rc+`, `+cc, args...).Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, x := range counts {
		out[x.R+"|"+x.C] += x.N
	}
	return out, nil
}

// cellCount is how many of a group (of size n, with figures f for the column question) gave
// option; "" counts who did not answer.
func cellCount(f Figures, option string, n int64) int64 {
	switch option {
	case "":
		return n - f.N - f.DontKnow
	case DontKnowCode:
		return f.DontKnow
	}
	for _, o := range f.Options {
		if o.Code == option {
			return o.Count
		}
	}
	return 0
}
