package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

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
		view.Computing = computingText(def, dim, f)
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
		view.Filter, view.FilterLabel, view.FilterN, view.AllN = info.Filter.String(), info.FilterLabel, rep.Respondents, info.AllN
	}
	view.Refused = info.RefusedLabel
	return rep, view, h.sliceOptions(read, s, def, rep.Dimension, &view)
}

// computingText says which breakdown or filter is still being counted.
func computingText(def *models.Definition, dim string, f *models.Filter) string {
	var what []string
	if dim != models.DimAll {
		what = append(what, "de indeling naar ‘"+models.BreakdownLabel(def, dim)+"’")
	}
	if f != nil {
		what = append(what, "het filter ‘"+models.FilterLabel(def, f)+"’")
	}
	text := strings.Join(what, " met ")
	return strings.ToUpper(text[:1]) + text[1:]
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
	Shade   int // 0 (lightest) to 5, by the percentage shown
}

func shade(p int) int {
	if p <= 0 {
		return 0
	}
	return min(5, p/20+1)
}

func head(g models.Group) crossHead {
	if g.Hidden {
		return crossHead{Label: g.Label, Hidden: true}
	}
	return crossHead{Label: g.Label, N: fmt.Sprintf("n = %d", g.N)}
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
		v.Rows = append(v.Rows, dimOption{Value: d, Label: models.CrossLabel(def, d), Selected: d == showRow})
		v.Cols = append(v.Cols, dimOption{Value: d, Label: models.CrossLabel(def, d), Selected: d == showCol})
	}
	status := http.StatusOK
	switch {
	case c.QueryParam("rij") == "" && c.QueryParam("kolom") == "":
	case row == models.DimAll || col == models.DimAll:
		status, v.Problem = http.StatusUnprocessableEntity, "Kies iets voor de rijen en iets voor de kolommen"
	case row == col:
		status, v.Problem = http.StatusUnprocessableEntity, "Kies voor de rijen en de kolommen twee verschillende vragen of kenmerken"
	case models.IsMulti(def, row) && models.IsMulti(def, col):
		status, v.Problem = http.StatusUnprocessableEntity, "Kies hoogstens één vraag met meerdere antwoorden: van twee zulke vragen telt Peiling niet wie welke combinatie aankruiste"
	default:
		ct, err := h.loadCrossTable(c, s, row, col, f)
		if err != nil {
			return err
		}
		if ct == nil {
			v.Computing = true
			break
		}
		v.Table = crossTable(ct, v.ByColumn)
		v.Refused = ct.Info.RefusedLabel
		q := url.Values{"rij": {row}, "kolom": {col}}
		if ct.Info.Filter != nil {
			q.Set("filter", ct.Info.Filter.String())
		}
		for _, e := range crossExports {
			v.Downloads = append(v.Downloads, exportLink{File: "/admin/surveys/" + s.Slug + "/results/kruistabel/" + e.File + "?" + q.Encode(), Label: e.Label, Hint: e.Hint})
		}
	}
	return c.Render(status, "results/cross", v)
}

// crossTable turns a cross table into what the page shows, with row or column percentages.
func crossTable(ct *models.CrossTable, byColumn bool) *crossTableView {
	t := &crossTableView{Caption: ct.RowLabel + " tegen " + ct.ColLabel, Corner: ct.RowLabel, N: ct.N, Base: crossBase(ct)}
	if ct.Info.Filter != nil {
		t.Filter = ct.Info.FilterLabel
	}
	for _, c := range ct.Cols {
		t.Heads = append(t.Heads, head(c))
		t.HiddenAn = t.HiddenAn || c.Hidden
	}
	for i, r := range ct.Rows {
		rv := crossRowView{crossHead: head(r)}
		t.HiddenAn = t.HiddenAn || r.Hidden
		for _, cell := range ct.Cells[i] {
			p := cell.RowPercent
			if byColumn {
				p = cell.ColPercent
			}
			rv.Cells = append(rv.Cells, crossCellView{Hidden: cell.Hidden, N: cell.N, Percent: p, Shade: shade(p)})
		}
		t.Rows = append(t.Rows, rv)
	}
	for _, c := range ct.Cols {
		t.Totals = append(t.Totals, head(c))
	}
	return t
}

// crossBase says whom a cross table with a multiple-choice question counts; "" without one.
func crossBase(ct *models.CrossTable) string {
	if ct.Multi == "" {
		return ""
	}
	where := "kolom"
	if ct.RowDim == ct.Multi {
		where = "rij"
	}
	return fmt.Sprintf("Basis: %s (n = %d). Een respondent telt in elke %s waarvan hij het antwoord aankruiste, dus de percentages van een groep tellen op tot meer dan 100 en de cellen samen tot meer dan n.",
		ct.Base, ct.N, where)
}

var crossExports = []exportLink{
	{"kruistabel-excel.csv", "Kruistabel (CSV voor Nederlandse Excel)", "puntkomma, UTF-8 met BOM"},
	{"kruistabel.csv", "Kruistabel (CSV, komma)", ""},
	{"kruistabel.xlsx", "Kruistabel (XLSX)", "aantallen, rij- en kolompercentages"},
}

// crossRows is the cross table as rows of text: counts, then row and column percentages;
// a hidden cell or margin says "verborgen".
func crossRows(ct *models.CrossTable) [][]string {
	var out [][]string
	block := func(title string, value func(models.CrossCell) string, margins bool) {
		headRow := []string{title + ": " + ct.RowLabel + " \\ " + ct.ColLabel}
		for _, c := range ct.Cols {
			headRow = append(headRow, c.Label)
		}
		if margins {
			headRow = append(headRow, "Totaal")
		}
		out = append(out, headRow)
		for i, r := range ct.Rows {
			row := []string{r.Label}
			for _, cell := range ct.Cells[i] {
				if cell.Hidden {
					row = append(row, "verborgen")
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
			total := []string{"Totaal"}
			for _, c := range ct.Cols {
				total = append(total, marginText(c))
			}
			out = append(out, append(total, strconv.FormatInt(ct.N, 10)))
		}
		out = append(out, nil)
	}
	if base := crossBase(ct); base != "" {
		out = append(out, []string{base}, nil)
	}
	block("Aantallen", func(c models.CrossCell) string { return strconv.FormatInt(c.N, 10) }, true)
	block("Rijpercentages", func(c models.CrossCell) string { return strconv.Itoa(c.RowPercent) }, false)
	block("Kolompercentages", func(c models.CrossCell) string { return strconv.Itoa(c.ColPercent) }, false)
	return out[:len(out)-1]
}

func marginText(g models.Group) string {
	if g.Hidden {
		return "verborgen"
	}
	return strconv.FormatInt(g.N, 10)
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
	rows := crossRows(ct)
	name := s.Slug + "-" + ct.RowDim + "-" + ct.ColDim
	if file == "kruistabel.xlsx" {
		return crossXLSX(c, name+".xlsx", rows)
	}
	d := plainCSV
	if file == "kruistabel-excel.csv" {
		d = dutchCSV
	}
	rw := newCSVWriter(download(c, "text/csv; charset=utf-8", name+".csv"), d)
	for _, r := range rows {
		fields := make([]string, len(r))
		for i, v := range r {
			fields[i] = neutralise(v)
		}
		if err := rw.Write(fields); err != nil {
			return err
		}
	}
	return rw.flush()
}

// crossXLSX writes the rows on one sheet: counts as numbers, percentages as percentage
// cells, labels as text (a text cell is never evaluated, so it needs no neutralising).
func crossXLSX(c *echo.Context, name string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Kruistabel"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	pct, err := f.NewStyle(&excelize.Style{NumFmt: 9})
	if err != nil {
		return err
	}
	percentages := false
	for i, r := range rows {
		if len(r) > 0 && strings.HasSuffix(strings.SplitN(r[0], ":", 2)[0], "percentages") {
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
