package models

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Column is one column of the raw data export and its codebook entry.
type Column struct {
	Name     string // e.g. afdeling, kc_plannen_basis_op_orde, kc_stellingen_meer_samenwerken
	Question string // the question's code; empty for the response's own columns
	Kind     string // the question's kind, or "id", "tijd", "gm", "tekst", "provincie", "grootteklasse"
	Soort    string // what the column holds, in Dutch, for the codebook
	Text     string // the question text (and statement or option)
	Values   []Option
	// what the column holds for a response's answers
	item, option string
	flag         bool // multi: 1 when option ticked, 0 when not
	zeroUnticked bool // multi with BaseShown: 0 also when nothing was ticked, so a column's mean is the percentage
	other        bool // the "anders, namelijk" text of option
}

// Cell is one value of the raw export: a text, a number or a time, or nothing when empty.
// Number and Time hold a value only when IsNumber or IsTime says so (values, not pointers:
// a 100,000-row export builds millions of cells).
type Cell struct {
	Text     string
	Number   float64
	Time     time.Time
	IsNumber bool
	IsTime   bool
}

// Empty reports whether the cell holds nothing.
func (c Cell) Empty() bool { return c.Text == "" && !c.IsNumber && !c.IsTime }

// soorten are the codebook's Dutch names of the question kinds.
var soorten = map[string]string{
	KindMunicipality: "gemeente", KindSingle: "één antwoord", KindMulti: "meer antwoorden (0/1)",
	KindLikert: "stelling", KindText: "open antwoord", KindNumber: "getal",
}

// Columns lists the raw export's columns for def, in questionnaire order. Every export has
// the province and size class of the responding municipality, so breakdowns work in a
// spreadsheet too; settings.AnonymousExport leaves out the municipality's code and name, and
// each multi question's base decides what an unticked option is when nothing was ticked.
func Columns(def *Definition, settings ResultSettings) []Column {
	cols := []Column{
		{Name: "respondent", Kind: "id", Soort: "volgnummer", Text: "Volgnummer van de inzending (intern id)"},
		{Name: "ingediend", Kind: "tijd", Soort: "datum en tijd", Text: "Moment van verzenden (Nederlandse tijd)"},
		{Name: "versie", Kind: "versie", Soort: "getal", Text: "Versie van de vragenlijst waarop de gemeente antwoordde"},
		{Name: "taal", Kind: "taal", Soort: "taal", Text: "Taal waarin de gemeente antwoordde (nl, en); de codes zijn in elke taal dezelfde"},
	}
	for _, q := range def.Questions() {
		switch q.Kind {
		case KindMunicipality:
			if !settings.AnonymousExport {
				cols = append(cols,
					Column{Name: q.Code, Question: q.Code, Kind: q.Kind, Soort: "gemeentecode", Text: q.Text + " (CBS-gemeentecode)"},
					Column{Name: q.Code + "_gm", Question: q.Code, Kind: "gm", Soort: "gemeentecode", Text: q.Text + " (CBS-gemeentecode met GM, zoals GM0344: blijft tekst in elk rekenblad)"},
					Column{Name: q.Code + "_naam", Question: q.Code, Kind: q.Kind, Soort: "gemeentenaam", Text: q.Text + " (naam)", other: true})
			}
			sizes := make([]Option, len(SizeClasses))
			for i, c := range SizeClasses {
				sizes[i] = Option{Code: c.Key, Label: c.Label}
			}
			cols = append(cols,
				Column{Name: "provincie", Kind: "provincie", Soort: "provincie", Text: "Provincie van de gemeente"},
				Column{Name: "grootteklasse", Kind: "grootteklasse", Soort: "grootteklasse", Text: "Grootteklasse van de gemeente (inwoners)", Values: sizes})
		case KindSingle:
			cols = append(cols, Column{Name: q.Code, Question: q.Code, Kind: q.Kind, Soort: soorten[q.Kind], Text: q.Text, Values: q.Choices()})
			cols = append(cols, otherColumns(q)...)
		case KindMulti:
			shown := settings.BaseOf(q) == BaseShown
			no := "niet aangekruist (wel iets anders aangekruist)"
			if shown {
				no = "niet aangekruist"
			}
			yesNo := []Option{{Code: "1", Label: "aangekruist"}, {Code: "0", Label: no}}
			for _, o := range q.Options {
				cols = append(cols, Column{Name: q.Code + "_" + o.Code, Question: q.Code, Kind: q.Kind, Soort: soorten[q.Kind], Text: q.Text + " – " + o.Label,
					Values: yesNo, option: o.Code, flag: true, zeroUnticked: shown})
			}
			cols = append(cols, otherColumns(q)...)
		case KindLikert:
			for _, st := range q.Statements {
				cols = append(cols, Column{Name: q.Code + "_" + st.Code, Question: q.Code, Kind: q.Kind, Soort: soorten[q.Kind], Text: q.Text + " – " + st.Text, Values: q.Choices(), item: st.Code})
			}
		case KindText:
			cols = append(cols, Column{Name: q.Code, Question: q.Code, Kind: q.Kind, Soort: soorten[q.Kind], Text: q.Text})
		case KindNumber:
			cols = append(cols, Column{Name: q.Code, Question: q.Code, Kind: q.Kind, Soort: soorten[q.Kind], Text: q.Text + UnitSuffix(q)})
		}
	}
	return cols
}

// UnitSuffix is " (unit)" for a number question with a unit, else "".
func UnitSuffix(q *Question) string {
	if q.Unit == "" {
		return ""
	}
	return " (" + q.Unit + ")"
}

// otherColumns are the "anders, namelijk" text columns of q.
func otherColumns(q *Question) []Column {
	var cols []Column
	for _, o := range q.Options {
		if o.Other {
			cols = append(cols, Column{Name: q.Code + "_" + o.Code + "_tekst", Question: q.Code, Kind: "tekst", Soort: "toelichting",
				Text: q.Text + " – " + o.Label + " (toelichting)", option: o.Code, other: true})
		}
	}
	return cols
}

// RawResponse is one submitted response with its answers.
type RawResponse struct {
	ID          uint
	SubmittedAt time.Time
	Version     int
	Province    string
	Size        string // SizeClass key
	Lang        string // the language it was answered in
	Answers     []Answer
	// shown is set when skip logic hid questions from this respondent: their cells say
	// NotShown, apart from an empty cell that means "not answered".
	shown *Visibility
}

// NotShown fills the cells of a question that skip logic did not show the respondent.
const NotShown = "niet getoond"

// fill says where a column's value comes from.
type fill uint8

const (
	fillOption fill = iota // the answer's option: municipality code, single option, likert scale code
	fillID
	fillTime
	fillVersion
	fillProvince
	fillSize
	fillLang
	fillGM     // "GM" + the municipality code
	fillText   // the answer's text: open answer, municipality name
	fillNumber // the answer's number
	fillFlag   // multi: 1 when the option was ticked, 0 when not
	fillOther  // the "anders, namelijk" text of an option
)

// RowLayout places each response's answers in the export's columns. It is built once per
// export, so that a row costs one lookup per answer and no map of its own.
type RowLayout struct {
	cols  []Column
	fills []fill
	// byItem finds the columns an answer fills by its question and item (and, for flag and
	// other columns, byOption by its question and option).
	byItem, byOption map[[2]string][]int
	flags            map[string][]int // a multi question's flag columns
	out              []Cell
}

// NewRowLayout prepares rows of cols.
func NewRowLayout(cols []Column) *RowLayout {
	l := &RowLayout{cols: cols, fills: make([]fill, len(cols)), byItem: map[[2]string][]int{},
		byOption: map[[2]string][]int{}, flags: map[string][]int{}, out: make([]Cell, len(cols))}
	for i, c := range cols {
		f := fillOption
		switch {
		case c.Kind == "id":
			f = fillID
		case c.Kind == "tijd":
			f = fillTime
		case c.Kind == "gm":
			f = fillGM
		case c.Kind == "versie":
			f = fillVersion
		case c.Kind == "provincie":
			f = fillProvince
		case c.Kind == "grootteklasse":
			f = fillSize
		case c.Kind == "taal":
			f = fillLang
		case c.flag:
			f = fillFlag
		case c.other && c.option != "":
			f = fillOther
		case c.other, c.Kind == KindText:
			f = fillText
		case c.Kind == KindNumber:
			f = fillNumber
		}
		l.fills[i] = f
		switch f {
		case fillFlag, fillOther:
			key := [2]string{c.Question, c.option}
			l.byOption[key] = append(l.byOption[key], i)
			if f == fillFlag {
				l.flags[c.Question] = append(l.flags[c.Question], i)
			}
		case fillGM, fillText, fillNumber, fillOption:
			key := [2]string{c.Question, c.item}
			l.byItem[key] = append(l.byItem[key], i)
		}
	}
	return l
}

// Row returns the response's value for each column. The slice is the layout's own: it is
// overwritten by the next call.
func (l *RowLayout) Row(r *RawResponse) []Cell { return l.rowInto(r, l.out) }

// rowInto fills out (one cell per column) with the response's values and returns it. It
// reads nothing of the layout but its columns, so goroutines may share a layout this way.
func (l *RowLayout) rowInto(r *RawResponse, out []Cell) []Cell {
	clear(out)
	for i, f := range l.fills {
		switch f {
		case fillID:
			out[i] = Cell{Number: float64(r.ID), IsNumber: true}
		case fillTime:
			out[i] = Cell{Time: r.SubmittedAt.UTC(), IsTime: true}
		case fillVersion:
			out[i] = Cell{Number: float64(r.Version), IsNumber: true}
		case fillProvince:
			out[i].Text = r.Province
		case fillSize:
			out[i].Text = r.Size
		case fillLang:
			out[i].Text = r.Lang
		case fillFlag:
			if l.cols[i].zeroUnticked {
				out[i].IsNumber = true // 0 also when nothing was ticked
			}
		}
	}
	for _, a := range r.Answers {
		if flags := l.flags[a.Question]; flags != nil {
			for _, i := range flags {
				out[i].IsNumber = true // answered: every option not ticked is 0
			}
		}
		if a.Item == "" {
			for _, i := range l.byOption[[2]string{a.Question, a.Option}] {
				if l.fills[i] == fillFlag {
					out[i].Number = 1
				} else {
					out[i].Text = a.Text
				}
			}
		}
		for _, i := range l.byItem[[2]string{a.Question, a.Item}] {
			// The last answer with this question and item wins, as each holds one answer.
			switch l.fills[i] {
			case fillGM:
				out[i].Text = ""
				if a.Option != "" {
					out[i].Text = "GM" + a.Option
				}
			case fillText:
				out[i].Text = a.Text
			case fillNumber:
				out[i].IsNumber = a.Number != nil
				if a.Number != nil {
					out[i].Number = *a.Number
				}
			default:
				out[i].Text = a.Option
			}
		}
	}
	if r.shown != nil {
		for i, c := range l.cols {
			if c.Question != "" && !r.shown.Question(c.Question) {
				out[i] = Cell{Text: NotShown}
			}
		}
	}
	return out
}

// streamBatch is how many responses StreamResponses reads per pair of queries.
const streamBatch = 500

// StreamResponses calls fn for every submitted response of a closed survey, in the order
// they were started, reading batch by batch: memory does not grow with the number of
// responses. fn gets the same *RawResponse each time, refilled: it must not keep it.
//
// All batches are read in one read transaction, so the export is one consistent snapshot
// (a purge that runs meanwhile is either wholly in it or not at all). Each batch reads the
// responses, then their answers, each with a plain query: no column of a response is read
// again for each of its answers, and no two cursors are open at once (PostgreSQL's driver
// allows one per connection).
func StreamResponses(db *gorm.DB, s *Survey, fn func(*RawResponse) error) error {
	return inExportSnapshot(db, s, func(tx *gorm.DB) error {
		var (
			heads []RawResponse
			cur   RawResponse
			last  uint
			err   error
		)
		for {
			heads, err = readHeads(tx, s, heads[:0], `r.id > ? ORDER BY r.id LIMIT ?`, last, streamBatch)
			if err != nil || len(heads) == 0 {
				return err
			}
			last = heads[len(heads)-1].ID
			if err := streamBatchAnswers(tx, s, responseIDs{from: heads[0].ID, to: last}, heads, &cur, fn); err != nil {
				return err
			}
		}
	})
}

// readHeads appends to heads the submitted responses of s that the rest of a WHERE clause
// picks (and orders), without their answers.
func readHeads(tx *gorm.DB, s *Survey, heads []RawResponse, where string, args ...any) ([]RawResponse, error) {
	rows, err := tx.Raw(`SELECT r.id, r.submitted_at, r.version, r.lang, COALESCE(m.province, ''), `+sizeCaseSQL()+`
		FROM responses r LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		WHERE r.survey_id = ? AND r.status = ? AND `+where, append([]any{s.Register, s.ID, ResponseSubmitted}, args...)...).Rows()
	if err != nil {
		return heads, fmt.Errorf("read responses of %s: %w", s.Slug, err)
	}
	defer rows.Close()
	for rows.Next() {
		var h RawResponse
		var at sql.NullTime
		if err := rows.Scan(&h.ID, &at, &h.Version, &h.Lang, &h.Province, &h.Size); err != nil {
			return heads, fmt.Errorf("read responses of %s: %w", s.Slug, err)
		}
		h.SubmittedAt = at.Time
		heads = append(heads, h)
	}
	if err := rows.Err(); err != nil {
		return heads, fmt.Errorf("read responses of %s: %w", s.Slug, err)
	}
	return heads, nil
}

// inExportSnapshot runs fn in the one read transaction an export reads in, after checking
// that s is closed and its answers kept: repeatable read on PostgreSQL; SQLite's read
// transaction is a snapshot as it is.
func inExportSnapshot(db *gorm.DB, s *Survey, fn func(tx *gorm.DB) error) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	var opts *sql.TxOptions
	if dialectOf(db).postgres() {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := CheckAnswersKept(tx, s.ID); err != nil {
			return err
		}
		return fn(tx)
	}, opts)
}

// streamBatchAnswers reads the answers of the submitted responses ids and hands each of heads
// (the same responses, in order) on with its answers, and what skip logic showed it. The database gathers each
// response's answers into one JSON array of [question, item, option, text, number] rows, so
// the driver hands over one value per response instead of six per answer: that per-answer
// cost was most of an export's time.
func streamBatchAnswers(tx *gorm.DB, s *Survey, ids responseIDs, heads []RawResponse, cur *RawResponse, fn func(*RawResponse) error) error {
	// The definitions of the batch's versions, read before the cursor opens: PostgreSQL's
	// driver runs no second query on a connection while one is open, and a response read
	// without its version's skip logic would lose its "niet getoond".
	defs := map[int]*Definition{}
	for _, h := range heads {
		if defs[h.Version] == nil {
			def, err := s.DefFor(tx, &Response{Version: h.Version})
			if err != nil {
				return err
			}
			defs[h.Version] = def
		}
	}
	which, args := ids.where("a.response_id")
	rows, err := tx.Raw(`SELECT a.response_id, `+dialectOf(tx).answerArray+`
		FROM answers a JOIN responses r ON r.id = a.response_id
		WHERE `+which+` AND r.survey_id = ? AND r.status = ?
		GROUP BY a.response_id ORDER BY a.response_id`, append(args, s.ID, ResponseSubmitted)...).Rows()
	if err != nil {
		return fmt.Errorf("read answers of %s: %w", s.Slug, err)
	}
	defer rows.Close()
	var (
		h       int // heads[h] is the response being filled
		id      uint
		list    string
		numbers []float64 // the batch's numbers, so an answer can point at one
	)
	emit := func() error {
		if def := defs[cur.Version]; def.HasConditions() {
			v := def.Visible(cur.Answers)
			cur.shown = &v
		} else {
			cur.shown = nil
		}
		return fn(cur)
	}
	start := func() {
		answers := cur.Answers[:0]
		*cur = heads[h]
		cur.Answers = answers
	}
	start()
	for rows.Next() {
		if err := rows.Scan(&id, &list); err != nil {
			return fmt.Errorf("read answers of %s: %w", s.Slug, err)
		}
		for id != cur.ID { // the responses before id have no answers
			if err := emit(); err != nil {
				return err
			}
			if h++; h == len(heads) {
				return fmt.Errorf("read answers of %s: answers of response %d outside the batch", s.Slug, id)
			}
			start()
		}
		if cur.Answers, err = parseAnswerList(list, cur.Answers, &numbers); err != nil {
			return fmt.Errorf("read answers of %s, response %d: %w", s.Slug, id, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read answers of %s: %w", s.Slug, err)
	}
	for { // the response being filled, then those after it, which have no answers
		if err := emit(); err != nil {
			return err
		}
		if h++; h == len(heads) {
			break
		}
		start()
	}
	return nil
}

// parseAnswerList appends the answers of a JSON array of [question, item, option, text,
// number] arrays (as streamBatchAnswers reads them) to out. Its strings are cut from list, not
// copied, unless they hold an escape; numbers go into *numbers.
func parseAnswerList(list string, out []Answer, numbers *[]float64) ([]Answer, error) {
	p := jsonCursor{s: list}
	if !p.take('[') {
		return out, errors.New("answers: no JSON array")
	}
	if p.take(']') {
		return out, nil
	}
	for {
		if !p.take('[') {
			return out, errors.New("answers: no answer array")
		}
		var a Answer
		var err error
		for i, dst := range []*string{&a.Question, &a.Item, &a.Option, &a.Text} {
			if i > 0 && !p.take(',') {
				return out, errors.New("answers: missing field")
			}
			if *dst, err = p.str(); err != nil {
				return out, err
			}
		}
		if !p.take(',') {
			return out, errors.New("answers: missing number")
		}
		n, ok, err := p.number()
		if err != nil {
			return out, err
		}
		if ok {
			*numbers = append(*numbers, n)
			a.Number = &(*numbers)[len(*numbers)-1]
		}
		if !p.take(']') {
			return out, errors.New("answers: answer array not closed")
		}
		out = append(out, a)
		if p.take(']') {
			return out, nil
		}
		if !p.take(',') {
			return out, errors.New("answers: array not closed")
		}
	}
}

// jsonCursor reads the little JSON that parseAnswerList needs.
type jsonCursor struct {
	s string
	i int
}

func (p *jsonCursor) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\n' || p.s[p.i] == '\r' || p.s[p.i] == '\t') {
		p.i++
	}
}

// take consumes c (after white space) if it comes next.
func (p *jsonCursor) take(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string (null reads as "").
func (p *jsonCursor) str() (string, error) {
	p.space()
	if strings.HasPrefix(p.s[p.i:], "null") {
		p.i += 4
		return "", nil
	}
	if p.i >= len(p.s) || p.s[p.i] != '"' {
		return "", errors.New("answers: no string")
	}
	start := p.i
	escaped := false
	for p.i++; p.i < len(p.s); p.i++ {
		switch p.s[p.i] {
		case '\\':
			escaped = true
			p.i++
		case '"':
			p.i++
			if !escaped {
				return p.s[start+1 : p.i-1], nil
			}
			var out string
			err := json.Unmarshal([]byte(p.s[start:p.i]), &out)
			return out, err
		}
	}
	return "", errors.New("answers: string not closed")
}

// number reads a JSON number, or null (ok false).
func (p *jsonCursor) number() (n float64, ok bool, err error) {
	p.space()
	if strings.HasPrefix(p.s[p.i:], "null") {
		p.i += 4
		return 0, false, nil
	}
	start := p.i
	for p.i < len(p.s) && strings.IndexByte("+-.0123456789eE", p.s[p.i]) >= 0 {
		p.i++
	}
	n, err = strconv.ParseFloat(p.s[start:p.i], 64)
	return n, err == nil, err
}
