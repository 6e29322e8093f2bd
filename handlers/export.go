package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/xuri/excelize/v2"
	"gorm.io/gorm"

	"peiling/models"
)

// exportLink is one download on the results page.
type exportLink struct {
	File, Label, Hint string
}

// exports are the files of a closed survey, by the name in their URL.
var exports = []exportLink{
	{"antwoorden-excel.csv", "Ruwe antwoorden (CSV voor Nederlandse Excel)", "puntkomma, UTF-8 met BOM, decimale komma"},
	{"codeboek-excel.csv", "Codeboek (CSV voor Nederlandse Excel)", "codes, labels en vraagteksten"},
	{"antwoorden.csv", "Ruwe antwoorden (CSV, komma)", "voor R, Python, SPSS: komma, decimale punt"},
	{"codeboek.csv", "Codeboek (CSV, komma)", ""},
	{"peiling.xlsx", "Excel-werkmap (XLSX)", "ruwe data, codeboek en per vraag de uitkomsten"},
	{"resultaten.json", "Uitkomsten (JSON)", "dezelfde cijfers als op deze pagina"},
	{"antwoorden.json", "Ruwe antwoorden (JSON)", "één object per inzending"},
}

// answersDeletedNote says in an export that the raw answers were deleted, and when.
func answersDeletedNote(e *models.AnswersDeletedError) string {
	return "De ruwe antwoorden zijn op " + dutchTime(e.At) + " verwijderd volgens de bewaartermijn van deze peiling. De uitkomsten zijn berekend toen de peiling sloot en zijn ongewijzigd."
}

// downloadsView is the page with every export of a closed survey.
type downloadsView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Settings   models.ResultSettings
	Exports    []exportLink
	// AnswersDeleted says when the raw answers were deleted under the retention setting.
	AnswersDeleted string
}

func (h *Handler) showDownloads(c *echo.Context) error {
	s := surveyOf(c)
	settings, err := models.SettingsOf(h.db.Read.WithContext(c.Request().Context()), s.ID)
	if err != nil {
		return err
	}
	view := downloadsView{Researcher: researcher(c), Survey: s, Settings: settings, Exports: exportLinks(s.Slug)}
	if ret, err := models.RetentionOf(h.db.Read.WithContext(c.Request().Context()), s.ID); err == nil && ret.AnswersDeletedAt != nil {
		view.AnswersDeleted = dutchTime(*ret.AnswersDeletedAt)
	}
	return c.Render(http.StatusOK, "results/downloads", view)
}

func exportLinks(slug string) []exportLink {
	out := make([]exportLink, len(exports))
	for i, e := range exports {
		e.File = "/admin/surveys/" + slug + "/export/" + e.File
		out[i] = e
	}
	return out
}

// flushEvery is how many rows go out between flushes, so a long export starts at once and
// memory stays flat.
const flushEvery = 500

func (h *Handler) exportFile(c *echo.Context) error {
	s := surveyOf(c)
	db := h.db.Read.WithContext(c.Request().Context())
	file := c.Param("file")
	h.log.Info("export", "survey", s.Slug, "file", file, "researcher", researcher(c).ID)
	switch file {
	case "antwoorden-excel.csv":
		return h.exportRawCSV(c, db, s, dutchCSV)
	case "antwoorden.csv":
		return h.exportRawCSV(c, db, s, plainCSV)
	case "codeboek-excel.csv":
		return h.exportCodebook(c, db, s, dutchCSV)
	case "codeboek.csv":
		return h.exportCodebook(c, db, s, plainCSV)
	case "peiling.xlsx":
		return h.exportXLSX(c, db, s)
	case "resultaten.json":
		return h.exportResultsJSON(c, db, s, false)
	case "antwoorden.json":
		return h.exportRawJSON(c, db, s, false)
	}
	return models.ErrNotFound
}

// download starts a file response; everything after it is streamed.
func download(c *echo.Context, contentType, name string) io.Writer {
	hdr := c.Response().Header()
	hdr.Set("Content-Type", contentType)
	if name != "" {
		hdr.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	}
	c.Response().WriteHeader(http.StatusOK)
	return c.Response()
}

func flush(c *echo.Context) { _ = http.NewResponseController(c.Response()).Flush() }

// csvDialect is one of the two CSV flavours.
type csvDialect struct {
	dutch bool // ';', BOM, every field quoted, decimal comma: Dutch Excel opens it as is
}

var (
	dutchCSV = csvDialect{dutch: true}
	plainCSV = csvDialect{}
)

// rowWriter writes CSV rows. encoding/csv quotes only where needed; Dutch Excel wants every
// field quoted, so that flavour quotes by the same RFC 4180 rule (double the quotes) itself.
type rowWriter struct {
	dutch bool
	plain *csv.Writer
	buf   *bufio.Writer
}

func newRowWriter(w io.Writer, d csvDialect) *rowWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	if d.dutch {
		bw.WriteString("\ufeff")
		return &rowWriter{dutch: true, buf: bw}
	}
	return &rowWriter{plain: csv.NewWriter(bw), buf: bw}
}

func (rw *rowWriter) write(fields []string) error {
	if !rw.dutch {
		return rw.plain.Write(fields)
	}
	for i, f := range fields {
		if i > 0 {
			rw.buf.WriteByte(';')
		}
		rw.buf.WriteByte('"')
		rw.buf.WriteString(strings.ReplaceAll(f, `"`, `""`))
		rw.buf.WriteByte('"')
	}
	_, err := rw.buf.WriteString("\r\n")
	return err
}

func (rw *rowWriter) flush() error {
	if rw.plain != nil {
		rw.plain.Flush()
		if err := rw.plain.Error(); err != nil {
			return err
		}
	}
	return rw.buf.Flush()
}

// formulaLike reports whether a spreadsheet that opens a CSV would evaluate text s as a
// formula (CSV injection): after any leading white space it starts with = or @ and has more
// to it, or with + or - followed by something that can be a formula. A lone "-", "+", or a
// text that ends in an operator such as "-geen-" is no valid formula and stays text.
func formulaLike(s string) bool {
	t := strings.TrimLeft(s, " \t\r\n")
	if len(t) < 2 {
		return false
	}
	switch t[0] {
	case '=', '@':
		return true
	case '+', '-':
		if strings.Trim(t, "+- ") == "" {
			return false
		}
		return !strings.ContainsRune("+-*/^&=<>(,;:", rune(t[len(t)-1]))
	}
	return false
}

// neutralise keeps a spreadsheet from reading a CSV text as a formula: only a text that
// would be evaluated gets a leading apostrophe. XLSX needs none (xlsxText).
func neutralise(s string) string {
	if formulaLike(s) {
		return "'" + s
	}
	return s
}

// amsterdamTime is t as Dutch wall-clock time: "04-12-2017 10:12:00", which Dutch Excel
// reads as a date and time, for the Dutch CSV; ISO 8601 with the offset for the plain one.
func amsterdamTime(t time.Time, d csvDialect) string {
	t = t.In(amsterdam)
	if d.dutch {
		return t.Format("02-01-2006 15:04:05")
	}
	return t.Format(time.RFC3339)
}

func formatCell(cell models.Cell, d csvDialect) string {
	switch {
	case cell.Time != nil:
		return amsterdamTime(*cell.Time, d)
	case cell.Number == nil:
		return neutralise(cell.Text)
	}
	s := strconv.FormatFloat(clean(*cell.Number), 'f', -1, 64)
	if d.dutch {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

func (h *Handler) exportRawCSV(c *echo.Context, db *gorm.DB, s *models.Survey, d csvDialect) error {
	if err := models.CheckAnswersKept(db, s.ID); err != nil {
		return err // before the download starts: a 410 page that says when, not an empty file
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	cols, err := h.exportColumns(c, s, def)
	if err != nil {
		return err
	}
	name := s.Slug + "-antwoorden.csv"
	if d.dutch {
		name = s.Slug + "-antwoorden-excel.csv"
	}
	rw := newRowWriter(download(c, "text/csv; charset=utf-8", name), d)
	head := make([]string, len(cols))
	for i, col := range cols {
		head[i] = col.Name
	}
	if err := rw.write(head); err != nil {
		return err
	}
	n := 0
	fields := make([]string, len(cols))
	err = models.StreamResponses(db, s, func(r *models.RawResponse) error {
		for i, cell := range r.Row(cols) {
			fields[i] = formatCell(cell, d)
		}
		if err := rw.write(fields); err != nil {
			return err
		}
		if n++; n%flushEvery == 0 {
			if err := rw.flush(); err != nil {
				return err
			}
			flush(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return rw.flush()
}

// exportColumns are the raw export's columns under the survey's anonymisation setting.
func (h *Handler) exportColumns(c *echo.Context, s *models.Survey, def *models.Definition) ([]models.Column, error) {
	settings, err := models.SettingsOf(h.db.Read.WithContext(c.Request().Context()), s.ID)
	if err != nil {
		return nil, err
	}
	return models.Columns(def, settings), nil
}

// columnBases says per raw column whom the results page's percentages of its question are
// of, with n: the codebook's "basis".
func columnBases(rep *models.Report) map[string]string {
	out := map[string]string{}
	for _, qr := range rep.Questions {
		q := qr.Q
		switch q.Kind {
		case models.KindMulti:
			for _, o := range q.Options {
				out[q.Code+"_"+o.Code] = fmt.Sprintf("%s (n = %d)", qr.BaseLabel(), qr.Cells[0].N)
			}
		case models.KindSingle, models.KindNumber, models.KindText:
			out[q.Code] = fmt.Sprintf("%s (n = %d)", qr.BaseLabel(), qr.Cells[0].N)
		case models.KindLikert:
			for _, st := range qr.Statements {
				out[q.Code+"_"+st.Code] = fmt.Sprintf("%s (n = %d)", qr.BaseLabel(), st.Cells[0].N)
			}
		}
	}
	return out
}

// codebookRows are the codebook: one row per column, then one per value of the column.
func codebookRows(cols []models.Column, bases map[string]string) [][]string {
	rows := [][]string{{"kolom", "vraag", "soort", "waarde", "label", "basis"}}
	for _, col := range cols {
		rows = append(rows, []string{col.Name, col.Question, col.Soort, "", col.Text, bases[col.Name]})
		for _, v := range col.Values {
			rows = append(rows, []string{col.Name, col.Question, col.Soort, v.Code, v.Label, ""})
		}
	}
	return rows
}

// codebook is the codebook of s with the bases of its closed report.
func (h *Handler) codebook(c *echo.Context, db *gorm.DB, s *models.Survey) ([][]string, []models.Column, error) {
	def, err := s.Def()
	if err != nil {
		return nil, nil, err
	}
	cols, err := h.exportColumns(c, s, def)
	if err != nil {
		return nil, nil, err
	}
	rep, err := models.LoadReport(db, s, models.DimAll)
	if err != nil {
		return nil, nil, err
	}
	return codebookRows(cols, columnBases(rep)), cols, nil
}

func (h *Handler) exportCodebook(c *echo.Context, db *gorm.DB, s *models.Survey, d csvDialect) error {
	book, _, err := h.codebook(c, db, s)
	if err != nil {
		return err
	}
	name := s.Slug + "-codeboek.csv"
	if d.dutch {
		name = s.Slug + "-codeboek-excel.csv"
	}
	rw := newRowWriter(download(c, "text/csv; charset=utf-8", name), d)
	for _, row := range book {
		for i := range row {
			row[i] = neutralise(row[i])
		}
		if err := rw.write(row); err != nil {
			return err
		}
	}
	return rw.flush()
}

// xlsxStyles are the cell styles of the workbook.
type xlsxStyles struct {
	text, time, percent, head int
}

// newXLSXStyles makes the styles: text carries Excel's quote prefix (the cell shows its text
// as typed and stays text when edited, without an apostrophe inside the value), time shows
// a date and time, percent a whole percentage.
func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var st xlsxStyles
	var err error
	if st.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil { // "@": text
		return st, err
	}
	// excelize has no option for quotePrefix; its style sheet is open to set it.
	yes := true
	f.Styles.CellXfs.Xf[st.text].QuotePrefix = &yes
	timeFmt := "dd-mm-yyyy hh:mm:ss"
	if st.time, err = f.NewStyle(&excelize.Style{CustomNumFmt: &timeFmt}); err != nil {
		return st, err
	}
	if st.percent, err = f.NewStyle(&excelize.Style{NumFmt: 9}); err != nil { // 0%
		return st, err
	}
	st.head, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	return st, err
}

// xlsxText is a text cell: a text that looks like a formula gets the quote-prefix style.
func xlsxText(s string, st xlsxStyles) any {
	if formulaLike(s) {
		return excelize.Cell{StyleID: st.text, Value: s}
	}
	return s
}

// xlsxCell is a raw-data cell for excelize: numbers stay numbers, times are Amsterdam
// date-time cells, texts are text.
func xlsxCell(cell models.Cell, st xlsxStyles) any {
	switch {
	case cell.Time != nil:
		// Excel times have no zone: write the Amsterdam wall clock.
		t := cell.Time.In(amsterdam)
		local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		return excelize.Cell{StyleID: st.time, Value: local}
	case cell.Number != nil:
		return clean(*cell.Number)
	}
	return xlsxText(cell.Text, st)
}

// fixedSheets are the workbook's own sheets, and "History", which Excel reserves.
var fixedSheets = []string{rawSheet, codebookSheet, "History"}

const (
	rawSheet      = "Ruwe data"
	codebookSheet = "Codeboek"
)

// sheetNames gives each question code a sheet name of at most 31 characters that differs,
// ignoring case as Excel does, from every other and from the fixed sheets: a clash gets
// "~2", "~3" … at the end, cutting the code to make room.
func sheetNames(codes []string) map[string]string {
	used := map[string]bool{}
	for _, s := range fixedSheets {
		used[strings.ToLower(s)] = true
	}
	out := map[string]string{}
	for _, code := range codes {
		name := code
		if len(name) > 31 {
			name = name[:31]
		}
		for n := 2; used[strings.ToLower(name)]; n++ {
			suffix := "~" + strconv.Itoa(n)
			name = code[:min(len(code), 31-len(suffix))] + suffix
		}
		used[strings.ToLower(name)] = true
		out[code] = name
	}
	return out
}

func (h *Handler) exportXLSX(c *echo.Context, db *gorm.DB, s *models.Survey) error {
	rep, err := models.LoadReport(db, s, models.DimAll)
	if err != nil {
		return err
	}
	book, cols, err := h.codebook(c, db, s)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", rawSheet); err != nil {
		return err
	}
	st, err := newXLSXStyles(f)
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(rawSheet)
	if err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, col := range cols {
		head[i] = excelize.Cell{StyleID: st.head, Value: col.Name}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	row := 2
	values := make([]any, len(cols))
	err = models.StreamResponses(db, s, func(r *models.RawResponse) error {
		for i, cell := range r.Row(cols) {
			values[i] = xlsxCell(cell, st)
		}
		cellName, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cellName, values)
	})
	var deleted *models.AnswersDeletedError
	if errors.As(err, &deleted) {
		// The workbook keeps its codebook and aggregates, and says why the raw sheet is empty.
		err = sw.SetRow("A2", []any{answersDeletedNote(deleted)})
	}
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	bookRows := make([][]any, len(book))
	for i, r := range book {
		for _, v := range r {
			bookRows[i] = append(bookRows[i], v)
		}
	}
	if err := writeSheet(f, codebookSheet, bookRows, st); err != nil {
		return err
	}
	var codes []string
	for _, qr := range rep.Questions {
		codes = append(codes, qr.Q.Code)
	}
	names := sheetNames(codes)
	for _, qr := range rep.Questions {
		if rows := aggregateRows(&qr); rows != nil {
			if err := writeSheet(f, names[qr.Q.Code], rows, st); err != nil {
				return err
			}
		}
	}
	w := download(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", s.Slug+".xlsx")
	return f.Write(w)
}

// percent is a share to write as a percentage cell: 80 % is 0.8 shown as "80%".
type percent int

// writeSheet writes rows to a new sheet: texts as text, numbers as numbers, percent as
// percentage cells; the first row is a title, the second the column heads.
func writeSheet(f *excelize.File, name string, rows [][]any, st xlsxStyles) error {
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			style := 0
			switch x := v.(type) {
			case percent:
				v, style = float64(x)/100, st.percent
			case string:
				if formulaLike(x) {
					style = st.text
				}
			case float64:
				v = clean(x)
			}
			if err := f.SetCellValue(name, cell, v); err != nil {
				return err
			}
			if style != 0 {
				if err := f.SetCellStyle(name, cell, cell, style); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// aggregateRows is one question's totals as a sheet: a title, whom the percentages are of,
// then heads and rows with labels, counts as numbers and percentages as percentage cells.
func aggregateRows(qr *models.QuestionResult) [][]any {
	q := qr.Q
	title := []any{q.Text + models.UnitSuffix(q)}
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		f := qr.Cells[0]
		rows := [][]any{title, {"Basis: " + qr.BaseLabel()}, {"code", "antwoord", "aantal", "percentage"}}
		for _, o := range f.Options {
			rows = append(rows, []any{o.Code, o.Label, o.Count, percent(o.Percent)})
		}
		rows = append(rows, []any{"n", "basis van de percentages", f.N})
		if q.Kind == models.KindMulti && qr.Base == models.BaseShown {
			rows = append(rows, []any{"aangekruist", "van hen minstens één antwoord aangekruist", f.Answered})
		}
		if q.DontKnow {
			rows = append(rows, []any{models.DontKnowCode, "weet niet (niet in de percentages)", f.DontKnow})
		}
		return rows
	case models.KindLikert:
		low, middle, high, hasMiddle := models.ScaleSummary(q.ScaleOptions)
		head := []any{"stelling", "tekst"}
		for _, o := range q.ScaleOptions {
			head = append(head, o.Label+" (aantal)", o.Label+" (%)")
		}
		head = append(head, "samen "+low+" (%)")
		if hasMiddle {
			head = append(head, "samen "+middle+" (%)")
		}
		head = append(head, "samen "+high+" (%)", "n (zonder weet niet)", "weet niet (aantal)")
		rows := [][]any{title, {"Basis: " + qr.BaseLabel()}, uniqueHeads(head)}
		for _, stt := range qr.Statements {
			f := stt.Cells[0]
			r := []any{stt.Code, stt.Text}
			for _, o := range f.Options {
				r = append(r, o.Count, percent(o.Percent))
			}
			r = append(r, percent(f.Disagree))
			if hasMiddle {
				r = append(r, percent(f.Neutral))
			}
			r = append(r, percent(f.Agree), f.N, f.DontKnow)
			rows = append(rows, r)
		}
		return rows
	case models.KindNumber:
		f := qr.Cells[0]
		rows := [][]any{title, {"Basis: " + qr.BaseLabel()}, {"maat", "waarde"}, {"n", f.N}}
		if f.N > 0 {
			rows = append(rows, []any{"gemiddelde", f.Mean})
		}
		if f.N > 0 && f.Stats {
			rows = append(rows, []any{"mediaan", f.Median}, []any{"laagste", f.Min}, []any{"hoogste", f.Max})
		}
		return rows
	case models.KindText:
		return [][]any{title, {"Basis: " + qr.BaseLabel()}, {"maat", "waarde"}, {"n", qr.Cells[0].N}}
	}
	return nil
}

// uniqueHeads makes column heads unique by numbering repeats: two scale points with the
// same label must not give one spreadsheet two columns of the same name.
func uniqueHeads(head []any) []any {
	seen := map[string]int{}
	for i, h := range head {
		s := fmt.Sprint(h)
		if seen[s]++; seen[s] > 1 {
			head[i] = fmt.Sprintf("%s %d", s, seen[s])
		}
	}
	return head
}

// exportRawJSON streams the raw responses as a JSON array, one object per response.
func (h *Handler) exportRawJSON(c *echo.Context, db *gorm.DB, s *models.Survey, api bool) error {
	if err := models.CheckAnswersKept(db, s.ID); err != nil {
		return err
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	cols, err := h.exportColumns(c, s, def)
	if err != nil {
		return err
	}
	name := s.Slug + "-antwoorden.json"
	if api {
		name = ""
	}
	bw := bufio.NewWriterSize(download(c, "application/json; charset=utf-8", name), 64<<10)
	enc := json.NewEncoder(bw)
	bw.WriteString("[\n")
	n := 0
	err = models.StreamResponses(db, s, func(r *models.RawResponse) error {
		obj := make(jsonObject, 0, len(cols))
		for i, cell := range r.Row(cols) {
			var v any
			switch {
			case cell.Time != nil:
				v = cell.Time.UTC().Format(time.RFC3339)
			case cell.Number != nil:
				v = clean(*cell.Number)
			case cell.Text != "":
				v = cell.Text
			}
			obj = append(obj, jsonField{cols[i].Name, v})
		}
		if n > 0 {
			bw.WriteString(",")
		}
		if n++; n%flushEvery == 0 {
			if err := bw.Flush(); err != nil {
				return err
			}
			flush(c)
		}
		return enc.Encode(obj)
	})
	if err != nil {
		return err
	}
	bw.WriteString("]\n")
	return bw.Flush()
}

// jsonObject is a JSON object that keeps its keys in column order.
type jsonObject []jsonField

type jsonField struct {
	Key   string
	Value any
}

func (o jsonObject) MarshalJSON() ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(f.Key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(f.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}

func (h *Handler) exportResultsJSON(c *echo.Context, db *gorm.DB, s *models.Survey, api bool) error {
	rep, info, err := h.sliceForJSON(c, db, s)
	if err != nil {
		return err
	}
	name := s.Slug + "-resultaten.json"
	if api {
		name = ""
	}
	enc := json.NewEncoder(download(c, "application/json; charset=utf-8", name))
	enc.SetIndent("", "  ")
	doc := resultsJSON(rep)
	if info != nil {
		def, _ := s.Def()
		if doc.Breakdown != nil {
			doc.Breakdown.Label = models.BreakdownLabel(def, rep.Dimension)
		}
		if f := info.Filter; f != nil {
			doc.Filter = &filterDoc{Dimension: f.Dim, Group: f.Value, Label: info.FilterLabel, RespondentsAll: info.AllN}
		}
		if f := info.Refused; f != nil {
			doc.FilterRefused = &filterDoc{Dimension: f.Dim, Group: f.Value, Label: info.RefusedLabel}
		}
	}
	return enc.Encode(doc)
}

// sliceForJSON is the report ?indeling= and ?filter= ask for, as on the results page: the
// stored aggregates, or a slice once it is counted (errStillComputing until then). info is
// nil for the stored aggregates.
func (h *Handler) sliceForJSON(c *echo.Context, db *gorm.DB, s *models.Survey) (*models.Report, *models.SliceInfo, error) {
	if err := models.CheckReportable(s); err != nil {
		return nil, nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, nil, err
	}
	dim := models.NormalBreakdown(def, dimParam(c))
	f := models.ParseFilter(def, c.QueryParam("filter"))
	if f == nil && isStoredDim(dim) || f == nil && dim == models.DimAll {
		rep, err := models.LoadReport(db, s, dim)
		if err == nil && dim != models.DimAll {
			return rep, &models.SliceInfo{}, nil
		}
		return rep, nil, err
	}
	spec := models.SliceSpec{Breakdown: dim, Filter: f}
	ready, err := h.prepareSlices(c.Request().Context(), s, spec)
	if err != nil {
		return nil, nil, err
	}
	if !ready {
		return nil, nil, errStillComputing
	}
	return models.LoadSlice(db, s, spec)
}
