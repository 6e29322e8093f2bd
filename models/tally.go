package models

import (
	"fmt"
	"math"

	"gorm.io/gorm"
)

// Tally is a running count of submitted answers per breakdown cell: how many submitted
// responses of department, province and size class gave Option to Question (and Item).
// A submit puts its response in the queue of untallied ones; a background pass
// (DB.tallyQueued) adds the queue to the tallies in batches, and closing adds what is left,
// so closing a survey only sums small tables instead of reading every answer
// (docs/performance.md). Rows with an empty Question count respondents; rows of a multi
// question with an empty Option count who answered it.
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

// Untallied is a submitted response that is not in the tallies yet. Submit queues it, in its
// own transaction; catchUpTallies takes it off the queue and adds it to the tallies in one
// transaction, so each submitted response is added exactly once. Adding ~40 tally rows per
// submit in the submit's own turn was the largest part of the group writer's work.
type Untallied struct {
	ResponseID uint      `gorm:"primaryKey;autoIncrement:false"`
	Response   *Response `gorm:"constraint:OnDelete:CASCADE"`
	SurveyID   uint      `gorm:"not null;index"`
}

func (Untallied) TableName() string { return "untallied" }

// responseIDs picks responses by id: a range (fromID..toID) or a list.
type responseIDs struct {
	from, to uint
	list     []uint // when set, these and no others
}

// where is the condition on col that picks the responses.
func (ids responseIDs) where(col string) (string, []any) {
	if ids.list != nil {
		return col + " IN ?", []any{ids.list}
	}
	return col + " BETWEEN ? AND ?", []any{ids.from, ids.to}
}

func (ids responseIDs) String() string {
	if ids.list != nil {
		return fmt.Sprintf("%d responses", len(ids.list))
	}
	return fmt.Sprintf("responses %d..%d", ids.from, ids.to)
}

// tallyBatch is how many queued responses catchUpTallies adds at most in one go: one IN list
// of ids per statement, far below both databases' limits on parameters.
const tallyBatch = 500

// catchUpTallies takes up to limit of survey surveyID's queued responses off the queue and
// adds them to the tallies; n is how many it took. The DELETE … RETURNING claims them: a
// second transaction that reads the same rows (another instance's pass, a close) waits for
// this one and then finds them gone, so no response is added twice.
func catchUpTallies(db *gorm.DB, surveyID uint, limit int) (n int, err error) {
	// Claimed and added in one transaction (a savepoint inside the caller's): a failure puts
	// the claimed responses back on the queue.
	err = db.Transaction(func(tx *gorm.DB) error {
		n, err = claimAndTally(tx, surveyID, limit)
		return err
	})
	return n, err
}

func claimAndTally(tx *gorm.DB, surveyID uint, limit int) (n int, err error) {
	rows, err := tx.Raw(`DELETE FROM untallied WHERE response_id IN
		(SELECT response_id FROM untallied WHERE survey_id = ? ORDER BY response_id LIMIT ?) RETURNING response_id`,
		surveyID, limit).Rows()
	if err != nil {
		return 0, fmt.Errorf("tally the queue of survey %d: %w", surveyID, err)
	}
	var claimed []uint
	for rows.Next() {
		var id uint
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		claimed = append(claimed, id)
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	if len(claimed) == 0 {
		return 0, nil
	}
	var s Survey
	if err := tx.Take(&s, surveyID).Error; err != nil {
		return 0, notFound(err)
	}
	// Each response counts by the definition of the version it was answered on, as a submit
	// counted it (its department question, its multiple-choice questions, its skip logic).
	var versions []struct {
		ID      uint
		Version int
	}
	if err := tx.Raw(`SELECT id, version FROM responses WHERE id IN ? AND status = ?`, claimed, ResponseSubmitted).Scan(&versions).Error; err != nil {
		return 0, err
	}
	byVersion := map[int][]uint{}
	for _, v := range versions {
		byVersion[v.Version] = append(byVersion[v.Version], v.ID)
	}
	for version, ids := range byVersion {
		def, err := s.DefFor(tx, &Response{Version: version})
		if err != nil {
			return 0, err
		}
		if err := tallyResponses(tx, &s, def, responseIDs{list: ids}); err != nil {
			return 0, err
		}
	}
	return len(claimed), nil
}

// catchUpAllTallies adds every queued response of survey surveyID to the tallies, limit at a
// time.
func catchUpAllTallies(tx *gorm.DB, surveyID uint, limit int) error {
	for {
		n, err := catchUpTallies(tx, surveyID, limit)
		if err != nil || n == 0 {
			return err
		}
	}
}

// tallyResponses adds the submitted responses of survey s that ids picks to the tallies. A
// submitted response never changes, so each is added exactly once: from the queue
// (catchUpTallies), by the seeding helper, or by rebuildTallies.
func tallyResponses(tx *gorm.DB, s *Survey, def *Definition, ids responseIDs) error {
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
	rWhere, rArgs := ids.where("r.id")
	aWhere, aArgs := ids.where("a.response_id")
	xWhere, xArgs := ids.where("response_id")
	groups := `(SELECT r.id AS response_id, COALESCE(d.option, '') AS department,
			COALESCE(m.province, '') AS province, ` + sizeCaseSQL() + ` AS size
		FROM responses r
		LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
		LEFT JOIN answers d ON d.response_id = r.id AND d.question = ?
		WHERE r.survey_id = ? AND r.status = 'submitted' AND ` + rWhere + `) g`
	gargs := append([]any{s.Register, dept, s.ID}, rArgs...)
	steps := []sqlStep{
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, '', '', '', department, province, size, COUNT(*), 0 FROM ` + groups + `
			WHERE true GROUP BY department, province, size` + tallyUpsert, append([]any{s.ID}, gargs...)},
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, a.question, a.item, a.option, g.department, g.province, g.size, COUNT(*), SUM(COALESCE(a.number, 0))
			FROM answers a JOIN ` + groups + ` ON g.response_id = a.response_id
			WHERE ` + aWhere + ` AND a.question <> ?
			GROUP BY a.question, a.item, a.option, g.department, g.province, g.size` + tallyUpsert,
			append(append(append([]any{s.ID}, gargs...), aArgs...), def.MunicipalityQuestion().Code)},
	}
	if len(multi) > 0 {
		steps = append(steps, sqlStep{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, x.question, '', '', g.department, g.province, g.size, COUNT(*), 0
			FROM (SELECT DISTINCT response_id, question FROM answers WHERE ` + xWhere + ` AND question IN ?) x
			JOIN ` + groups + ` ON g.response_id = x.response_id
			WHERE true GROUP BY x.question, g.department, g.province, g.size` + tallyUpsert,
			append(append(append([]any{s.ID}, xArgs...), multi), gargs...)})
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
			return fmt.Errorf("tally %s of survey %d: %w", ids, s.ID, err)
		}
	}
	return nil
}

// tallyKey is one tally row of one response's department, province and size class.
type tallyKey struct{ question, item, option string }

// tallyRules say which tally rows one submitted respondent adds to, and with what number, as
// tallyResponses adds them in SQL: the slice pass (slicebatch.go) counts every response with
// them, so that a slice counts exactly as the tallies do (TestSubmitTalliesEqualARecount holds
// the two together). Made once per definition: the slice pass applies them to every response
// of a survey.
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

// rebuildTallies recounts a survey's tallies from its answers: for data written before the
// tallies existed, or if the tallies and the responses ever disagree.
func rebuildTallies(tx *gorm.DB, s *Survey, def *Definition) error {
	if err := tx.Where("survey_id = ?", s.ID).Delete(&Tally{}).Error; err != nil {
		return err
	}
	// The recount counts every submitted response, the queued ones too.
	if err := tx.Where("survey_id = ?", s.ID).Delete(&Untallied{}).Error; err != nil {
		return err
	}
	return tallyResponses(tx, s, def, responseIDs{from: 0, to: math.MaxInt64})
}

// talliesAgree reports whether the tallied respondents equal the submitted responses.
func talliesAgree(tx *gorm.DB, surveyID uint) (bool, error) {
	var counts struct{ Tallied, Submitted int64 }
	err := tx.Raw(`SELECT
		(SELECT COALESCE(SUM(n), 0) FROM tallies WHERE survey_id = ? AND question = '') AS tallied,
		(SELECT COUNT(*) FROM responses WHERE survey_id = ? AND status = 'submitted') AS submitted`, surveyID, surveyID).Scan(&counts).Error
	return counts.Tallied == counts.Submitted, err
}
