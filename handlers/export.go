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

	"peiling/locales"
	"peiling/models"
)

// exportLink is one download on the results page.
type exportLink struct {
	File, Label, Hint string
}

// exports are the files of a closed survey, by the name in their URL.
// Label and Hint are catalogue messages.
var exports = []exportLink{
	{"antwoorden-excel.csv", "export.files.answers_excel", "export.files.answers_excel_hint"},
	{"codeboek-excel.csv", "export.files.codebook_excel", "export.files.codebook_excel_hint"},
	{"antwoorden.csv", "export.files.answers_csv", "export.files.answers_csv_hint"},
	{"codeboek.csv", "export.files.codebook_csv", ""},
	{"peiling.xlsx", "export.files.xlsx", "export.files.xlsx_hint"},
	{"resultaten.json", "export.files.results_json", "export.files.results_json_hint"},
	{"antwoorden.json", "export.files.answers_json", "export.files.answers_json_hint"},
}

// answersDeletedNote says in an export that the raw answers were deleted, and when.
func answersDeletedNote(t *locales.Translator, e *models.AnswersDeletedError) string {
	return t.T("export.answers_deleted", "At", t.DateTime(e.At))
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
	view := downloadsView{Researcher: researcher(c), Survey: s, Settings: settings, Exports: exportLinks(tr(c), s.Slug)}
	if ret, err := models.RetentionOf(h.db.Read.WithContext(c.Request().Context()), s.ID); err == nil && ret.AnswersDeletedAt != nil {
		view.AnswersDeleted = tr(c).DateTime(*ret.AnswersDeletedAt)
	}
	return c.Render(http.StatusOK, "results/downloads", view)
}

func exportLinks(t *locales.Translator, slug string) []exportLink {
	out := make([]exportLink, len(exports))
	for i, e := range exports {
		e.File = "/admin/surveys/" + slug + "/export/" + e.File
		e.Label = t.T(e.Label)
		if e.Hint != "" {
			e.Hint = t.T(e.Hint)
		}
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
	dutch bool // ';', CRLF, BOM, decimal comma: Dutch Excel opens it as is
}

var (
	dutchCSV = csvDialect{dutch: true}
	plainCSV = csvDialect{}
)

// csvWriter writes rows of d through encoding/csv, which quotes a field only where it must
// (RFC 4180), into a 64 KB buffer; the Dutch flavour starts with a BOM, so Excel reads UTF-8.
type csvWriter struct {
	*csv.Writer
	buf *bufio.Writer
}

func newCSVWriter(w io.Writer, d csvDialect) csvWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if d.dutch {
		bw.WriteString("\ufeff")
		cw.Comma, cw.UseCRLF = ';', true
	}
	return csvWriter{cw, bw}
}

// flush writes out what is buffered.
func (w csvWriter) flush() error {
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return w.buf.Flush()
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
	if s.Status == models.StatusClosed {
		h.startSlices(s) // packs the records if that was not done after this close: the next export reads packs
	}
	name := s.Slug + "-antwoorden.csv"
	if d.dutch {
		name = s.Slug + "-antwoorden-excel.csv"
	}
	w := newCSVWriter(download(c, "text/csv; charset=utf-8", name), d)
	head := make([]string, len(cols))
	for i, col := range cols {
		head[i] = col.Name
	}
	if err := w.Write(head); err != nil {
		return err
	}
	n := 0
	err = models.StreamCSV(db, s, cols, d.dutch, func(fields []string) error {
		if err := w.Write(fields); err != nil {
			return err
		}
		if n++; n%flushEvery == 0 {
			if err := w.flush(); err != nil {
				return err
			}
			flush(c)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return w.flush()
}

// exportColumns are the raw export's columns under the survey's anonymisation setting.
func (h *Handler) exportColumns(c *echo.Context, s *models.Survey, def *models.Definition) ([]models.Column, error) {
	settings, err := models.SettingsOf(h.db.Read.WithContext(c.Request().Context()), s.ID)
	if err != nil {
		return nil, err
	}
	return models.Columns(def.In(tr(c).Code()), settings), nil
}

// columnBases says per raw column whom the results page's percentages of its question are
// of, with n: the codebook's "basis".
func columnBases(tl *locales.Translator, rep *models.Report) map[string]string {
	out := map[string]string{}
	for _, qr := range rep.Questions {
		q := qr.Q
		switch q.Kind {
		case models.KindMulti:
			for _, o := range q.Options {
				out[q.Code+"_"+o.Code] = fmt.Sprintf("%s (n = %d)", baseLabel(tl, &qr), qr.Cells[0].N)
			}
		case models.KindSingle, models.KindNumber, models.KindText:
			out[q.Code] = fmt.Sprintf("%s (n = %d)", baseLabel(tl, &qr), qr.Cells[0].N)
		case models.KindLikert:
			for _, st := range qr.Statements {
				out[q.Code+"_"+st.Code] = fmt.Sprintf("%s (n = %d)", baseLabel(tl, &qr), st.Cells[0].N)
			}
		}
	}
	return out
}

// codebookRows are the codebook: one row per column, then one per value of the column.
// Its heads, the kinds of column and the texts of the columns every export has are in t's
// language; codes stay the same in every language.
func (h *Handler) codebookRows(t *locales.Translator, cols []models.Column, bases map[string]string) [][]string {
	rows := [][]string{{t.T("export.codebook.column"), t.T("export.codebook.question"), t.T("export.codebook.kind"),
		t.T("export.codebook.value"), t.T("export.codebook.label"), t.T("export.codebook.base")}}
	for _, col := range cols {
		kind := col.Soort
		if key, ok := columnKinds[col.Soort]; ok {
			kind = t.T(key)
		}
		text := col.Text
		if key, ok := fixedColumnTexts[col.Name]; ok && col.Question == "" {
			text = t.T(key, "Languages", strings.Join(h.lang.Codes(), ", "))
		}
		for _, sf := range columnSuffixes {
			if rest, ok := strings.CutSuffix(text, sf.dutch); ok {
				text = rest + t.T(sf.key)
				break
			}
		}
		rows = append(rows, []string{col.Name, col.Question, kind, "", text, bases[col.Name]})
		for _, v := range col.Values {
			label := v.Label
			if col.Name == "grootteklasse" {
				label = t.T("admin.size." + v.Code)
			} else if v.Code == models.DontKnowCode { // Peiling's words, not the survey's
				label = t.T("question.dont_know")
			} else if key, ok := flagLabels[label]; ok && col.Kind == models.KindMulti {
				label = t.T(key)
			}
			rows = append(rows, []string{col.Name, col.Question, kind, v.Code, label, ""})
		}
	}
	return rows
}

// columnKinds are the messages of the kinds of column models names in Dutch.
var columnKinds = map[string]string{
	"volgnummer": "export.kind.id", "datum en tijd": "export.kind.time", "getal": "export.kind.number",
	"gemeentecode": "export.kind.municipality_code", "gemeentenaam": "export.kind.municipality_name",
	"provincie": "export.kind.province", "grootteklasse": "export.kind.size", "gemeente": "export.kind.municipality",
	"één antwoord": "export.kind.single", "meer antwoorden (0/1)": "export.kind.multi", "stelling": "export.kind.likert",
	"open antwoord": "export.kind.text", "toelichting": "export.kind.other",
}

// columnSuffixes are what models adds, in Dutch, to a question's text for the columns it
// makes of one question; the codebook words them in the reader's language.
var columnSuffixes = []struct{ dutch, key string }{
	{" (CBS-gemeentecode met GM, zoals GM0344: blijft tekst in elk rekenblad)", "export.suffix.gm"},
	{" (CBS-gemeentecode)", "export.suffix.code"},
	{" (naam)", "export.suffix.name"},
	{" (toelichting)", "export.suffix.other"},
}

// flagLabels are the labels of a multi question's 0/1 columns.
var flagLabels = map[string]string{
	"aangekruist":      "export.flag.ticked",
	"niet aangekruist": "export.flag.not_ticked",
	"niet aangekruist (wel iets anders aangekruist)": "export.flag.not_ticked_other",
}

// fixedColumnTexts are the messages of the columns every export has, by column name.
var fixedColumnTexts = map[string]string{
	"respondent": "export.column.respondent", "ingediend": "export.column.submitted", "versie": "export.column.version",
	"provincie": "export.column.province", "grootteklasse": "export.column.size", "taal": "export.column.language",
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
	return h.codebookRows(tr(c), cols, columnBases(tr(c), rep)), cols, nil
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
	w := newCSVWriter(download(c, "text/csv; charset=utf-8", name), d)
	for _, row := range book {
		for i := range row {
			row[i] = models.Neutralise(row[i])
		}
		if err := w.Write(row); err != nil {
			return err
		}
	}
	return w.flush()
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
	if models.FormulaLike(s) {
		return excelize.Cell{StyleID: st.text, Value: s}
	}
	return s
}

// xlsxCell is a raw-data cell for excelize: numbers stay numbers, times are Amsterdam
// date-time cells, texts are text.
func xlsxCell(cell models.Cell, st xlsxStyles) any {
	switch {
	case cell.IsTime:
		// Excel times have no zone: write the Amsterdam wall clock.
		t := cell.Time.In(amsterdam)
		local := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		return excelize.Cell{StyleID: st.time, Value: local}
	case cell.IsNumber:
		return models.CleanNumber(cell.Number)
	}
	return xlsxText(cell.Text, st)
}

// sheetNames gives each question code a sheet name of at most 31 characters that differs,
// ignoring case as Excel does, from every other and from the fixed sheets: a clash gets
// "~2", "~3" … at the end, cutting the code to make room.
// fixed are the workbook's own sheets; "History" is added, which Excel reserves.
func sheetNames(codes []string, fixed ...string) map[string]string {
	used := map[string]bool{"history": true}
	for _, s := range fixed {
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
	rawSheet, codebookSheet := tr(c).T("export.sheet.raw"), tr(c).T("export.sheet.codebook")
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
	err = models.StreamCells(db, s, cols, func(cells []models.Cell) error {
		for i, cell := range cells {
			values[i] = xlsxCell(cell, st)
		}
		cellName, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return sw.SetRow(cellName, values)
	})
	var deleted *models.AnswersDeletedError
	if errors.As(err, &deleted) {
		// The workbook keeps its codebook and aggregates, and says why the raw sheet is empty.
		err = sw.SetRow("A2", []any{answersDeletedNote(tr(c), deleted)})
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
	names := sheetNames(codes, rawSheet, codebookSheet)
	for _, qr := range rep.Questions {
		if rows := aggregateRows(tr(c), &qr); rows != nil {
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
				if models.FormulaLike(x) {
					style = st.text
				}
			case float64:
				v = models.CleanNumber(x)
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
func aggregateRows(t *locales.Translator, qr *models.QuestionResult) [][]any {
	base := []any{t.T("export.sheet.base", "Base", qr.BaseLabel())}
	q := qr.Q
	title := []any{q.Text + models.UnitSuffix(q)}
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		f := qr.Cells[0]
		rows := [][]any{title, base, {t.T("export.sheet.code"), t.T("export.sheet.answer"), t.T("export.sheet.count"), t.T("export.sheet.percentage")}}
		for _, o := range f.Options {
			rows = append(rows, []any{o.Code, o.Label, o.Count, percent(o.Percent)})
		}
		rows = append(rows, []any{"n", t.T("export.sheet.n"), f.N})
		if q.Kind == models.KindMulti && qr.Base == models.BaseShown {
			rows = append(rows, []any{t.T("export.sheet.ticked_code"), t.T("export.sheet.ticked"), f.Answered})
		}
		if q.DontKnow {
			rows = append(rows, []any{models.DontKnowCode, t.T("export.sheet.dont_know"), f.DontKnow})
		}
		return rows
	case models.KindLikert:
		low, middle, high, hasMiddle := models.ScaleSummary(q.ScaleOptions)
		head := []any{t.T("export.sheet.statement"), t.T("export.sheet.text")}
		for _, o := range q.ScaleOptions {
			head = append(head, t.T("export.sheet.label_count", "Label", o.Label), o.Label+" (%)")
		}
		head = append(head, t.T("export.sheet.together", "Label", low))
		if hasMiddle {
			head = append(head, t.T("export.sheet.together", "Label", middle))
		}
		head = append(head, t.T("export.sheet.together", "Label", high), t.T("export.sheet.n_without"), t.T("export.sheet.dont_know_count"))
		rows := [][]any{title, base, uniqueHeads(head)}
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
		rows := [][]any{title, base, {t.T("export.sheet.measure"), t.T("export.sheet.value")}, {"n", f.N}}
		if f.N > 0 {
			rows = append(rows, []any{t.T("export.sheet.mean"), f.Mean})
		}
		if f.N > 0 && f.Stats {
			rows = append(rows, []any{t.T("export.sheet.median"), f.Median}, []any{t.T("export.sheet.min"), f.Min}, []any{t.T("export.sheet.max"), f.Max})
		}
		return rows
	case models.KindText:
		return [][]any{title, base, {t.T("export.sheet.measure"), t.T("export.sheet.value")}, {"n", qr.Cells[0].N}}
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
	layout := models.NewRowLayout(cols)
	err = models.StreamResponses(db, s, func(r *models.RawResponse) error {
		obj := make(jsonObject, 0, len(cols))
		for i, cell := range layout.Row(r) {
			var v any
			switch {
			case cell.IsTime:
				v = cell.Time.UTC().Format(time.RFC3339)
			case cell.IsNumber:
				v = models.CleanNumber(cell.Number)
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
