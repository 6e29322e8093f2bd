package models

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"

	"gorm.io/gorm"
)

// Tally is a running count of submitted answers per breakdown cell: how many submitted
// responses of department, province and size class gave Option to Question (and Item).
// The submit transaction adds each response to it, so closing a survey only sums small
// tables instead of reading every answer (docs/performance.md). Rows with an empty Question
// count respondents; rows of a multi question with an empty Option count who answered it.
type Tally struct {
	SurveyID   uint    `gorm:"primaryKey;autoIncrement:false"`
	Question   string  `gorm:"primaryKey"`
	Item       string  `gorm:"primaryKey"`
	Option     string  `gorm:"primaryKey"`
	Department string  `gorm:"primaryKey"`
	Province   string  `gorm:"primaryKey"`
	Size       string  `gorm:"primaryKey"`
	N          int64   `gorm:"not null"`
	Total      float64 `gorm:"not null"` // sum of a number question's answers
}

// tallyUpsert adds a row's counts to the row that is already there. The old values are named
// by their table: PostgreSQL finds a bare n ambiguous beside excluded.n.
const tallyUpsert = ` ON CONFLICT (survey_id, question, item, option, department, province, size)
		DO UPDATE SET n = tallies.n + excluded.n, total = tallies.total + excluded.total`

// tallyResponses adds the submitted responses of survey s with ids fromID..toID to the tallies.
// A submitted response never changes, so each is added exactly once: by Submit, by the
// seeding helper, or by rebuildTallies.
func tallyResponses(tx *gorm.DB, s *Survey, def *Definition, fromID, toID uint) error {
	dept := ""
	if pq := profileQuestion(def); pq != nil {
		dept = pq.Code
	}
	var multi []string
	for _, q := range def.Questions() {
		if q.Kind == KindMulti {
			multi = append(multi, q.Code)
		}
	}
	groups := `(SELECT r.id AS response_id, COALESCE(d.option, '') AS department,
			COALESCE(m.province, '') AS province, ` + sizeCaseSQL() + ` AS size
		FROM responses r
		LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		LEFT JOIN answers d ON d.response_id = r.id AND d.question = ?
		WHERE r.survey_id = ? AND r.status = 'submitted' AND r.id BETWEEN ? AND ?) g`
	gargs := []any{s.Register, dept, s.ID, fromID, toID}
	steps := []sqlStep{
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, '', '', '', department, province, size, COUNT(*), 0 FROM ` + groups + `
			WHERE true GROUP BY department, province, size` + tallyUpsert, append([]any{s.ID}, gargs...)},
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, a.question, a.item, a.option, g.department, g.province, g.size, COUNT(*), SUM(COALESCE(a.number, 0))
			FROM answers a JOIN ` + groups + ` ON g.response_id = a.response_id
			WHERE a.response_id BETWEEN ? AND ? AND a.question <> ?
			GROUP BY a.question, a.item, a.option, g.department, g.province, g.size` + tallyUpsert,
			append(append([]any{s.ID}, gargs...), fromID, toID, def.MunicipalityQuestion().Code)},
	}
	if len(multi) > 0 {
		steps = append(steps, sqlStep{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, x.question, '', '', g.department, g.province, g.size, COUNT(*), 0
			FROM (SELECT DISTINCT response_id, question FROM answers WHERE response_id BETWEEN ? AND ? AND question IN ?) x
			JOIN ` + groups + ` ON g.response_id = x.response_id
			WHERE true GROUP BY x.question, g.department, g.province, g.size` + tallyUpsert,
			append([]any{s.ID, fromID, toID, multi}, gargs...)})
	}
	// Skip logic: who was shown a question is who had every condition of it hold. A hidden
	// question's answers are removed on saving, so an answer to a condition's question means
	// that question was shown itself.
	for code, conds := range def.shownConditions() {
		where, args := "", append([]any{s.ID, code, ShownItem}, gargs...) // the groups come first in the SQL
		for _, c := range conds {
			where += ` AND EXISTS (SELECT 1 FROM answers c WHERE c.response_id = g.response_id AND c.question = ? AND c.option IN ?)`
			args = append(args, c.Question, c.Values)
		}
		steps = append(steps, sqlStep{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, ?, ?, '', department, province, size, COUNT(*), 0 FROM ` + groups + `
			WHERE true` + where + ` GROUP BY department, province, size` + tallyUpsert, args})
	}
	for _, st := range steps {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("tally responses %d..%d of survey %d: %w", fromID, toID, s.ID, err)
		}
	}
	return nil
}

// tallyKey is one tally row of one response's department, province and size class.
type tallyKey struct{ question, item, option string }

// tallyRules say which tally rows one submitted respondent adds to, and with what number:
// tallySubmitted counts a submit with them and the slice pass (slicebatch.go) every response,
// so that a slice counts exactly as the tallies do. Made once per definition: the slice pass
// applies them to every response of a survey.
type tallyRules struct {
	def          *Definition
	municipality string
	multi        map[string]bool
	shown        map[string][]*Condition // the questions skip logic can hide; nil without skip logic
}

func newTallyRules(def *Definition) tallyRules {
	t := tallyRules{def: def, municipality: def.MunicipalityQuestion().Code, multi: map[string]bool{}}
	for _, q := range def.Questions() {
		t.multi[q.Code] = q.Kind == KindMulti
	}
	if def.HasConditions() {
		t.shown = def.shownConditions()
	}
	return t
}

// each calls add for every row a respondent with answers adds to: the respondent ({}), who was
// shown each question that skip logic can hide, each answer but the municipality (with its
// number), and each multiple-choice question answered at all (its base).
func (t tallyRules) each(answers []Answer, add func(k tallyKey, number float64)) {
	add(tallyKey{}, 0)
	if t.shown != nil {
		vis := t.def.Visible(answers)
		for code := range t.shown {
			if vis.Question(code) {
				add(tallyKey{question: code, item: ShownItem}, 0)
			}
		}
	}
	var answered map[string]bool
	for _, a := range answers {
		if a.Question == t.municipality {
			continue
		}
		var number float64
		if a.Number != nil {
			number = *a.Number
		}
		add(tallyKey{a.Question, a.Item, a.Option}, number)
		if t.multi[a.Question] && !answered[a.Question] {
			if answered == nil {
				answered = map[string]bool{}
			}
			answered[a.Question] = true
			add(tallyKey{question: a.Question}, 0)
		}
	}
}

// tallySubmitted adds one response that is being submitted to the tallies. It adds the same
// rows as tallyResponses, built from the answers Submit has just read instead of three
// grouping queries, in one statement: the grouping queries were half of the submit
// transaction's time. TestSubmitTalliesEqualARecount holds the two to the same result.
func tallySubmitted(tx *gorm.DB, s *Survey, def *Definition, r *Response, answers []Answer) error {
	var dept, province, size string
	if pq := profileQuestion(def); pq != nil {
		for _, a := range answers {
			if a.Question == pq.Code {
				dept = a.Option
			}
		}
	}
	if r.MunicipalityCode != nil {
		var population int
		err := queryRow(tx, `SELECT province, population FROM municipalities WHERE register = $1 AND code = $2 LIMIT 1`,
			[]any{s.Register, *r.MunicipalityCode}, &province, &population)
		switch {
		case err == nil:
			size = SizeClassOf(population).Key
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	type sums struct {
		n     int64
		total float64
	}
	rows := map[tallyKey]*sums{}
	newTallyRules(def).each(answers, func(k tallyKey, number float64) {
		if rows[k] == nil {
			rows[k] = &sums{}
		}
		rows[k].n++
		rows[k].total += number
	})
	var b strings.Builder
	b.WriteString(`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total) VALUES `)
	newParams(tx, &b).rows(len(rows), 9)
	b.WriteString(tallyUpsert)
	args := make([]any, 0, 9*len(rows))
	for k, v := range rows {
		args = append(args, s.ID, k.question, k.item, k.option, dept, province, size, v.n, v.total)
	}
	if _, err := exec(tx, b.String(), args...); err != nil {
		return fmt.Errorf("tally response %d of survey %d: %w", r.ID, s.ID, err)
	}
	return nil
}

// rebuildTallies recounts a survey's tallies from its answers: for data written before the
// tallies existed, or if the tallies and the responses ever disagree.
func rebuildTallies(tx *gorm.DB, s *Survey, def *Definition) error {
	if err := tx.Where("survey_id = ?", s.ID).Delete(&Tally{}).Error; err != nil {
		return err
	}
	return tallyResponses(tx, s, def, 0, math.MaxInt64)
}

// talliesAgree reports whether the tallied respondents equal the submitted responses.
func talliesAgree(tx *gorm.DB, surveyID uint) (bool, error) {
	var counts struct{ Tallied, Submitted int64 }
	err := tx.Raw(`SELECT
		(SELECT COALESCE(SUM(n), 0) FROM tallies WHERE survey_id = ? AND question = '') AS tallied,
		(SELECT COUNT(*) FROM responses WHERE survey_id = ? AND status = 'submitted') AS submitted`, surveyID, surveyID).Scan(&counts).Error
	return counts.Tallied == counts.Submitted, err
}
