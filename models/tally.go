package models

import (
	"fmt"
	"math"

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
	upsert := ` ON CONFLICT (survey_id, question, item, option, department, province, size)
		DO UPDATE SET n = n + excluded.n, total = total + excluded.total`
	steps := []sqlStep{
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, '', '', '', department, province, size, COUNT(*), 0 FROM ` + groups + `
			WHERE true GROUP BY department, province, size` + upsert, append([]any{s.ID}, gargs...)},
		{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, a.question, a.item, a.option, g.department, g.province, g.size, COUNT(*), SUM(COALESCE(a.number, 0))
			FROM answers a JOIN ` + groups + ` ON g.response_id = a.response_id
			WHERE a.response_id BETWEEN ? AND ? AND a.question <> ?
			GROUP BY a.question, a.item, a.option, g.department, g.province, g.size` + upsert,
			append(append([]any{s.ID}, gargs...), fromID, toID, def.MunicipalityQuestion().Code)},
	}
	if len(multi) > 0 {
		steps = append(steps, sqlStep{`INSERT INTO tallies (survey_id, question, item, option, department, province, size, n, total)
			SELECT ?, x.question, '', '', g.department, g.province, g.size, COUNT(*), 0
			FROM (SELECT DISTINCT response_id, question FROM answers WHERE response_id BETWEEN ? AND ? AND question IN ?) x
			JOIN ` + groups + ` ON g.response_id = x.response_id
			WHERE true GROUP BY x.question, g.department, g.province, g.size` + upsert,
			append([]any{s.ID, fromID, toID, multi}, gargs...)})
	}
	for _, st := range steps {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("tally responses %d..%d of survey %d: %w", fromID, toID, s.ID, err)
		}
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
