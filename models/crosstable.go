package models

import "gorm.io/gorm"

// CrossTable is a breakdown (rows) against a single-choice question (columns): how many
// respondents of each row group gave each answer. Rows are the groups of the breakdown by
// the row dimension, columns the groups of the breakdown by the column question, each
// suppressed exactly as that breakdown is (with the same filter): a cell is shown only when
// its row and its column are, a margin only when its group is. So the cross table shows
// nothing a breakdown hides, and a hidden row or column always has a hidden partner.
type CrossTable struct {
	RowDim, ColDim     string
	RowLabel, ColLabel string
	Rows               []Group
	Cols               []Group
	Cells              [][]CrossCell // [row][column]
	N                  int64         // respondents in the (filtered) set
	Info               *SliceInfo
}

// CrossCell is one cell; its percentages are of its row's and of its column's respondents.
type CrossCell struct {
	Hidden     bool
	N          int64
	RowPercent int
	ColPercent int
}

// CrossSpecs are the slices a cross table reads; PrepareSlice each before LoadCrossTable.
func CrossSpecs(rowDim, colDim string, f *Filter) []SliceSpec {
	return []SliceSpec{{Breakdown: rowDim, Filter: f}, {Breakdown: colDim, Filter: f}}
}

// CrossColumns are the dimensions a cross table can have as columns: the single-choice
// questions, the profile question as DimDepartment.
func CrossColumns(def *Definition) []string {
	var out []string
	for _, d := range Breakdowns(def) {
		if sliceQuestion(def, d) != nil {
			out = append(out, d)
		}
	}
	return out
}

// LoadCrossTable builds the cross table of rowDim (any breakdown) against colDim (a
// single-choice question, or DimDepartment) for the respondents that pass f, from stored
// slices. Two equal or unknown dimensions are ErrNotFound.
func LoadCrossTable(db *gorm.DB, s *Survey, rowDim, colDim string, f *Filter) (*CrossTable, error) {
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	rowDim, colDim = NormalBreakdown(def, rowDim), NormalBreakdown(def, colDim)
	colQ := sliceQuestion(def, colDim)
	if rowDim == DimAll || colQ == nil || rowDim == colDim {
		return nil, ErrNotFound
	}
	specs := CrossSpecs(rowDim, colDim, f)
	byRow, info, err := LoadSlice(db, s, specs[0])
	if err != nil {
		return nil, err
	}
	byCol, _, err := LoadSlice(db, s, specs[1])
	if err != nil {
		return nil, err
	}
	ct := &CrossTable{RowDim: rowDim, ColDim: colDim, RowLabel: BreakdownLabel(def, rowDim), ColLabel: BreakdownLabel(def, colDim),
		Rows: byRow.Groups, Cols: byCol.Groups, N: byRow.Respondents, Info: info}
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
