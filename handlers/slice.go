package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/labstack/echo/v5"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"peiling/locales"
	"peiling/models"
)

// sliceRoutes are the cross table and its downloads; breakdowns by a question and filters
// are query parameters of the results page itself (?indeling=, ?filter=).
func (h *Handler) sliceRoutes(r *echo.Group) {
	r.GET("/results/kruistabel", h.showCrossTable)
	r.GET("/results/kruistabel/:file", h.exportCrossTable)
}

// sliceView is what the results page shows and offers beyond the stored breakdowns: a
// breakdown by any single-choice question and a filter (researchers only).
type sliceView struct {
	Public      bool
	Breakdowns  []dimOption // the single-choice questions
	Filters     []filterGroupView
	Filter      string // the filter applied, as in the URL
	FilterLabel string
	FilterN     int64 // respondents in the filtered set
	AllN        int64 // respondents without the filter
	Refused     string
	Computing   string // the breakdown or filter still being counted after closing
	CrossURL    string
}

// filterGroupView is one dimension in the filter's select.
type filterGroupView struct {
	Label   string
	Options []dimOption
}

// sliceReport loads the report the results page shows for breakdown dim and the filter in
// the query: the stored aggregates when no question or filter is involved, a slice
// otherwise. The public page keeps to the stored breakdowns.
func (h *Handler) sliceReport(c *echo.Context, s *models.Survey, dim string, public bool) (*models.Report, sliceView, error) {
	ctx := c.Request().Context()
	read := h.db.Read.WithContext(ctx)
	view := sliceView{Public: public}
	def, err := s.Def()
	if err != nil {
		return nil, view, err
	}
	dim = models.NormalBreakdown(def, dim)
	stored := dim == models.DimAll || dim == models.DimDepartment || dim == models.DimProvince || dim == models.DimSize
	var f *models.Filter
	if !public {
		f = models.ParseFilter(def, c.QueryParam("filter"))
	}
	if f == nil && (stored || public) {
		if !stored {
			dim = models.DimAll
		}
		rep, err := models.LoadReport(read, s, dim)
		if err == nil && !public {
			err = h.sliceOptions(read, s, def, rep.Dimension, &view)
		}
		return rep, view, err
	}
	spec := models.SliceSpec{Breakdown: dim, Filter: f}
	ready, err := h.prepareSlices(ctx, s, spec)
	if err != nil {
		return nil, view, err
	}
	if !ready {
		// Still being counted after closing: say so, and show everyone meanwhile.
		view.Computing = computingText(tr(c), def, dim, f)
		view.Filter = f.String()
		rep, err := models.LoadReport(read, s, models.DimAll)
		if err == nil {
			err = h.sliceOptions(read, s, def, dim, &view)
		}
		return rep, view, err
	}
	rep, info, err := models.LoadSlice(read, s, spec)
	if err != nil {
		return nil, view, err
	}
	if info.Filter != nil {
		view.Filter, view.FilterLabel, view.FilterN, view.AllN = info.Filter.String(), filterLabel(tr(c), def, info.Filter), rep.Respondents, info.AllN
	}
	if info.Refused != nil {
		view.Refused = filterLabel(tr(c), def, info.Refused)
	}
	return rep, view, h.sliceOptions(read, s, def, rep.Dimension, &view)
}

// computingText says, in tl's language, which breakdown or filter is still being counted.
func computingText(tl *locales.Translator, def *models.Definition, dim string, f *models.Filter) string {
	var text string
	switch {
	case dim != models.DimAll && f != nil:
		text = tl.T("results.slice.computing_both",
			"Breakdown", tl.T("results.slice.computing_breakdown", "Label", breakdownLabel(tl, def, dim)),
			"Filter", tl.T("results.slice.computing_filter", "Label", filterLabel(tl, def, f)))
	case f != nil:
		text = tl.T("results.slice.computing_filter", "Label", filterLabel(tl, def, f))
	default:
		text = tl.T("results.slice.computing_breakdown", "Label", breakdownLabel(tl, def, dim))
	}
	r, size := utf8.DecodeRuneInString(text)
	return string(unicode.ToUpper(r)) + text[size:]
}

// filterLabel is models' FilterLabel in tl's language: the dimension's name and the size
// group's as the breakdowns say them.
func filterLabel(tl *locales.Translator, def *models.Definition, f *models.Filter) string {
	value := strings.TrimPrefix(models.FilterLabel(def, f), models.BreakdownLabel(def, f.Dim)+": ")
	if f.Dim == models.DimSize && isSizeClass(f.Value) {
		value = tl.T("admin.size." + f.Value)
	}
	return breakdownLabel(tl, def, f.Dim) + ": " + value
}

// prepareSlices stores what specs need unless it is stored, and reports whether all of it
// is: a look on the read pool; a slice of the tallies is counted at once on the write pool,
// a slice that involves a question by the background job (slicejobs.go), which the request
// waits for only briefly.
func (h *Handler) prepareSlices(ctx context.Context, s *models.Survey, specs ...models.SliceSpec) (bool, error) {
	missing, err := h.missingSlices(ctx, s, specs)
	if err != nil || len(missing) == 0 {
		return true, err
	}
	if models.SliceFromAnswers(missing) {
		finished, err := h.awaitSlices(ctx, h.startSlices(s))
		if err != nil || !finished {
			return false, err
		}
		if missing, err = h.missingSlices(ctx, s, specs); err != nil {
			return false, err
		}
	}
	for _, m := range missing { // the tallies' slices (and, should the job have missed one, any other)
		if err := models.EnsureSlice(h.computeDB(ctx), s, m.Breakdown, m.Filter); err != nil {
			return false, err
		}
	}
	return true, nil
}

func (h *Handler) missingSlices(ctx context.Context, s *models.Survey, specs []models.SliceSpec) ([]models.SliceSpec, error) {
	var missing []models.SliceSpec
	for _, spec := range specs {
		m, err := models.MissingSlices(h.db.Read.WithContext(ctx), s, spec)
		if err != nil {
			return nil, err
		}
		missing = append(missing, m...)
	}
	return missing, nil
}

// computeDB is the write pool for counting a slice of the tallies, detached from the
// request's cancellation: it is kept for the next request instead of being rolled back when
// the first one gives up.
func (h *Handler) computeDB(ctx context.Context) *gorm.DB {
	return h.db.Write.WithContext(context.WithoutCancel(ctx))
}

// sliceOptions fills the breakdown and filter choices.
func (h *Handler) sliceOptions(db *gorm.DB, s *models.Survey, def *models.Definition, dim string, view *sliceView) error {
	view.CrossURL = "/admin/surveys/" + s.Slug + "/results/kruistabel"
	for _, d := range models.Breakdowns(def) {
		choices, err := models.GroupChoices(db, s, def, d)
		if err != nil {
			return err
		}
		g := filterGroupView{Label: models.BreakdownLabel(def, d)}
		for _, ch := range choices {
			value := d + ":" + ch.Key
			g.Options = append(g.Options, dimOption{Value: value, Label: ch.Label, Selected: value == view.Filter})
		}
		view.Filters = append(view.Filters, g)
		if !isStoredDim(d) {
			view.Breakdowns = append(view.Breakdowns, dimOption{Value: d, Label: models.BreakdownLabel(def, d), Selected: d == dim})
		}
	}
	return nil
}

func isStoredDim(d string) bool {
	for _, s := range models.Dimensions {
		if d == s {
			return true
		}
	}
	return false
}

// sliceQuery is the breakdown and filter as a query string, for links that must keep them.
func sliceQuery(dim, filter string) string {
	v := url.Values{}
	if dim != "" {
		v.Set("indeling", dim)
	}
	if filter != "" {
		v.Set("filter", filter)
	}
	if len(v) == 0 {
		return ""
	}
	return "?" + v.Encode()
}

// keepSlice makes every chart download of the page carry the filter as well.
func keepSlice(v *resultsView) {
	if v.Slice.Filter == "" {
		return
	}
	for si := range v.Sections {
		for qi := range v.Sections[si].Questions {
			qv := &v.Sections[si].Questions[qi]
			base, _, _ := strings.Cut(qv.ChartURL, "?")
			qv.ChartURL = base + sliceQuery(v.Dim, v.Slice.Filter)
		}
	}
}

// crossView is the cross table page.
type crossView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	ResultsURL string
	Rows       []dimOption
	Cols       []dimOption
	Filters    []filterGroupView
	ByColumn   bool // percentages of the column instead of the row
	Table      *crossTableView
	Problem    string
	Refused    string
	Computing  bool // the slices are still being counted after closing
	Downloads  []exportLink
}

type crossTableView struct {
	Caption  string
	Corner   string
	Heads    []crossHead
	Rows     []crossRowView
	Totals   []crossHead // column margins
	N        int64
	Filter   string
	HiddenAn bool
	Base     string // a multiple-choice question's base, and that a respondent can count more than once
}

type crossHead struct {
	Label  string
	N      string // "n = 12", or empty when hidden
	Hidden bool
}

type crossRowView struct {
	crossHead
	Cells []crossCellView
}

type crossCellView struct {
	Hidden  bool
	N       int64
	Percent int
	Shade   int    // 0 (lightest) to 5, by the percentage shown
	Share   string // Percent as the page's language writes it
}

func shade(p int) int {
	if p <= 0 {
		return 0
	}
	return min(5, p/20+1)
}

// head is a row's or column's heading, its group named in tl's language.
func head(tl *locales.Translator, dim string, g models.Group) crossHead {
	label := crossGroupLabel(tl, dim, g)
	if g.Hidden {
		return crossHead{Label: label, Hidden: true}
	}
	return crossHead{Label: label, N: fmt.Sprintf("n = %d", g.N)}
}

// crossGroupLabel names a group of a cross table's axis dim as groupLabel (results.go) does
// on the results page: the unknown group, no answer and the size groups in tl's language.
func crossGroupLabel(tl *locales.Translator, dim string, g models.Group) string {
	return groupLabel(tl, &models.Report{Dimension: dim}, g)
}

// crossLabel is models' CrossLabel in tl's language.
func crossLabel(tl *locales.Translator, def *models.Definition, dim string) string {
	if models.IsMulti(def, dim) {
		return models.CrossLabel(def, dim)
	}
	return breakdownLabel(tl, def, dim)
}

// crossParams reads the cross table's dimensions and filter from the query.
func crossParams(c *echo.Context, def *models.Definition) (row, col string, f *models.Filter) {
	return models.NormalCrossDim(def, c.QueryParam("rij")), models.NormalCrossDim(def, c.QueryParam("kolom")),
		models.ParseFilter(def, c.QueryParam("filter"))
}

// loadCrossTable stores the slices a cross table needs, then reads it; nil while they are
// still being counted after closing.
func (h *Handler) loadCrossTable(c *echo.Context, s *models.Survey, row, col string, f *models.Filter) (*models.CrossTable, error) {
	ctx := c.Request().Context()
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	ready, err := h.prepareSlices(ctx, s, models.CrossSpecs(def, row, col, f)...)
	if err != nil || !ready {
		return nil, err
	}
	return models.LoadCrossTable(h.db.Read.WithContext(ctx), s, row, col, f)
}

func (h *Handler) showCrossTable(c *echo.Context) error {
	s := surveyOf(c)
	read := h.db.Read.WithContext(c.Request().Context())
	def, err := s.Def()
	if err != nil {
		return err
	}
	row, col, f := crossParams(c, def)
	v := crossView{Researcher: researcher(c), Survey: s, ResultsURL: "/admin/surveys/" + s.Slug + "/results", ByColumn: c.QueryParam("procent") == "kolom"}
	var opts sliceView
	opts.Filter = f.String()
	if err := h.sliceOptions(read, s, def, "", &opts); err != nil {
		return err
	}
	tl := tr(c)
	sliceIn(tl, def, &opts)
	v.Filters = opts.Filters
	showRow, showCol := row, col // what the selects offer first: two different dimensions
	dims := models.CrossDims(def)
	if showRow == models.DimAll {
		showRow = dims[0]
	}
	for _, d := range dims { // a question, rather than the register or the answers' language
		if showCol == models.DimAll && d != showRow && d != models.DimProvince && d != models.DimSize && d != models.DimLanguage {
			showCol = d
		}
	}
	for _, d := range dims {
		if showCol == models.DimAll && d != showRow {
			showCol = d
		}
	}
	for _, d := range dims {
		v.Rows = append(v.Rows, dimOption{Value: d, Label: crossLabel(tl, def, d), Selected: d == showRow})
		v.Cols = append(v.Cols, dimOption{Value: d, Label: crossLabel(tl, def, d), Selected: d == showCol})
	}
	status := http.StatusOK
	switch {
	case c.QueryParam("rij") == "" && c.QueryParam("kolom") == "":
	case row == models.DimAll || col == models.DimAll:
		status, v.Problem = http.StatusUnprocessableEntity, tl.T("results.cross.problem_missing")
	case row == col:
		status, v.Problem = http.StatusUnprocessableEntity, tl.T("results.cross.problem_same")
	case models.IsMulti(def, row) && models.IsMulti(def, col):
		status, v.Problem = http.StatusUnprocessableEntity, tl.T("results.cross.problem_two_multi")
	default:
		ct, err := h.loadCrossTable(c, s, row, col, f)
		if err != nil {
			return err
		}
		if ct == nil {
			v.Computing = true
			break
		}
		v.Table = crossTable(tl, def, ct, v.ByColumn)
		if ct.Info.Refused != nil {
			v.Refused = filterLabel(tl, def, ct.Info.Refused)
		}
		q := url.Values{"rij": {row}, "kolom": {col}}
		if ct.Info.Filter != nil {
			q.Set("filter", ct.Info.Filter.String())
		}
		for _, e := range crossExports {
			link := exportLink{File: "/admin/surveys/" + s.Slug + "/results/kruistabel/" + e.File + "?" + q.Encode(), Label: tl.T(e.Label)}
			if e.Hint != "" {
				link.Hint = tl.T(e.Hint)
			}
			v.Downloads = append(v.Downloads, link)
		}
	}
	return c.Render(status, "results/cross", v)
}

// crossTable turns a cross table into what the page shows, in tl's language, with row or
// column percentages.
func crossTable(tl *locales.Translator, def *models.Definition, ct *models.CrossTable, byColumn bool) *crossTableView {
	rowLabel, colLabel := crossLabel(tl, def, ct.RowDim), crossLabel(tl, def, ct.ColDim)
	t := &crossTableView{Caption: tl.T("results.cross.versus", "Row", rowLabel, "Col", colLabel), Corner: rowLabel, N: ct.N, Base: crossBase(tl, ct)}
	if ct.Info.Filter != nil {
		t.Filter = filterLabel(tl, def, ct.Info.Filter)
	}
	for _, c := range ct.Cols {
		t.Heads = append(t.Heads, head(tl, ct.ColDim, c))
		t.HiddenAn = t.HiddenAn || c.Hidden
	}
	for i, r := range ct.Rows {
		rv := crossRowView{crossHead: head(tl, ct.RowDim, r)}
		t.HiddenAn = t.HiddenAn || r.Hidden
		for _, cell := range ct.Cells[i] {
			p := cell.RowPercent
			if byColumn {
				p = cell.ColPercent
			}
			rv.Cells = append(rv.Cells, crossCellView{Hidden: cell.Hidden, N: cell.N, Percent: p, Shade: shade(p), Share: tl.Percent(float64(p), 0)})
		}
		t.Rows = append(t.Rows, rv)
	}
	for _, c := range ct.Cols {
		t.Totals = append(t.Totals, head(tl, ct.ColDim, c))
	}
	return t
}

// crossBase says, in tl's language, whom a cross table with a multiple-choice question
// counts; "" without one.
func crossBase(tl *locales.Translator, ct *models.CrossTable) string {
	if ct.Multi == "" {
		return ""
	}
	key := "results.cross.base_col"
	if ct.RowDim == ct.Multi {
		key = "results.cross.base_row"
	}
	base := ct.Base
	if ct.BaseOf != nil {
		base = baseLabel(tl, ct.BaseOf)
	}
	return tl.T(key, "Base", base, "N", ct.N)
}

// crossExports are the cross table's files; Label and Hint are message ids.
var crossExports = []exportLink{
	{"kruistabel-excel.csv", "results.cross.file_excel", "results.cross.file_excel_hint"},
	{"kruistabel.csv", "results.cross.file_csv", ""},
	{"kruistabel.xlsx", "results.cross.file_xlsx", "results.cross.file_xlsx_hint"},
}

// crossRows is the cross table as rows of text in tl's language: counts, then row and
// column percentages; a hidden cell or margin says "verborgen" (hidden).
func crossRows(tl *locales.Translator, def *models.Definition, ct *models.CrossTable) [][]string {
	var out [][]string
	rowLabel, colLabel := crossLabel(tl, def, ct.RowDim), crossLabel(tl, def, ct.ColDim)
	hidden := tl.T("results.cross.sheet_hidden")
	marginText := func(g models.Group) string {
		if g.Hidden {
			return hidden
		}
		return strconv.FormatInt(g.N, 10)
	}
	block := func(title string, value func(models.CrossCell) string, margins bool) {
		headRow := []string{title + ": " + rowLabel + " \\ " + colLabel}
		for _, c := range ct.Cols {
			headRow = append(headRow, crossGroupLabel(tl, ct.ColDim, c))
		}
		if margins {
			headRow = append(headRow, tl.T("results.cross.total"))
		}
		out = append(out, headRow)
		for i, r := range ct.Rows {
			row := []string{crossGroupLabel(tl, ct.RowDim, r)}
			for _, cell := range ct.Cells[i] {
				if cell.Hidden {
					row = append(row, hidden)
				} else {
					row = append(row, value(cell))
				}
			}
			if margins {
				row = append(row, marginText(r))
			}
			out = append(out, row)
		}
		if margins {
			total := []string{tl.T("results.cross.total")}
			for _, c := range ct.Cols {
				total = append(total, marginText(c))
			}
			out = append(out, append(total, strconv.FormatInt(ct.N, 10)))
		}
		out = append(out, nil)
	}
	if base := crossBase(tl, ct); base != "" {
		out = append(out, []string{base}, nil)
	}
	block(tl.T("results.cross.sheet_counts"), func(c models.CrossCell) string { return strconv.FormatInt(c.N, 10) }, true)
	block(tl.T("results.cross.sheet_row_percent"), func(c models.CrossCell) string { return strconv.Itoa(c.RowPercent) }, false)
	block(tl.T("results.cross.sheet_col_percent"), func(c models.CrossCell) string { return strconv.Itoa(c.ColPercent) }, false)
	return out[:len(out)-1]
}

func (h *Handler) exportCrossTable(c *echo.Context) error {
	s := surveyOf(c)
	def, err := s.Def()
	if err != nil {
		return err
	}
	row, col, f := crossParams(c, def)
	file := c.Param("file")
	if file != "kruistabel-excel.csv" && file != "kruistabel.csv" && file != "kruistabel.xlsx" {
		return models.ErrNotFound
	}
	ct, err := h.loadCrossTable(c, s, row, col, f)
	if err != nil {
		return err
	}
	if ct == nil {
		return errStillComputing
	}
	h.log.Info("export", "survey", s.Slug, "file", file, "researcher", researcher(c).ID)
	tl := tr(c)
	rows := crossRows(tl, def, ct)
	name := s.Slug + "-" + ct.RowDim + "-" + ct.ColDim
	if file == "kruistabel.xlsx" {
		return crossXLSX(c, tl, name+".xlsx", rows)
	}
	d := plainCSV
	if file == "kruistabel-excel.csv" {
		d = dutchCSV
	}
	rw := newCSVWriter(download(c, "text/csv; charset=utf-8", name+".csv"), d)
	for _, r := range rows {
		fields := make([]string, len(r))
		for i, v := range r {
			fields[i] = models.Neutralise(v)
		}
		if err := rw.Write(fields); err != nil {
			return err
		}
	}
	return rw.flush()
}

// crossXLSX writes the rows on one sheet: counts as numbers, percentages as percentage
// cells, labels as text (a text cell is never evaluated, so it needs no neutralising).
func crossXLSX(c *echo.Context, tl *locales.Translator, name string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := tl.T("results.cross.sheet")
	percentTitles := []string{tl.T("results.cross.sheet_row_percent") + ": ", tl.T("results.cross.sheet_col_percent") + ": "}
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		return err
	}
	percentages := false
	for i, r := range rows {
		if len(r) > 0 && (strings.HasPrefix(r[0], percentTitles[0]) || strings.HasPrefix(r[0], percentTitles[1])) {
			percentages = true
		}
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			n, err := strconv.ParseInt(v, 10, 64)
			switch {
			case err != nil || j == 0:
				err = f.SetCellStr(sheet, cell, v)
			case percentages:
				err = f.SetCellFloat(sheet, cell, float64(n)/100, -1, 64)
				if err == nil {
					err = f.SetCellStyle(sheet, cell, cell, pct)
				}
			default:
				err = f.SetCellInt(sheet, cell, n)
			}
			if err != nil {
				return err
			}
		}
	}
	return f.Write(download(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name))
}
