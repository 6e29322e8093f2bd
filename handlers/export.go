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
		return h.exportCodebook(c, s, dutchCSV)
	case "codeboek.csv":
		return h.exportCodebook(c, s, plainCSV)
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

// neutralise keeps a spreadsheet from reading a text as a formula (CSV injection): a text
// that starts with = + - @, a tab or a carriage return gets a leading apostrophe.
func neutralise(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func formatCell(cell models.Cell, d csvDialect) string {
	if cell.Number == nil {
		return neutralise(cell.Text)
	}
	s := strconv.FormatFloat(*cell.Number, 'f', -1, 64)
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
	return models.Columns(def, settings.AnonymousExport), nil
}

// codebookRows are the codebook: one row per column, then one per value of the column.
func codebookRows(cols []models.Column) [][]string {
	rows := [][]string{{"kolom", "vraag", "soort", "waarde", "label"}}
	for _, col := range cols {
		rows = append(rows, []string{col.Name, col.Question, col.Kind, "", col.Text})
		for _, v := range col.Values {
			rows = append(rows, []string{col.Name, col.Question, col.Kind, v.Code, v.Label})
		}
	}
	return rows
}

func (h *Handler) exportCodebook(c *echo.Context, s *models.Survey, d csvDialect) error {
	def, err := s.Def()
	if err != nil {
		return err
	}
	cols, err := h.exportColumns(c, s, def)
	if err != nil {
		return err
	}
	name := s.Slug + "-codeboek.csv"
	if d.dutch {
		name = s.Slug + "-codeboek-excel.csv"
	}
	rw := newRowWriter(download(c, "text/csv; charset=utf-8", name), d)
	for _, row := range codebookRows(cols) {
		for i := range row {
			row[i] = neutralise(row[i])
		}
		if err := rw.write(row); err != nil {
			return err
		}
	}
	return rw.flush()
}

// xlsxCell is a cell for excelize: numbers stay numbers, texts are neutralised.
func xlsxCell(cell models.Cell) any {
	if cell.Number != nil {
		return *cell.Number
	}
	return neutralise(cell.Text)
}

func (h *Handler) exportXLSX(c *echo.Context, db *gorm.DB, s *models.Survey) error {
	def, err := s.Def()
	if err != nil {
		return err
	}
	rep, err := models.LoadReport(db, s, models.DimAll)
	if err != nil {
		return err
	}
	f := excelize.NewFile()
	defer f.Close()
	const raw = "Ruwe data"
	if err := f.SetSheetName("Sheet1", raw); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(raw)
	if err != nil {
		return err
	}
	cols, err := h.exportColumns(c, s, def)
	if err != nil {
		return err
	}
	head := make([]any, len(cols))
	for i, col := range cols {
		head[i] = col.Name
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	row := 2
	values := make([]any, len(cols))
	err = models.StreamResponses(db, s, func(r *models.RawResponse) error {
		for i, cell := range r.Row(cols) {
			values[i] = xlsxCell(cell)
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
	if err := writeSheet(f, "Codeboek", codebookRows(cols)); err != nil {
		return err
	}
	for _, qr := range rep.Questions {
		if rows := aggregateRows(&qr); rows != nil {
			if err := writeSheet(f, sheetName(qr.Q.Code), rows); err != nil {
				return err
			}
		}
	}
	w := download(c, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", s.Slug+".xlsx")
	return f.Write(w)
}

// sheetName fits a question code in Excel's 31 characters.
func sheetName(code string) string {
	if len(code) > 31 {
		return code[:31]
	}
	return code
}

func writeSheet(f *excelize.File, name string, rows [][]string) error {
	if _, err := f.NewSheet(name); err != nil {
		return err
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil && i > 0 && j > 0 {
				vals[j] = n
			} else {
				vals[j] = neutralise(v)
			}
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(name, cell, &vals); err != nil {
			return err
		}
	}
	return nil
}

// aggregateRows is one question's totals as a sheet: counts and percentages per option.
func aggregateRows(qr *models.QuestionResult) [][]string {
	q := qr.Q
	title := []string{q.Text}
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		f := qr.Cells[0]
		rows := [][]string{title, {"code", "antwoord", "aantal", "procent"}}
		for _, o := range f.Options {
			rows = append(rows, []string{o.Code, o.Label, strconv.FormatInt(o.Count, 10), strconv.Itoa(o.Percent)})
		}
		rows = append(rows, []string{"n", "beantwoord", strconv.FormatInt(f.N, 10), ""})
		if q.DontKnow {
			rows = append(rows, []string{models.DontKnowCode, "weet niet (niet in procenten)", strconv.FormatInt(f.DontKnow, 10), ""})
		}
		return rows
	case models.KindLikert:
		head := []string{"stelling", "tekst"}
		for _, o := range q.ScaleOptions {
			head = append(head, o.Code+" aantal", o.Code+" %")
		}
		head = append(head, "niet eens %", "neutraal %", "eens %", "n", "weet niet")
		rows := [][]string{title, head}
		for _, st := range qr.Statements {
			f := st.Cells[0]
			r := []string{st.Code, st.Text}
			for _, o := range f.Options {
				r = append(r, strconv.FormatInt(o.Count, 10), strconv.Itoa(o.Percent))
			}
			r = append(r, strconv.Itoa(f.Disagree), strconv.Itoa(f.Neutral), strconv.Itoa(f.Agree), strconv.FormatInt(f.N, 10), strconv.FormatInt(f.DontKnow, 10))
			rows = append(rows, r)
		}
		return rows
	case models.KindText, models.KindNumber:
		return [][]string{title, {"n", "beantwoord"}, {strconv.FormatInt(qr.Cells[0].N, 10), "antwoorden"}}
	}
	return nil
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
			case cell.Number != nil:
				v = *cell.Number
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
	rep, err := models.LoadReport(db, s, dimParam(c))
	if err != nil {
		return err
	}
	name := s.Slug + "-resultaten.json"
	if api {
		name = ""
	}
	enc := json.NewEncoder(download(c, "application/json; charset=utf-8", name))
	enc.SetIndent("", "  ")
	return enc.Encode(resultsJSON(rep))
}
