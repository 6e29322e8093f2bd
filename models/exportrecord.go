package models

import (
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"gorm.io/gorm"
)

// A submitted response's row of the raw-data CSV is formatted once, when it is submitted, and
// kept beside its answers as its record. A CSV export of 100,000 responses then reads one
// value per response instead of gathering ~60 answers each out of the database, which was
// nearly all of its time (issue 14). The answers stay the source: a record is only read when
// it was made from the same definition the export would read the response with, and any
// response without one is formatted from its answers as before. TestRecordsExportWhatTheAnswersExport
// holds both ways to the same bytes.
//
// A record holds what cannot change once a response is sent: its answers' cells in the plain
// CSV's form with texts as typed (a CSV neutralises them, a spreadsheet does not), when it was
// sent, its version and language. The response's id, and its municipality's province and size
// class (a new register may move them), come from the export's own reading. The XLSX's raw
// sheet reads records too (StreamCells); after closing they are read in packs (recordpack.go).

// recordFormat is the version of how a record is made: bump it when Row, plainCell or the
// encoding below changes, and records made before are passed over instead of read wrong.
const recordFormat = 2

// ResponseRecord is one submitted response's cells of the raw-data CSV. Submit writes it in
// the submit's transaction; withdrawing and deleting the answers delete it with them.
type ResponseRecord struct {
	ResponseID uint      `gorm:"primaryKey;autoIncrement:false"`
	Response   *Response `gorm:"constraint:OnDelete:CASCADE"`
	// Layout says which definition the cells were made from (recordLayout.key).
	Layout int64  `gorm:"not null"`
	Cells  []byte `gorm:"not null"`
}

func (ResponseRecord) TableName() string { return "response_records" }

// recordLayout is how records of one definition are laid out: every column of its raw export
// (the municipality's too, whatever the settings; a multi question's flags empty when nothing
// was ticked, whatever its base), then the time it was sent as Dutch Excel reads it.
type recordLayout struct {
	rows  *RowLayout // its columns; shared: only its rowInto is used
	key   int64      // recordFormat and the definition's shape: all but its texts
	shape string     // the columns, to compare with another definition's
}

var recordLayouts sync.Map // *Definition → *recordLayout; definitions are cached per version

func recordLayoutOf(def *Definition) (*recordLayout, error) {
	if l, ok := recordLayouts.Load(def); ok {
		return l.(*recordLayout), nil
	}
	// Texts may be corrected after closing (ChangeDefinition); cells hold none of them.
	body, err := json.Marshal(shapeOf(def))
	if err != nil {
		return nil, err
	}
	cols := Columns(def, ResultSettings{})
	var shape strings.Builder
	for i := range cols {
		cols[i].zeroUnticked = false
		c := &cols[i]
		fmt.Fprintf(&shape, "%q %q %q %q %q %t %t\n", c.Name, c.Question, c.Kind, c.item, c.option, c.flag, c.other)
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "record format %d\n", recordFormat)
	h.Write(body)
	l := &recordLayout{rows: NewRowLayout(cols), key: int64(h.Sum64()), shape: shape.String()}
	got, _ := recordLayouts.LoadOrStore(def, l)
	return got.(*recordLayout), nil
}

// fromQuery reports whether column fill f is filled from the export's query, not the record.
func fromQuery(f fill) bool { return f == fillID || f == fillProvince || f == fillSize }

// makeRecord formats the cells of sent response r of definition def (r's id, province and
// size are not read).
func makeRecord(def *Definition, r *RawResponse) (key int64, cells []byte, err error) {
	l, err := recordLayoutOf(def)
	if err != nil {
		return 0, nil, err
	}
	r.shown = nil
	if def.HasConditions() {
		v := def.Visible(r.Answers)
		r.shown = &v
	}
	row := l.rows.rowInto(r, make([]Cell, len(l.rows.cols)))
	var b []byte
	for i, cell := range row {
		s := ""
		if !fromQuery(l.rows.fills[i]) {
			s = plainCell(cell) // texts as typed: a CSV neutralises them, a spreadsheet does not
		}
		b = appendField(b, s)
	}
	return l.key, appendField(b, CSVTime(r.SubmittedAt, true)), nil
}

// writeRecord stores the record of sent response r, of definition def.
func writeRecord(tx *gorm.DB, def *Definition, r *RawResponse) error {
	key, cells, err := makeRecord(def, r)
	if err != nil {
		return err
	}
	_, err = exec(tx, `INSERT INTO response_records (response_id, layout, cells) VALUES ($1, $2, $3)`, r.ID, key, cells)
	return err
}

// appendField appends s to a record: its length, then its bytes.
func appendField(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendFields appends a record's fields to out (slices of rec, not copies); ok is false when
// the record is damaged.
func appendFields(out []string, rec string) (_ []string, ok bool) {
	for rec != "" {
		n, w := uvarint(rec)
		if w <= 0 || uint64(len(rec)-w) < n {
			return out, false
		}
		out, rec = append(out, rec[w:w+int(n)]), rec[w+int(n):]
	}
	return out, true
}

// recordRowsSQL reads, after an id, a batch of a survey's submitted responses with their
// records, in order: the export record by record, and the packing.
const recordRowsSQL = `SELECT r.id, r.version, COALESCE(r.municipality_code, ''), COALESCE(rr.layout, 0), rr.cells
	FROM responses r LEFT JOIN response_records rr ON rr.response_id = r.id
	WHERE r.survey_id = ? AND r.status = ? AND r.id > ? ORDER BY r.id LIMIT ?`

// uvarint is binary.Uvarint of a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		c := s[i]
		if c < 0x80 {
			return x | uint64(c)<<(7*i), i + 1
		}
		x |= uint64(c&0x7f) << (7 * i)
	}
	return 0, 0
}

// exportPlan places an export's columns in the records of one definition: the export's
// columns are the record's, less those its settings leave out.
type exportPlan struct {
	src  []int  // per export column, its field in the record
	fill []fill // per export column, where its value comes from
	zero []bool // per export column: a multi flag that is 0 when nothing was ticked
	full int    // fields in a record
}

// newExportPlan plans cols, made by Columns from the definition of l. ok is false when cols
// is not l's columns less some (then no record is read).
func newExportPlan(l *recordLayout, cols []Column) (p exportPlan, ok bool) {
	rc := l.rows.cols
	p = exportPlan{src: make([]int, len(cols)), fill: make([]fill, len(cols)), zero: make([]bool, len(cols)), full: len(rc) + 1}
	j := 0
	for i, c := range cols {
		for j < len(rc) && (rc[j].Name != c.Name || rc[j].Question != c.Question || rc[j].Kind != c.Kind) {
			j++
		}
		if j == len(rc) {
			return p, false
		}
		p.src[i], p.fill[i], p.zero[i] = j, l.rows.fills[j], c.zeroUnticked
		j++
	}
	return p, true
}

// csvFix is what a CSV export does to a record's field of a column.
type csvFix uint8

const (
	fixNone      csvFix = iota // numbers and times of the plain CSV
	fixText                    // neutralised
	fixID                      // the response's id, from the query
	fixProvince                // from the register
	fixSize                    // from the register
	fixDutchTime               // the record's last field
	fixComma                   // a decimal comma in a number
	fixZero                    // a multi flag under the base "shown": 0 when nothing was ticked
)

// csvFixes decides per column of p what a CSV does to its field: dutch for Dutch Excel.
func csvFixes(p *exportPlan, dutch bool) []csvFix {
	out := make([]csvFix, len(p.fill))
	for i, f := range p.fill {
		switch {
		case f == fillOption, f == fillText, f == fillOther, f == fillGM, f == fillLang:
			out[i] = fixText
		case f == fillID:
			out[i] = fixID
		case f == fillProvince:
			out[i] = fixProvince
		case f == fillSize:
			out[i] = fixSize
		case f == fillTime && dutch:
			out[i] = fixDutchTime
		case f == fillNumber && dutch:
			out[i] = fixComma
		case f == fillFlag && p.zero[i]:
			out[i] = fixZero
		}
	}
	return out
}

// StreamCSV calls fn with the CSV fields of cols (from Columns of s's definition) for every
// submitted response of closed survey s, in the order they were started: dutch for Dutch
// Excel. fields is refilled for each response: fn must not keep it. A response is read as its
// record when that was made from the definition it is read with and cols are that
// definition's columns; else it is formatted from its answers (StreamResponses). Like that
// function, it reads one snapshot, batch by batch, in constant memory.
func StreamCSV(db *gorm.DB, s *Survey, cols []Column, dutch bool, fn func(fields []string) error) error {
	fields := make([]string, len(cols))
	var fixes []csvFix // per column, decided once per export
	return streamExport(db, s, cols, func(p *exportPlan, id uint, record, neutral []string, at place) error {
		if fixes == nil {
			fixes = csvFixes(p, dutch)
		}
		for i, j := range p.src {
			v := record[j]
			switch fixes[i] {
			case fixText:
				if neutral != nil {
					v = neutral[j]
				} else {
					v = Neutralise(v)
				}
			case fixID:
				v = smallOrItoa(id)
			case fixProvince:
				v = at.safeProvince
			case fixSize:
				v = at.safeSize
			case fixDutchTime:
				v = record[p.full-1]
			case fixComma:
				v = strings.Replace(v, ".", ",", 1)
			case fixZero:
				if v == "" {
					v = "0"
				}
			}
			fields[i] = v
		}
		return fn(fields)
	}, func(row []Cell) error {
		for i, cell := range row {
			fields[i] = CSVCell(cell, dutch)
		}
		return fn(fields)
	})
}

// StreamCells calls fn with the cells of cols (from Columns of s's definition) for every
// submitted response of closed survey s, in the order they were started, as a spreadsheet
// writes them: numbers and times as values, texts as typed. row is refilled for each
// response: fn must not keep it. It reads as StreamCSV does.
func StreamCells(db *gorm.DB, s *Survey, cols []Column, fn func(row []Cell) error) error {
	cells := make([]Cell, len(cols))
	return streamExport(db, s, cols, func(p *exportPlan, id uint, record, _ []string, at place) error {
		for i, j := range p.src {
			v := record[j]
			c := Cell{Text: v}
			switch f := p.fill[i]; f {
			case fillID:
				c = Cell{Number: float64(id), IsNumber: true}
			case fillProvince:
				c.Text = at.province
			case fillSize:
				c.Text = at.size
			case fillTime:
				t, err := time.Parse(time.RFC3339, v)
				if err != nil {
					return fmt.Errorf("export of %s: the record of response %d has no time: %w", s.Slug, id, err)
				}
				c = Cell{Time: t, IsTime: true}
			case fillVersion, fillNumber, fillFlag:
				if v == "" && f == fillFlag && p.zero[i] {
					v = "0"
				}
				// A number, or a text where skip logic hid the question ("niet getoond").
				if x, err := strconv.ParseFloat(v, 64); err == nil {
					c = Cell{Number: x, IsNumber: true}
				}
			}
			cells[i] = c
		}
		return fn(cells)
	}, fn)
}

// streamExport is the reading under StreamCSV and StreamCells: each response goes to
// fromRecord when its record can be read (in neutral, when it is not nil, the record's fields
// neutralised for a CSV), else to fromAnswers with its row of cols.
func streamExport(db *gorm.DB, s *Survey, cols []Column, fromRecord func(p *exportPlan, id uint, record, neutral []string, at place) error, fromAnswers func(row []Cell) error) error {
	def, err := s.Def()
	if err != nil {
		return err
	}
	current, err := recordLayoutOf(def)
	if err != nil {
		return err
	}
	plan, planned := newExportPlan(current, cols)
	live := NewRowLayout(cols)
	record, neutral := make([]string, plan.full), make([]string, plan.full)
	return inExportSnapshot(db, s, func(tx *gorm.DB) error {
		// Everything a record row needs besides itself is read before the first cursor opens:
		// PostgreSQL's driver runs one query at a time on a connection.
		keys := map[int]int64{} // per version, the key of the records that may be read
		if planned {
			if keys, err = recordKeys(tx, s, current); err != nil {
				return err
			}
		}
		places, err := registerPlaces(tx, s.Register)
		if err != nil {
			return err
		}
		var (
			run   []uint // responses to read from their answers, before the next record
			heads []RawResponse
			cur   RawResponse
		)
		usable := func(version int, layout int64) bool { return layout != 0 && keys[version] == layout }
		// readRun writes the run out from the answers; no cursor may be open.
		readRun := func() error {
			if len(run) == 0 {
				return nil
			}
			var err error
			if heads, err = readHeads(tx, s, heads[:0], `r.id IN ? ORDER BY r.id`, run); err != nil {
				return err
			}
			err = streamBatchAnswers(tx, s, responseIDs{list: run}, heads, &cur, func(r *RawResponse) error { return fromAnswers(live.Row(r)) })
			run = run[:0]
			return err
		}
		packed, err := packedCount(tx, s.ID, closedStamp(s))
		if err != nil {
			return err
		}
		if packed >= 0 {
			var submitted int
			if err := tx.Raw(`SELECT COUNT(*) FROM responses WHERE survey_id = ? AND status = ?`, s.ID, ResponseSubmitted).Scan(&submitted).Error; err != nil {
				return err
			}
			if submitted == packed {
				return streamPacks(tx, s, record, neutral, func(e packEntry) error {
					if !usable(e.version, e.layout) {
						run = append(run, e.id)
						return nil
					}
					if e.fields != len(record) {
						return fmt.Errorf("export of %s: the packed record of response %d is damaged", s.Slug, e.id)
					}
					if err := readRun(); err != nil {
						return err
					}
					return fromRecord(&plan, e.id, record, neutral, places[e.code])
				}, readRun)
			}
		}
		// Not packed (yet): record by record.
		var last uint
		for {
			rows, err := tx.Raw(recordRowsSQL, s.ID, ResponseSubmitted, last, streamBatch).Rows()
			if err != nil {
				return fmt.Errorf("read records of %s: %w", s.Slug, err)
			}
			n := 0
			for rows.Next() {
				var (
					id          uint
					version     int
					code, cells sql.RawBytes // valid until the next row: written out before it
					layout      int64
				)
				if err := rows.Scan(&id, &version, &code, &layout, &cells); err != nil {
					rows.Close()
					return fmt.Errorf("read records of %s: %w", s.Slug, err)
				}
				n++
				if !usable(version, layout) {
					run = append(run, id)
					continue
				}
				if len(run) > 0 {
					break // the run first; the next query reads this row again
				}
				last = id
				if fields, ok := appendFields(record[:0], string(cells)); !ok || len(fields) != len(record) {
					rows.Close()
					return fmt.Errorf("export of %s: the record of response %d is damaged", s.Slug, id)
				}
				if err := fromRecord(&plan, id, record, nil, places[string(code)]); err != nil {
					rows.Close()
					return err
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return fmt.Errorf("read records of %s: %w", s.Slug, err)
			}
			if len(run) > 0 {
				last = run[len(run)-1]
				if err := readRun(); err != nil {
					return err
				}
				continue
			}
			if n < streamBatch {
				return nil
			}
		}
	})
}

// streamPacks calls fn for each response in the finished packs of closed survey s, in order,
// with its record's fields in record and neutralised in neutral, and no cursor open; end runs
// after each pack.
func streamPacks(tx *gorm.DB, s *Survey, record, neutral []string, fn func(packEntry) error, end func() error) error {
	var (
		last  uint
		texts []string
		safe  []string // texts neutralised: once per pack, not per cell
	)
	for {
		var (
			n     int
			cells []byte
		)
		err := queryRow(tx, `SELECT first_id, count, cells FROM record_packs WHERE survey_id = $1 AND closed = $2 AND format = $3
			AND first_id > $4 ORDER BY first_id LIMIT 1`, []any{s.ID, closedStamp(s), packFormat, last}, &last, &n, &cells)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read packs of %s: %w", s.Slug, err)
		}
		// The pack's bytes are this function's own and never change: read them in place.
		p, ok := readPackTexts(unsafe.String(unsafe.SliceData(cells), len(cells)), texts)
		if !ok {
			return fmt.Errorf("export of %s: the pack from response %d is damaged", s.Slug, last)
		}
		texts, safe = p.texts, safe[:0]
		for _, t := range texts {
			safe = append(safe, Neutralise(t))
		}
		for range n {
			e, ok := p.next(record, neutral, safe)
			if !ok {
				return fmt.Errorf("export of %s: the pack from response %d is damaged", s.Slug, last)
			}
			if err := fn(e); err != nil {
				return err
			}
		}
		if err := end(); err != nil {
			return err
		}
	}
}

// place is where a municipality lies: its province and size class, as typed and neutralised
// for a CSV.
type place struct{ province, size, safeProvince, safeSize string }

// registerPlaces reads the province and size class of every municipality of register, by code.
func registerPlaces(tx *gorm.DB, register string) (map[string]place, error) {
	rows, err := tx.Raw(`SELECT m.code, COALESCE(m.province, ''), `+sizeCaseSQL()+` FROM municipalities m WHERE m.register = ?`, register).Rows()
	if err != nil {
		return nil, fmt.Errorf("read register %s: %w", register, err)
	}
	defer rows.Close()
	out := map[string]place{}
	for rows.Next() {
		var code, province, size string
		if err := rows.Scan(&code, &province, &size); err != nil {
			return nil, fmt.Errorf("read register %s: %w", register, err)
		}
		out[code] = place{province, size, Neutralise(province), Neutralise(size)}
	}
	return out, rows.Err()
}

// recordKeys gives, per version of s, the key of the records an export with the columns of
// current may read: those made from that version's definition, if its columns are current's.
func recordKeys(tx *gorm.DB, s *Survey, current *recordLayout) (map[int]int64, error) {
	var versions []int
	if err := tx.Raw(`SELECT number FROM survey_versions WHERE survey_id = ?`, s.ID).Scan(&versions).Error; err != nil {
		return nil, fmt.Errorf("versions of %s: %w", s.Slug, err)
	}
	keys := map[int]int64{}
	for _, v := range append(versions, 0, s.Version) {
		def, err := s.DefFor(tx, &Response{Version: v})
		if err != nil {
			return nil, err
		}
		l, err := recordLayoutOf(def)
		if err != nil {
			return nil, err
		}
		if l.shape == current.shape {
			keys[v] = l.key
		}
	}
	return keys, nil
}

// smallOrItoa is n as text, without a new string for the first thousand.
func smallOrItoa(n uint) string {
	if n < uint(len(smallNumbers)) {
		return smallNumbers[n]
	}
	return strconv.FormatUint(uint64(n), 10)
}
