package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// ErrResultsEmbargo is a request for results, exports or answer content of a survey that is
// not closed: nothing is visible during fieldwork, not even to the researcher.
var ErrResultsEmbargo = errors.New("results are available only after closing")

// Breakdown dimensions. DimAll is the whole group of respondents.
const (
	DimAll        = ""
	DimDepartment = "afdeling"
	DimProvince   = "provincie"
	DimSize       = "grootte"
)

// Dimensions lists the breakdowns in the order the results page offers them.
var Dimensions = []string{DimDepartment, DimProvince, DimSize}

// DimensionLabel is the Dutch name of a breakdown dimension.
func DimensionLabel(dim string) string {
	switch dim {
	case DimDepartment:
		return "Afdeling"
	case DimProvince:
		return "Provincie"
	case DimSize:
		return "Gemeentegrootte"
	}
	return "Alle respondenten"
}

// SizeClass is a class of municipalities by population: the CBS gemeentegrootte classes,
// merged so that no class of the 2018 register is tiny (docs/results.md).
type SizeClass struct {
	Key   string
	Label string
	Min   int // inclusive
}

// SizeClasses are the classes from small to large; each includes its lower bound.
var SizeClasses = []SizeClass{
	{"a_lt10k", "minder dan 10.000 inwoners", 0},
	{"b_10k_20k", "10.000 tot 20.000 inwoners", 10_000},
	{"c_20k_50k", "20.000 tot 50.000 inwoners", 20_000},
	{"d_50k_100k", "50.000 tot 100.000 inwoners", 50_000},
	{"e_ge100k", "100.000 inwoners of meer", 100_000},
}

// sizeCaseSQL maps m.population to a SizeClass key in SQL.
func sizeCaseSQL() string {
	s := "CASE WHEN m.population IS NULL THEN ''"
	for i := len(SizeClasses) - 1; i >= 0; i-- {
		s += fmt.Sprintf(" WHEN m.population >= %d THEN '%s'", SizeClasses[i].Min, SizeClasses[i].Key)
	}
	return s + " END"
}

// Aggregate is one stored count of a closed survey: how many submitted responses in group Grp
// of dimension Dimension gave Option to Question (and likert statement Item).
//
// Two kinds of rows carry an empty Option: the number of respondents who answered the
// question (or statement), and, with an empty Question as well, the number of respondents in
// the group. Total is the sum of the answers of a number question.
type Aggregate struct {
	SurveyID  uint   `gorm:"primaryKey;autoIncrement:false"`
	Dimension string `gorm:"primaryKey"`
	Grp       string `gorm:"primaryKey"`
	Question  string `gorm:"primaryKey"`
	Item      string `gorm:"primaryKey"`
	Option    string `gorm:"primaryKey"`
	N         int64  `gorm:"not null"`
	Total     float64
}

// ResultSettings are a survey's reporting choices.
type ResultSettings struct {
	SurveyID uint `gorm:"primaryKey;autoIncrement:false"`
	// MinGroupSize hides a breakdown group with fewer respondents (and, by complementary
	// suppression, one more group when only one would be hidden).
	MinGroupSize      int  `gorm:"not null;default:5"`
	Published         bool `gorm:"not null;default:false"`
	PublicOpenAnswers bool `gorm:"not null;default:false"`
	PublishedAt       *time.Time
	UpdatedAt         time.Time
}

// DefaultMinGroupSize is the smallest breakdown group shown unless a survey sets another.
const DefaultMinGroupSize = 5

// SettingsOf returns survey id's result settings, or the defaults when none were saved.
func SettingsOf(db *gorm.DB, surveyID uint) (ResultSettings, error) {
	s := ResultSettings{SurveyID: surveyID, MinGroupSize: DefaultMinGroupSize}
	err := db.Where("survey_id = ?", surveyID).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s, nil
	}
	return s, err
}

// SaveSettings stores a survey's result settings. Publishing needs a closed survey.
func SaveSettings(db *gorm.DB, survey *Survey, s ResultSettings) error {
	if survey.Status != StatusClosed {
		return ErrResultsEmbargo
	}
	if s.MinGroupSize < 1 {
		s.MinGroupSize = 1
	}
	return db.Transaction(func(tx *gorm.DB) error {
		old, err := SettingsOf(tx, survey.ID)
		if err != nil {
			return err
		}
		s.SurveyID, s.UpdatedAt, s.PublishedAt = survey.ID, now(), old.PublishedAt
		if s.Published && !old.Published {
			t := now()
			s.PublishedAt = &t
		}
		if !s.Published {
			s.PublishedAt = nil
		}
		return tx.Save(&s).Error
	})
}

// CheckReportable returns ErrResultsEmbargo unless the survey is closed.
func CheckReportable(s *Survey) error {
	if s.Status != StatusClosed {
		return ErrResultsEmbargo
	}
	return nil
}

// profileQuestion is the question that describes who answered: the single question coded
// "afdeling", or else the first single question of the survey.
func profileQuestion(def *Definition) *Question {
	var first *Question
	for _, q := range def.Questions() {
		if q.Kind != KindSingle {
			continue
		}
		if q.Code == DimDepartment {
			return q
		}
		if first == nil {
			first = q
		}
	}
	return first
}

// ComputeAggregates computes and stores the aggregates of a survey that is being closed;
// it runs inside the closing transaction.
//
// One pass over the answers fills a small cube: (answer key × cell) → count, where an answer
// key is a (question, item, option) of the definition and a cell is one combination of
// department, province and size class. The overall figures and each breakdown are sums over
// that cube. The cube is filled by upsert on an integer key rather than by GROUP BY: SQLite's
// sorter over millions of text keys was four times slower (docs/results.md).
func ComputeAggregates(tx *gorm.DB, surveyID uint) error {
	var s Survey
	if err := tx.Take(&s, surveyID).Error; err != nil {
		return notFound(err)
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	var multi, oneEach []string // multi: distinct respondents; single/likert: one answer each
	keys := []any{"", "", ""}   // respondents in the cell: the first key, id 1
	for _, q := range def.Questions() {
		switch q.Kind {
		case KindMulti:
			multi = append(multi, q.Code)
			keys = append(keys, q.Code, "", "")
			for _, o := range q.Options {
				keys = append(keys, q.Code, "", o.Code)
			}
		case KindSingle:
			oneEach = append(oneEach, q.Code)
			keys = append(keys, q.Code, "", "")
			for _, o := range q.Choices() {
				keys = append(keys, q.Code, "", o.Code)
			}
		case KindLikert:
			oneEach = append(oneEach, q.Code)
			for _, st := range q.Statements {
				keys = append(keys, q.Code, st.Code, "")
				for _, o := range q.Choices() {
					keys = append(keys, q.Code, st.Code, o.Code)
				}
			}
		case KindText, KindNumber: // their answers have an empty option: the row counts who answered
			keys = append(keys, q.Code, "", "")
		}
	}
	dept := ""
	if pq := profileQuestion(def); pq != nil {
		dept = pq.Code
	}
	const cellBits = 65536 // cube key = key id * cellBits + cell
	steps := []sqlStep{
		{`DROP TABLE IF EXISTS temp.agg_groups`, nil},
		{`DROP TABLE IF EXISTS temp.agg_cells`, nil},
		{`DROP TABLE IF EXISTS temp.agg_resp`, nil},
		{`DROP TABLE IF EXISTS temp.agg_keys`, nil},
		{`DROP TABLE IF EXISTS temp.agg_cube`, nil},
		{`DELETE FROM aggregates WHERE survey_id = ?`, []any{surveyID}},
		// Every submitted response with its group in each dimension.
		{`CREATE TEMP TABLE agg_groups AS
			SELECT r.id AS response_id, COALESCE(d.option, '') AS department,
				COALESCE(m.province, '') AS province, ` + sizeCaseSQL() + ` AS size
			FROM responses r
			LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
			LEFT JOIN answers d ON d.response_id = r.id AND d.question = ?
			WHERE r.survey_id = ? AND r.status = ?`, []any{s.Register, dept, surveyID, ResponseSubmitted}},
		{`CREATE TEMP TABLE agg_cells (cell INTEGER PRIMARY KEY, department TEXT, province TEXT, size TEXT)`, nil},
		{`INSERT INTO agg_cells (department, province, size) SELECT DISTINCT department, province, size FROM agg_groups`, nil},
		{`CREATE TEMP TABLE agg_resp (response_id INTEGER PRIMARY KEY, cell INTEGER NOT NULL)`, nil},
		{`INSERT INTO agg_resp SELECT g.response_id, c.cell FROM agg_groups g
			JOIN agg_cells c ON c.department = g.department AND c.province = g.province AND c.size = g.size`, nil},
		{`CREATE TEMP TABLE agg_keys (id INTEGER PRIMARY KEY, question TEXT, item TEXT, option TEXT, UNIQUE (question, item, option))`, nil},
	}
	for i := 0; i < len(keys); i += 300 {
		batch := keys[i:min(i+300, len(keys))]
		rows := strings.Repeat("(?,?,?),", len(batch)/3)
		steps = append(steps, sqlStep{`INSERT OR IGNORE INTO agg_keys (question, item, option) VALUES ` + strings.TrimSuffix(rows, ","), batch})
	}
	steps = append(steps,
		sqlStep{`CREATE TEMP TABLE agg_cube (key INTEGER PRIMARY KEY, n INTEGER NOT NULL, total REAL NOT NULL)`, nil},
		// The single pass over the answers. "WHERE true" keeps ON CONFLICT from being read as a join's ON.
		sqlStep{fmt.Sprintf(`INSERT INTO agg_cube
			SELECT k.id * %d + r.cell, 1, COALESCE(a.number, 0) FROM answers a
			JOIN agg_resp r ON r.response_id = a.response_id
			JOIN agg_keys k ON k.question = a.question AND k.item = a.item AND k.option = a.option
			WHERE true ON CONFLICT (key) DO UPDATE SET n = n + 1, total = total + excluded.total`, cellBits), nil},
		// Respondents per cell.
		sqlStep{fmt.Sprintf(`INSERT INTO agg_cube SELECT 1 * %d + cell, COUNT(*), 0 FROM agg_resp GROUP BY cell`, cellBits), nil},
	)
	if len(multi) > 0 { // who answered a multi question: distinct (response, question), read off the index
		steps = append(steps, sqlStep{fmt.Sprintf(`INSERT INTO agg_cube
			SELECT k.id * %d + r.cell, 1, 0 FROM (SELECT DISTINCT response_id, question FROM answers WHERE question IN ?) x
			JOIN agg_resp r ON r.response_id = x.response_id
			JOIN agg_keys k ON k.question = x.question AND k.item = '' AND k.option = ''
			WHERE true ON CONFLICT (key) DO UPDATE SET n = n + 1`, cellBits), []any{multi}})
	}
	if len(oneEach) > 0 { // who answered a single question or a statement: the sum of its options
		steps = append(steps, sqlStep{fmt.Sprintf(`INSERT INTO agg_cube
			SELECT ka.id * %[1]d + c.key %% %[1]d, SUM(c.n), 0 FROM agg_cube c
			JOIN agg_keys k ON k.id = c.key / %[1]d
			JOIN agg_keys ka ON ka.question = k.question AND ka.item = k.item AND ka.option = ''
			WHERE k.option <> '' AND k.question IN ? GROUP BY 1`, cellBits), []any{oneEach}})
	}
	roll := `INSERT INTO aggregates (survey_id, dimension, grp, question, item, option, n, total)
		SELECT ?, ?, %s, k.question, k.item, k.option, SUM(c.n), SUM(c.total) FROM agg_cube c
		JOIN agg_keys k ON k.id = c.key / ` + fmt.Sprint(cellBits) + `
		JOIN agg_cells g ON g.cell = c.key %% ` + fmt.Sprint(cellBits) + `
		GROUP BY %s k.question, k.item, k.option`
	steps = append(steps,
		sqlStep{fmt.Sprintf(roll, "''", ""), []any{surveyID, DimAll}},
		sqlStep{fmt.Sprintf(roll, "g.province", "g.province,"), []any{surveyID, DimProvince}},
		sqlStep{fmt.Sprintf(roll, "g.size", "g.size,"), []any{surveyID, DimSize}},
	)
	if dept != "" {
		steps = append(steps, sqlStep{fmt.Sprintf(roll, "g.department", "g.department,"), []any{surveyID, DimDepartment}})
	}
	for _, t := range []string{"agg_groups", "agg_cells", "agg_resp", "agg_keys", "agg_cube"} {
		steps = append(steps, sqlStep{"DROP TABLE temp." + t, nil})
	}
	for _, st := range steps {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("aggregates of survey %d: %w", surveyID, err)
		}
	}
	return nil
}

// sqlStep is one statement of a longer computation.
type sqlStep struct {
	sql  string
	args []any
}

// DropAggregates removes stored aggregates when a survey is reopened, and takes a
// published results page down: figures of a survey in fieldwork are never shown.
func DropAggregates(tx *gorm.DB, surveyID uint) error {
	if err := tx.Where("survey_id = ?", surveyID).Delete(&Aggregate{}).Error; err != nil {
		return err
	}
	return tx.Model(&ResultSettings{}).Where("survey_id = ?", surveyID).
		Updates(map[string]any{"published": false, "published_at": nil}).Error
}
