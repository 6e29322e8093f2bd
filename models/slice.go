package models

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"gorm.io/gorm"
)

// A slice is a closed survey's results broken down by any single-choice question or register
// attribute, optionally for a subset of the respondents (a filter). Its counts have the shape
// of the aggregates (one row per group, question, item and option) and are counted once, then
// kept in slice_counts: from the tallies on first use when only department, province and
// size class are involved (EnsureSlice), otherwise by the one pass over the answers after
// closing (PrecomputeSlices, slicebatch.go; EnsureSlice can count one such slice alone, which
// the tests compare it with). docs/results.md explains the suppression rules.

// SliceCount is one stored count of a slice; Slice is the slice's key, which carries the
// moment the survey was closed, so a reopened and closed survey never reads old counts.
type SliceCount struct {
	SurveyID uint    `gorm:"primaryKey;autoIncrement:false"`
	Survey   *Survey `gorm:"constraint:OnDelete:CASCADE"`
	Slice    string  `gorm:"primaryKey"`
	Grp      string  `gorm:"primaryKey"`
	Question string  `gorm:"primaryKey"`
	Item     string  `gorm:"primaryKey"`
	Option   string  `gorm:"primaryKey"`
	N        int64   `gorm:"not null"`
	Total    float64 `gorm:"not null"`
}

// sliceDone marks a slice whose counts are stored (a slice can have no rows at all).
const sliceDone = "#"

// Filter keeps the respondents in group Value of dimension Dim (a register dimension or a
// single-choice question's code).
type Filter struct {
	Dim   string
	Value string
}

// SliceSpec is a breakdown and an optional filter.
type SliceSpec struct {
	Breakdown string // DimAll, a register dimension or a single-choice question's code
	Filter    *Filter
}

// SliceInfo says what LoadSlice did with the filter.
type SliceInfo struct {
	Filter       *Filter // the filter applied; nil when none was asked or it was refused
	FilterLabel  string  // "Afdeling: Communicatie"
	Refused      *Filter // a filter not applied: its group is hidden in its own breakdown
	RefusedLabel string
	AllN         int64 // respondents without the filter
}

// Breakdowns lists what the results can be broken down and filtered by: the register
// dimensions, then every single-choice question except the profile question (which is
// DimDepartment), in the order of the questionnaire.
func Breakdowns(def *Definition) []string {
	out := append([]string{}, Dimensions...)
	pq := profileQuestion(def)
	if pq == nil {
		out = out[1:]
	}
	if len(def.Languages()) > 0 {
		out = append(out, DimLanguage)
	}
	for _, q := range def.Questions() {
		// A question coded like a dimension cannot be addressed by ?indeling=: the dimension
		// wins (a question coded "afdeling" that is not the profile question).
		if q.Kind == KindSingle && q != pq && !isDimension(q.Code) {
			out = append(out, q.Code)
		}
	}
	return out
}

func isDimension(code string) bool {
	return code == DimDepartment || code == DimProvince || code == DimSize || code == DimVersion || code == DimLanguage
}

// BreakdownLabel is the Dutch name of a breakdown: a dimension's name or a question's text.
func BreakdownLabel(def *Definition, dim string) string {
	if q := sliceQuestion(def, dim); q != nil && dim != DimDepartment {
		return q.Text
	}
	return DimensionLabel(dim)
}

// NormalBreakdown turns a requested breakdown into a known one: the profile question's code
// becomes DimDepartment, anything unknown DimAll.
func NormalBreakdown(def *Definition, dim string) string {
	if pq := profileQuestion(def); pq != nil && dim == pq.Code {
		return DimDepartment
	}
	for _, d := range Breakdowns(def) {
		if d == dim {
			return dim
		}
	}
	return DimAll
}

// sliceQuestion is the single-choice question behind a breakdown, nil for a register one.
func sliceQuestion(def *Definition, dim string) *Question {
	switch dim {
	case DimAll, DimProvince, DimSize, DimLanguage:
		return nil
	case DimDepartment:
		return profileQuestion(def)
	}
	for _, q := range def.Questions() {
		if q.Code == dim && q.Kind == KindSingle {
			return q
		}
	}
	return nil
}

// GroupChoices lists the groups a dimension can have, before counting: a question's options,
// the size classes, or the provinces of the register.
func GroupChoices(db *gorm.DB, s *Survey, def *Definition, dim string) ([]Group, error) {
	var gs []Group
	switch dim {
	case DimAll:
	case DimSize:
		for _, c := range SizeClasses {
			gs = append(gs, Group{Key: c.Key, Label: c.Label})
		}
	case DimLanguage: // the codes; the handler names them in the reader's language
		for _, lang := range append([]string{DutchLanguage}, def.Languages()...) {
			gs = append(gs, Group{Key: lang, Label: lang})
		}
	case DimProvince:
		var names []string
		if err := db.Model(&Municipality{}).Where("register = ?", s.Register).Distinct().Order("province").Pluck("province", &names).Error; err != nil {
			return nil, err
		}
		for _, n := range names {
			gs = append(gs, Group{Key: n, Label: n})
		}
	default:
		q := sliceQuestion(def, dim)
		if q == nil {
			return nil, ErrNotFound
		}
		for _, o := range q.Choices() {
			gs = append(gs, Group{Key: o.Code, Label: o.Label})
		}
	}
	return gs, nil
}

// sliceKey names a slice's counts; the closing moment makes a reopened survey start afresh.
func sliceKey(s *Survey, breakdown string, f *Filter) string {
	k := "b=" + breakdown
	if f != nil {
		k += "|f=" + f.Dim + "=" + f.Value
	}
	return fmt.Sprintf("%s@%d", k, closedStamp(s))
}

func closedStamp(s *Survey) int64 {
	if s.ClosedAt == nil {
		return 0
	}
	return s.ClosedAt.UnixNano()
}

// groupingBy is the GROUP BY list of col (a tallyColumn) and then rest. The whole survey's
// column is the constant ”, which groups nothing; PostgreSQL refuses a constant there.
func groupingBy(col, rest string) string {
	if col == "''" {
		return rest
	}
	return col + ", " + rest
}

// tallyColumn is a register dimension's column in the tallies; "" when the dimension is a
// question other than the profile question.
// responseColumn is the group of a register dimension or the answers' language in a query
// on responses r joined with municipalities m, "”" for any other.
func responseColumn(dim string) string {
	switch dim {
	case DimProvince:
		return "COALESCE(m.province, '')"
	case DimSize:
		return sizeCaseSQL()
	case DimLanguage:
		return "r.lang"
	}
	return "''"
}

func tallyColumn(dim string) string {
	switch dim {
	case DimAll:
		return "''"
	case DimDepartment:
		return "department"
	case DimProvince:
		return "province"
	case DimSize:
		return "size"
	}
	return ""
}

// EnsureSlice computes and stores the counts of breakdown by f (nil for none) of closed survey
// s unless they are stored already. It needs the write pool; LoadSlice reads them.
func EnsureSlice(db *gorm.DB, s *Survey, breakdown string, f *Filter) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	key := sliceKey(s, breakdown, f)
	if done, err := sliceStored(db, s.ID, key); err != nil || done {
		return err
	}
	if questionSlice(breakdown, f) {
		if err := CheckAnswersKept(db, s.ID); err != nil {
			return err // counted from the answers, which are gone
		}
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if done, err := sliceStored(tx, s.ID, key); err != nil || done {
			return err
		}
		if err := tx.Where("survey_id = ? AND slice NOT LIKE ?", s.ID, fmt.Sprintf("%%@%d", closedStamp(s))).Delete(&SliceCount{}).Error; err != nil {
			return err
		}
		for _, st := range sliceSteps(dialectOf(tx), s, def, key, breakdown, f, false) {
			if err := tx.Exec(st.sql, st.args...).Error; err != nil {
				return fmt.Errorf("slice %s of %s: %w", key, s.Slug, err)
			}
		}
		return tx.Create(&SliceCount{SurveyID: s.ID, Slice: key, Question: sliceDone}).Error
	})
}

// PrepareSlice stores every slice LoadSlice(spec) reads (MissingSlices) that is not stored yet.
func PrepareSlice(db *gorm.DB, s *Survey, spec SliceSpec) error {
	missing, err := MissingSlices(db, s, spec)
	if err != nil {
		return err
	}
	for _, m := range missing {
		if err := EnsureSlice(db, s, m.Breakdown, m.Filter); err != nil {
			return err
		}
	}
	return nil
}

// MissingSlices lists the slices LoadSlice(spec) reads that are not stored yet: the slice
// itself and, with a filter, the unfiltered breakdown, the filter's own breakdown and the
// total. One query on any pool; after the first view of a slice it returns nothing.
func MissingSlices(db *gorm.DB, s *Survey, spec SliceSpec) ([]SliceSpec, error) {
	need := []SliceSpec{spec}
	if spec.Filter != nil && !knownFilter(db, s, spec.Filter) {
		need = []SliceSpec{{Breakdown: spec.Breakdown}} // LoadSlice refuses it and shows everyone
	} else if spec.Breakdown == pairBreakdown {
		// province × size class filtered on a question: the pass stores it alone
	} else if spec.Filter != nil {
		for _, b := range []string{spec.Breakdown, spec.Filter.Dim, DimAll} {
			need = append(need, SliceSpec{Breakdown: b})
		}
	}
	keys := make([]string, len(need))
	for i, n := range need {
		keys[i] = sliceKey(s, n.Breakdown, n.Filter)
	}
	var stored []string
	err := db.Model(&SliceCount{}).Where("survey_id = ? AND slice IN ? AND grp = '' AND question = ? AND item = '' AND option = ''",
		s.ID, keys, sliceDone).Pluck("slice", &stored).Error
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, k := range stored {
		have[k] = true
	}
	var missing []SliceSpec
	for i, n := range need {
		if !have[keys[i]] {
			have[keys[i]] = true
			missing = append(missing, n)
		}
	}
	return missing, nil
}

// knownFilter reports whether f names a group its dimension can have (GroupChoices): any
// other is refused without being counted.
func knownFilter(db *gorm.DB, s *Survey, f *Filter) bool {
	def, err := s.Def()
	if err != nil {
		return false
	}
	gs, err := GroupChoices(db, s, def, f.Dim)
	if err != nil {
		return false
	}
	for _, g := range gs {
		if g.Key == f.Value {
			return true
		}
	}
	return false
}

func sliceStored(db *gorm.DB, surveyID uint, key string) (bool, error) {
	var n int64
	err := db.Model(&SliceCount{}).Where("survey_id = ? AND slice = ? AND grp = '' AND question = ? AND item = '' AND option = ''",
		surveyID, key, sliceDone).Count(&n).Error
	return n > 0, err
}

// sliceSteps are the statements that count a slice, with the same rows as the aggregates;
// fromAnswers counts from the answers even when the tallies would do (tests compare the two).
func sliceSteps(d *dialect, s *Survey, def *Definition, key, breakdown string, f *Filter, fromAnswers bool) []sqlStep {
	var oneEach, multi []string
	for _, q := range def.Questions() {
		switch q.Kind {
		case KindSingle, KindLikert:
			oneEach = append(oneEach, q.Code)
		case KindMulti:
			multi = append(multi, q.Code)
		}
	}
	insert := `INSERT INTO slice_counts (survey_id, slice, grp, question, item, option, n, total) `
	var steps []sqlStep
	col := tallyColumn(breakdown)
	if !fromAnswers && col != "" && (f == nil || tallyColumn(f.Dim) != "") {
		// Department, province and size class only: sum the tallies, no answer is read.
		where, args := "survey_id = ?", []any{s.ID}
		if f != nil {
			where += " AND " + tallyColumn(f.Dim) + " = ?"
			args = append(args, f.Value)
		}
		steps = append(steps, sqlStep{insert + `SELECT ?, ?, ` + col + `, question, item, option, SUM(n), SUM(total)
			FROM tallies WHERE ` + where + ` GROUP BY ` + groupingBy(col, `question, item, option`), append([]any{s.ID, key}, args...)})
	} else {
		steps = append(steps, answerSliceSteps(d, s, def, key, breakdown, f, multi)...)
	}
	if len(oneEach) > 0 {
		steps = append(steps, sqlStep{insert + `SELECT survey_id, slice, grp, question, item, '', SUM(n), 0 FROM slice_counts
			WHERE survey_id = ? AND slice = ? AND option <> '' AND question IN ? GROUP BY survey_id, slice, grp, question, item`,
			[]any{s.ID, key, oneEach}})
	}
	return steps
}

// answerSliceSteps count a slice that involves a question from the answers: each submitted
// response once in its group, then its answers per group.
func answerSliceSteps(d *dialect, s *Survey, def *Definition, key, breakdown string, f *Filter, multi []string) []sqlStep {
	grp, bq := "''", ""
	switch breakdown {
	case DimAll:
	case DimProvince:
		grp = "COALESCE(m.province, '')"
	case DimSize:
		grp = sizeCaseSQL()
	case DimLanguage:
		grp = "r.lang"
	default:
		grp, bq = "COALESCE(bx.option, '')", sliceQuestion(def, breakdown).Code
	}
	cond, fq, fargs := "true", "", []any{}
	if f != nil {
		switch f.Dim {
		case DimProvince:
			cond, fargs = "m.province = ?", []any{f.Value}
		case DimSize:
			cond, fargs = "("+sizeCaseSQL()+") = ?", []any{f.Value}
		case DimLanguage:
			cond, fargs = "r.lang = ?", []any{f.Value}
		default:
			cond, fq, fargs = "fx.option = ?", sliceQuestion(def, f.Dim).Code, []any{f.Value}
		}
	}
	with := `WITH g AS (SELECT r.id AS response_id, ` + grp + ` AS grp FROM responses r
		LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		LEFT JOIN answers bx ON bx.response_id = r.id AND bx.question = ? AND bx.item = ''
		LEFT JOIN answers fx ON fx.response_id = r.id AND fx.question = ? AND fx.item = ''
		WHERE r.survey_id = ? AND r.status = ? AND ` + cond + `) `
	wargs := append([]any{s.Register, bq, fq, s.ID, ResponseSubmitted}, fargs...)
	wargs = wargs[:len(wargs):len(wargs)] // each step appends its own arguments to a copy
	insert := `INSERT INTO slice_counts (survey_id, slice, grp, question, item, option, n, total) `
	// One upsert per answer into the few hundred rows of the slice: a third of the work of a
	// GROUP BY, which sorts every answer first (measured at 100,000 responses on SQLite).
	answers := `SELECT ?, ?, g.grp, a.question, a.item, a.option, 1, COALESCE(a.number, 0)
			FROM g JOIN answers a ON a.response_id = g.response_id WHERE a.question <> ?
			ON CONFLICT (survey_id, slice, grp, question, item, option) DO UPDATE SET n = slice_counts.n + 1, total = slice_counts.total + excluded.total`
	if !d.upsertRowTwice {
		answers = `SELECT ?, ?, g.grp, a.question, a.item, a.option, COUNT(*), SUM(COALESCE(a.number, 0))
			FROM g JOIN answers a ON a.response_id = g.response_id WHERE a.question <> ?
			GROUP BY g.grp, a.question, a.item, a.option`
	}
	steps := []sqlStep{
		{with + insert + `SELECT ?, ?, grp, '', '', '', COUNT(*), 0 FROM g GROUP BY grp`, append(wargs, s.ID, key)},
		{with + insert + answers, append(wargs, s.ID, key, def.MunicipalityQuestion().Code)},
	}
	if len(multi) > 0 {
		steps = append(steps, sqlStep{with + insert + `SELECT ?, ?, g.grp, a.question, '', '', COUNT(DISTINCT a.response_id), 0
			FROM g JOIN answers a ON a.response_id = g.response_id WHERE a.question IN ?
			GROUP BY g.grp, a.question`, append(wargs, s.ID, key, multi)})
	}
	return steps
}

// sliceRows reads a stored slice as aggregate rows by group, and their sums over the groups.
func sliceRows(db *gorm.DB, s *Survey, breakdown string, f *Filter) (byGroup, total map[aggKey]Aggregate, err error) {
	return readSlice(db, s, breakdown, f, false)
}

// sliceSizes reads only the respondents per group of a stored slice.
func sliceSizes(db *gorm.DB, s *Survey, breakdown string, f *Filter) (map[aggKey]Aggregate, error) {
	byGroup, _, err := readSlice(db, s, breakdown, f, true)
	return byGroup, err
}

func readSlice(db *gorm.DB, s *Survey, breakdown string, f *Filter, sizesOnly bool) (byGroup, total map[aggKey]Aggregate, err error) {
	sql := `SELECT grp, question, item, option, n, total FROM slice_counts WHERE survey_id = ? AND slice = ?`
	if sizesOnly {
		sql += ` AND question IN ('', '` + sliceDone + `')`
	}
	// Plain rows, not gorm's reflection: a province slice has thousands of rows per page view.
	rows, err := db.Raw(sql, s.ID, sliceKey(s, breakdown, f)).Rows()
	if err != nil {
		return nil, nil, fmt.Errorf("read slice of %s: %w", s.Slug, err)
	}
	defer rows.Close()
	byGroup, total = map[aggKey]Aggregate{}, map[aggKey]Aggregate{}
	done := false
	for rows.Next() {
		var k aggKey
		var a Aggregate
		if err := rows.Scan(&k.grp, &k.question, &k.item, &k.option, &a.N, &a.Total); err != nil {
			return nil, nil, err
		}
		if k.question == sliceDone {
			done = true
			continue
		}
		byGroup[k] = a
		tk := aggKey{"", k.question, k.item, k.option}
		t := total[tk]
		t.N, t.Total = t.N+a.N, t.Total+a.Total
		total[tk] = t
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if !done {
		return nil, nil, fmt.Errorf("%w: %s", ErrSliceNotStored, sliceKey(s, breakdown, f))
	}
	return byGroup, total, nil
}

// ErrSliceNotStored is a slice read before EnsureSlice stored it.
var ErrSliceNotStored = errors.New("slice not computed")

// FilterLabel is "Afdeling: Communicatie", in words.
func FilterLabel(def *Definition, f *Filter) string {
	label := f.Value
	if q := sliceQuestion(def, f.Dim); q != nil {
		label = optionLabel(q, f.Value)
	}
	for _, c := range SizeClasses {
		if f.Dim == DimSize && c.Key == f.Value {
			label = c.Label
		}
	}
	return BreakdownLabel(def, f.Dim) + ": " + label
}

// SliceGroups are the groups of dim without a filter, with their sizes and suppression,
// from the stored aggregates: what the results page shows for that breakdown.
func SliceGroups(db *gorm.DB, s *Survey, dim string) ([]Group, error) {
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	settings, err := SettingsOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	byGroup, err := sliceSizes(db, s, dim, nil)
	if err != nil {
		return nil, err
	}
	gs, err := groupsIn(db, s, def, dim, byGroup)
	if err != nil {
		return nil, err
	}
	Suppress(gs, settings.MinGroupSize)
	return gs, nil
}

// groupsIn lists the groups of dim with their sizes in a slice's rows; groups nobody is in
// are kept (shown as empty), respondents in no group are "Onbekend".
func groupsIn(db *gorm.DB, s *Survey, def *Definition, dim string, rows map[aggKey]Aggregate) ([]Group, error) {
	var gs []Group
	if dim != DimProvince { // provinces: those with respondents, as the stored breakdown has them
		var err error
		if gs, err = GroupChoices(db, s, def, dim); err != nil {
			return nil, err
		}
	}
	known := map[string]bool{}
	for i := range gs {
		known[gs[i].Key] = true
		gs[i].N = rows[aggKey{grp: gs[i].Key}].N
	}
	var other []string // a group in the data that the definition or register no longer has
	for k := range rows {
		if k.question == "" && k.grp != "" && !known[k.grp] {
			other = append(other, k.grp)
			known[k.grp] = true
		}
	}
	sort.Strings(other)
	for _, k := range other {
		gs = append(gs, Group{Key: k, Label: k, N: rows[aggKey{grp: k}].N})
	}
	if n := rows[aggKey{}].N; n > 0 {
		label := "Onbekend"
		if sliceQuestion(def, dim) != nil && dim != DimDepartment {
			label = "Geen antwoord" // respondents who skipped the question
		}
		gs = append(gs, Group{Key: "", Label: label, N: n})
	}
	return gs, nil
}

// suppressOwnFilter hides the groups of a breakdown filtered on one of its own groups:
// every other group is empty; the filter's group is shown, as its filter was applied only
// because the unfiltered breakdown shows it.
func suppressOwnFilter(gs []Group, value string) {
	for i := range gs {
		switch {
		case gs[i].N == 0:
			gs[i].Hidden, gs[i].Reason = true, HiddenEmpty
		case gs[i].Key != value:
			gs[i].Hidden, gs[i].Reason = true, HiddenComplement // cannot happen: it has no respondents
		}
	}
}

// LoadSlice builds the report of a stored slice (EnsureSlice): breakdown spec.Breakdown of
// the respondents that pass spec.Filter. A filter whose group its own breakdown hides is not
// applied (SliceInfo.Refused): a filter must never show a group a breakdown hides.
func LoadSlice(db *gorm.DB, s *Survey, spec SliceSpec) (*Report, *SliceInfo, error) {
	if err := CheckReportable(s); err != nil {
		return nil, nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, nil, err
	}
	settings, err := SettingsOf(db, s.ID)
	if err != nil {
		return nil, nil, err
	}
	info := &SliceInfo{}
	f := spec.Filter
	if f != nil && !knownFilter(db, s, f) {
		info.Refused, info.RefusedLabel, f = f, FilterLabel(def, f), nil
	}
	if f != nil {
		ok, err := filterShown(db, s, f)
		if err != nil {
			return nil, nil, err
		}
		if !ok {
			info.Refused, info.RefusedLabel, f = f, FilterLabel(def, f), nil
		} else {
			info.Filter, info.FilterLabel = f, FilterLabel(def, f)
		}
	}
	byGroup, total, err := sliceRows(db, s, spec.Breakdown, f)
	if err != nil {
		return nil, nil, err
	}
	rep := &Report{Survey: s, Def: def, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt, MinGroupSize: settings.MinGroupSize, Dimension: spec.Breakdown, Sliced: true}
	rep.Respondents = total[aggKey{}].N
	if err := db.Model(&Municipality{}).Where("register = ?", s.Register).Count(&rep.Population).Error; err != nil {
		return nil, nil, err
	}
	rep.RatePercent = roundPercent(rep.Respondents, rep.Population)
	if spec.Breakdown != DimAll {
		if f == nil {
			if rep.Groups, err = groupsIn(db, s, def, spec.Breakdown, byGroup); err != nil {
				return nil, nil, err
			}
			Suppress(rep.Groups, settings.MinGroupSize)
		} else {
			// The groups of the unfiltered breakdown, in its order, so both show the same rows.
			all, err := SliceGroups(db, s, spec.Breakdown)
			if err != nil {
				return nil, nil, err
			}
			for _, g := range all {
				rep.Groups = append(rep.Groups, Group{Key: g.Key, Label: g.Label, N: byGroup[aggKey{grp: g.Key}].N})
			}
			if spec.Breakdown == f.Dim {
				suppressOwnFilter(rep.Groups, f.Value)
			} else if err := suppressFiltered(db, s, def, settings.MinGroupSize, spec.Breakdown, f, all, rep.Groups); err != nil {
				return nil, nil, err
			}
		}
	}
	if f != nil {
		all, err := sliceSizes(db, s, DimAll, nil)
		if err != nil {
			return nil, nil, err
		}
		info.AllN = all[aggKey{}].N
	}
	fillQuestions(rep, def, settings, total, byGroup)
	return rep, info, nil
}

// suppressFiltered hides the groups gs of breakdown b filtered on f as the table of b
// against f's dimension decides (SuppressTable): the same cells that the breakdown by f's
// dimension filtered on any group of b shows or hides. rows are b's groups unfiltered.
func suppressFiltered(db *gorm.DB, s *Survey, def *Definition, minSize int, b string, f *Filter, rows, gs []Group) error {
	cols, err := SliceGroups(db, s, f.Dim)
	if err != nil {
		return err
	}
	n, err := pairCounts(db, s, def, b, f.Dim, rows, cols)
	if err != nil {
		return err
	}
	reasons := SuppressTable(rows, cols, n, minSize)
	col := -1
	for j, c := range cols {
		if c.Key == f.Value {
			col = j
		}
	}
	for i := range gs {
		switch {
		case col < 0:
			gs[i].Hidden, gs[i].Reason = true, HiddenComplement
		case reasons[i][col] != "":
			gs[i].Hidden, gs[i].Reason = true, reasons[i][col]
		}
	}
	return nil
}

// pairCounts counts the respondents in each row group of breakdown b and column group of
// breakdown d, both unfiltered, from stored slices: the answers to d's question in the
// breakdown by b (or b's in the breakdown by d), or for two register dimensions the tallies.
// A row or column of respondents who did not answer the question is the rest of its line.
func pairCounts(db *gorm.DB, s *Survey, def *Definition, b, d string, rows, cols []Group) ([][]int64, error) {
	n := make([][]int64, len(rows))
	for i := range n {
		n[i] = make([]int64, len(cols))
	}
	rest := func(line []Group, other []Group, get func(i, j int) *int64) {
		for i, g := range line {
			blank, sum := -1, int64(0)
			for j, o := range other {
				if o.Key == "" {
					blank = j
				} else {
					sum += *get(i, j)
				}
			}
			if blank >= 0 {
				*get(i, blank) = g.N - sum
			}
		}
	}
	if q := sliceQuestion(def, d); q != nil {
		byRow, _, err := sliceRows(db, s, b, nil)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			for j, c := range cols {
				if c.Key != "" {
					n[i][j] = byRow[aggKey{r.Key, q.Code, "", c.Key}].N
				}
			}
		}
		rest(rows, cols, func(i, j int) *int64 { return &n[i][j] })
		return n, nil
	}
	if q := sliceQuestion(def, b); q != nil {
		byCol, _, err := sliceRows(db, s, d, nil)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			for j, c := range cols {
				if r.Key != "" {
					n[i][j] = byCol[aggKey{c.Key, q.Code, "", r.Key}].N
				}
			}
		}
		rest(cols, rows, func(j, i int) *int64 { return &n[i][j] })
		return n, nil
	}
	rc, cc := tallyColumn(b), tallyColumn(d)
	var counts []struct {
		R, C string
		N    int64
	}
	if rc == "" || cc == "" {
		// The answers' language, which the tallies do not hold, against the register: from
		// the submitted responses themselves.
		rc, cc = responseColumn(b), responseColumn(d)
		if err := db.Raw(`SELECT `+rc+` AS r, `+cc+` AS c, COUNT(*) AS n FROM responses r
			LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
			WHERE r.survey_id = ? AND r.status = ? GROUP BY `+rc+`, `+cc, s.Register, s.ID, ResponseSubmitted).Scan(&counts).Error; err != nil {
			return nil, err
		}
	} else if err := db.Raw(`SELECT `+rc+` AS r, `+cc+` AS c, SUM(n) AS n FROM tallies WHERE survey_id = ? AND question = ''
		GROUP BY `+rc+`, `+cc, s.ID).Scan(&counts).Error; err != nil {
		return nil, err
	}
	ri, ci := map[string]int{}, map[string]int{}
	for i, r := range rows {
		ri[r.Key] = i
	}
	for j, c := range cols {
		ci[c.Key] = j
	}
	for _, x := range counts {
		i, ok1 := ri[x.R]
		j, ok2 := ci[x.C]
		if ok1 && ok2 {
			n[i][j] += x.N
		}
	}
	return n, nil
}

// filterShown reports whether f's group is shown in the unfiltered breakdown by f.Dim.
func filterShown(db *gorm.DB, s *Survey, f *Filter) (bool, error) {
	gs, err := SliceGroups(db, s, f.Dim)
	if err != nil {
		return false, err
	}
	for _, g := range gs {
		if g.Key == f.Value {
			return !g.Hidden, nil
		}
	}
	return false, nil
}

// fillQuestions computes every question's figures per cell under settings' bases: for the
// results page (LoadReport) and for a filtered or sliced report alike.
func fillQuestions(rep *Report, def *Definition, settings ResultSettings, total, byGroup map[aggKey]Aggregate) {
	profile := profileQuestion(def)
	for _, sec := range def.Sections {
		for qi := range sec.Questions {
			q := &sec.Questions[qi]
			if q.Kind == KindMunicipality {
				continue
			}
			qr := QuestionResult{Q: q, Section: sec.Title, Base: settings.BaseOf(q)}
			cells := append([]cellSource{{grp: "", rows: total}}, groupSources(rep.Groups, byGroup)...)
			if q.Kind == KindLikert {
				for _, st := range q.Statements {
					sr := StatementResult{Code: st.Code, Text: st.Text}
					for _, c := range cells {
						sr.Cells = append(sr.Cells, figuresOf(q, qr.Base, st.Code, c))
					}
					qr.Statements = append(qr.Statements, sr)
				}
			} else {
				for _, c := range cells {
					qr.Cells = append(qr.Cells, figuresOf(q, qr.Base, "", c))
				}
			}
			rep.Questions = append(rep.Questions, qr)
		}
	}
	for i := range rep.Questions {
		if profile != nil && rep.Questions[i].Q.Code == profile.Code {
			rep.Profile = &rep.Questions[i]
		}
	}
}

// ParseFilter reads "dim:value" (e.g. "afdeling:communicatie", "grootte:e_ge100k"); nil for
// an empty or unknown one.
func ParseFilter(def *Definition, s string) *Filter {
	dim, value, ok := strings.Cut(s, ":")
	if !ok || value == "" || dim == DimAll {
		return nil
	}
	if dim = NormalBreakdown(def, dim); dim == DimAll {
		return nil
	}
	return &Filter{Dim: dim, Value: value}
}

// String is the filter as ParseFilter reads it.
func (f *Filter) String() string {
	if f == nil {
		return ""
	}
	return f.Dim + ":" + f.Value
}
