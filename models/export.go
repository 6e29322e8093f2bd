package models

import (
	"database/sql"
	"fmt"
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
type Cell struct {
	Text   string
	Number *float64
	Time   *time.Time
}

// Empty reports whether the cell holds nothing.
func (c Cell) Empty() bool { return c.Text == "" && c.Number == nil && c.Time == nil }

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

// Row returns the response's value for each column.
func (r *RawResponse) Row(cols []Column) []Cell {
	answered := map[string]bool{}
	byKey := map[[3]string]Answer{}
	for _, a := range r.Answers {
		answered[a.Question] = true
		byKey[[3]string{a.Question, a.Item, a.Option}] = a
		byKey[[3]string{a.Question, a.Item, ""}] = a // single, likert, text, number: one answer
	}
	out := make([]Cell, len(cols))
	for i, c := range cols {
		switch {
		case r.shown != nil && c.Question != "" && !r.shown.Question(c.Question):
			out[i].Text = NotShown
		case c.Kind == "id":
			n := float64(r.ID)
			out[i].Number = &n
		case c.Kind == "tijd":
			at := r.SubmittedAt.UTC()
			out[i].Time = &at
		case c.Kind == "gm":
			if code := byKey[[3]string{c.Question, "", ""}].Option; code != "" {
				out[i].Text = "GM" + code
			}
		case c.Kind == "versie":
			n := float64(r.Version)
			out[i].Number = &n
		case c.Kind == "provincie":
			out[i].Text = r.Province
		case c.Kind == "grootteklasse":
			out[i].Text = r.Size
		case c.Kind == "taal":
			out[i].Text = r.Lang
		case c.flag:
			if answered[c.Question] || c.zeroUnticked {
				n := 0.0
				if _, ok := byKey[[3]string{c.Question, "", c.option}]; ok {
					n = 1
				}
				out[i].Number = &n
			}
		case c.other:
			if a, ok := byKey[[3]string{c.Question, "", c.option}]; ok {
				out[i].Text = a.Text
			}
		case c.Kind == KindText:
			out[i].Text = byKey[[3]string{c.Question, "", ""}].Text
		case c.Kind == KindNumber:
			out[i].Number = byKey[[3]string{c.Question, "", ""}].Number
		default: // municipality code, single option, likert scale code
			out[i].Text = byKey[[3]string{c.Question, c.item, ""}].Option
		}
	}
	return out
}

// StreamResponses calls fn for every submitted response of a closed survey, in the order
// they were started, reading row by row: memory does not grow with the number of responses.
func StreamResponses(db *gorm.DB, s *Survey, fn func(*RawResponse) error) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return err
	}
	rows, err := db.Raw(`SELECT r.id, r.submitted_at, r.version, r.lang, COALESCE(m.province, ''), `+sizeCaseSQL()+`,
			a.question, a.item, a.option, a.text, a.number
		FROM responses r LEFT JOIN answers a ON a.response_id = r.id
		LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		WHERE r.survey_id = ? AND r.status = ? ORDER BY r.id, a.id`, s.Register, s.ID, ResponseSubmitted).Rows()
	if err != nil {
		return fmt.Errorf("read responses of %s: %w", s.Slug, err)
	}
	defer rows.Close()
	// emit hands a whole response on, with what skip logic showed it.
	emit := func(r *RawResponse) error {
		if def, err := s.DefFor(db, &Response{Version: r.Version}); err == nil && def.HasConditions() {
			v := def.Visible(r.Answers)
			r.shown = &v
		}
		return fn(r)
	}
	var cur *RawResponse
	for rows.Next() {
		var (
			id                          uint
			at                          sql.NullTime
			version                     int
			lang, province, size        string
			question, item, option, txt sql.NullString
			number                      sql.NullFloat64
		)
		if err := rows.Scan(&id, &at, &version, &lang, &province, &size, &question, &item, &option, &txt, &number); err != nil {
			return fmt.Errorf("read responses of %s: %w", s.Slug, err)
		}
		if cur == nil || cur.ID != id {
			if cur != nil {
				if err := emit(cur); err != nil {
					return err
				}
			}
			cur = &RawResponse{ID: id, SubmittedAt: at.Time, Version: version, Lang: lang, Province: province, Size: size}
		}
		if question.Valid {
			a := Answer{Question: question.String, Item: item.String, Option: option.String, Text: txt.String}
			if number.Valid {
				n := number.Float64
				a.Number = &n
			}
			cur.Answers = append(cur.Answers, a)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read responses of %s: %w", s.Slug, err)
	}
	if cur != nil {
		return emit(cur)
	}
	return nil
}
