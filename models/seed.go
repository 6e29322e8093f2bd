package models

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"gorm.io/gorm"
)

// SeededResponse is one submitted response to write directly, bypassing the forms: for tests,
// benchmarks and demonstrations. Municipality is a CBS code, or empty for none.
type SeededResponse struct {
	Municipality string
	SubmittedAt  time.Time
	Answers      []Answer
}

// seedBatch is the number of responses per transaction: large enough to amortise the commit,
// small enough to keep the write lock short.
const seedBatch = 2000

// InsertSubmitted writes responses as submitted responses of survey s, in batched
// transactions of multi-row INSERTs.
func InsertSubmitted(db *gorm.DB, s *Survey, responses []SeededResponse) error {
	for start := 0; start < len(responses); start += seedBatch {
		batch := responses[start:min(start+seedBatch, len(responses))]
		if err := db.Transaction(func(tx *gorm.DB) error { return insertBatch(tx, s, batch) }); err != nil {
			return fmt.Errorf("seed responses of %s: %w", s.Slug, err)
		}
	}
	return nil
}

func insertBatch(tx *gorm.DB, s *Survey, batch []SeededResponse) error {
	var next uint
	if err := tx.Raw("SELECT COALESCE(MAX(id), 0) + 1 FROM responses").Scan(&next).Error; err != nil {
		return err
	}
	const respCols, ansCols = 10, 6
	version := max(s.Version, 1) // answered on the current definition, as RandomAnswers makes them
	var rs, as []any
	flush := func(table, cols string, n int, args *[]any) error {
		if len(*args) == 0 {
			return nil
		}
		row := "(" + strings.Repeat("?,", n-1) + "?)"
		rows := strings.Repeat(row+",", len(*args)/n-1) + row
		err := tx.Exec("INSERT INTO "+table+" ("+cols+") VALUES "+rows, *args...).Error
		*args = (*args)[:0]
		return err
	}
	const rcols = "id, survey_id, status, municipality_code, token_hash, reached, version, created_at, updated_at, submitted_at"
	const acols = "response_id, question, item, option, text, number"
	for i, r := range batch {
		id := next + uint(i)
		var code any
		if r.Municipality != "" {
			code = r.Municipality
		}
		at := r.SubmittedAt
		if at.IsZero() {
			at = now()
		}
		at = at.Truncate(time.Microsecond) // as PostgreSQL keeps it, and the records below
		batch[i].SubmittedAt = at
		rs = append(rs, id, s.ID, ResponseSubmitted, code, HashToken(fmt.Sprintf("seed:%d:%d", s.ID, id)), 0, version, at, at, at)
		if len(rs) >= 300*respCols {
			if err := flush("responses", rcols, respCols, &rs); err != nil {
				return err
			}
		}
	}
	if err := flush("responses", rcols, respCols, &rs); err != nil {
		return err
	}
	if sync := dialectOf(tx).syncSequence("responses"); sync != "" {
		if err := tx.Exec(sync).Error; err != nil {
			return err
		}
	}
	for i, r := range batch {
		for _, a := range r.Answers {
			as = append(as, next+uint(i), a.Question, a.Item, a.Option, a.Text, a.Number)
			if len(as) >= 500*ansCols {
				if err := flush("answers", acols, ansCols, &as); err != nil {
					return err
				}
			}
		}
	}
	if err := flush("answers", acols, ansCols, &as); err != nil {
		return err
	}
	// Their export records, as Submit writes them (in Dutch, the rows' default language).
	vdef, err := s.DefFor(tx, &Response{Version: version})
	if err != nil {
		return err
	}
	var recs []any
	for i, r := range batch {
		key, cells, err := makeRecord(vdef, &RawResponse{SubmittedAt: r.SubmittedAt, Version: version, Lang: "nl", Answers: r.Answers})
		if err != nil {
			return err
		}
		recs = append(recs, next+uint(i), key, cells)
		if len(recs) >= 300*3 {
			if err := flush("response_records", "response_id, layout, cells", 3, &recs); err != nil {
				return err
			}
		}
	}
	if err := flush("response_records", "response_id, layout, cells", 3, &recs); err != nil {
		return err
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	return tallyResponses(tx, s, def, responseIDs{from: next, to: next + uint(len(batch)) - 1}) // as the queue is tallied, in bulk
}

// SeedResponses writes n submitted responses with random but valid answers to every question
// of s. The first responses take the register's municipalities in code order; past the end of
// the register (benchmarks with more responses than municipalities) the code is left empty.
func SeedResponses(db *gorm.DB, s *Survey, n int, rng *rand.Rand) error {
	def, err := s.Def()
	if err != nil {
		return err
	}
	var codes []Municipality
	if err := db.Where("register = ?", s.Register).Order("code").Find(&codes).Error; err != nil {
		return err
	}
	var taken []string
	if err := db.Model(&Response{}).Where("survey_id = ? AND municipality_code IS NOT NULL", s.ID).Pluck("municipality_code", &taken).Error; err != nil {
		return err
	}
	used := map[string]bool{}
	for _, c := range taken {
		used[c] = true
	}
	free := codes[:0:0]
	for _, m := range codes {
		if !used[m.Code] {
			free = append(free, m)
		}
	}
	batch := make([]SeededResponse, 0, seedBatch)
	for i := 0; i < n; i++ {
		r := SeededResponse{SubmittedAt: now()}
		var m *Municipality
		if i < len(free) {
			m = &free[i]
			r.Municipality = m.Code
		}
		r.Answers = RandomAnswers(def, m, rng)
		batch = append(batch, r)
		if len(batch) == seedBatch || i == n-1 {
			if err := InsertSubmitted(db, s, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	return nil
}

// RandomAnswers answers every question of def at random, as a respondent for m could have.
func RandomAnswers(def *Definition, m *Municipality, rng *rand.Rand) []Answer {
	var out []Answer
	for _, q := range def.Questions() {
		switch q.Kind {
		case KindMunicipality:
			if m != nil {
				out = append(out, Answer{Question: q.Code, Option: m.Code, Text: m.Name})
			}
		case KindSingle:
			o := q.Choices()[rng.IntN(len(q.Choices()))]
			out = append(out, Answer{Question: q.Code, Option: o.Code, Text: otherText(o, rng)})
		case KindMulti:
			picked := false
			for j, o := range q.Options {
				if rng.IntN(2) == 0 || (!picked && j == len(q.Options)-1) {
					out = append(out, Answer{Question: q.Code, Option: o.Code, Text: otherText(o, rng)})
					picked = true
				}
			}
		case KindLikert:
			for _, st := range q.Statements {
				o := q.Choices()[rng.IntN(len(q.Choices()))]
				out = append(out, Answer{Question: q.Code, Item: st.Code, Option: o.Code})
			}
		case KindText:
			out = append(out, Answer{Question: q.Code, Text: seedTexts[rng.IntN(len(seedTexts))]})
		case KindNumber:
			lo, hi := 0.0, 100.0
			if q.Min != nil {
				lo = *q.Min
			}
			if q.Max != nil {
				hi = *q.Max
			}
			v := float64(int(lo + rng.Float64()*(hi-lo)))
			out = append(out, Answer{Question: q.Code, Number: &v})
		}
	}
	return out
}

func otherText(o Option, rng *rand.Rand) string {
	if !o.Other {
		return ""
	}
	return seedTexts[rng.IntN(len(seedTexts))]
}

var seedTexts = []string{
	"De e-dienstverlening verder ontwikkelen, ook via WhatsApp.",
	"Een Klant Contact Centrum opzetten.",
	"Een burgerpanel oprichten.",
	"Meer samenwerken tussen communicatie en dienstverlening.",
	"Online monitoring van wat er in de gemeente speelt.",
}
