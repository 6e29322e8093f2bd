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
	// DimVersion counts respondents per version of the questionnaire (versions.go); it is
	// not a breakdown of the answers.
	DimVersion = "versie"
	// DimLanguage groups respondents by the language they answered in (Response.Lang); only
	// a survey with texts in more than one language offers it.
	DimLanguage = "taal"
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
	case DimLanguage:
		return "Taal van de antwoorden"
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
	// AnonymousExport leaves the municipality's code and name out of every raw export and
	// the API; its province and size class stay, so breakdowns still work.
	AnonymousExport bool `gorm:"not null;default:false"`
	// MultiBase is the base of every multiple-choice question: BaseShown (default) or
	// BaseAnswered. AnsweredOnly lists, space-separated, the codes of multi questions that
	// use BaseAnswered whatever MultiBase says.
	MultiBase    string `gorm:"not null;default:shown"`
	AnsweredOnly string `gorm:"not null;default:''"`
	PublishedAt  *time.Time
	UpdatedAt    time.Time
}

// DefaultMinGroupSize is the smallest breakdown group shown unless a survey sets another.
const DefaultMinGroupSize = 5

// MinPublicGroupSize is the smallest minimum group a published results page may use: below
// it a reader could recognise a municipality. Researchers may look at smaller groups
// themselves.
const MinPublicGroupSize = 5

// BaseOf is the base of question q's percentages under these settings: a multi question
// counts everyone who was shown it unless the survey or the question is switched to only
// those who ticked something; every other kind counts who answered.
func (s ResultSettings) BaseOf(q *Question) string {
	if q.Kind != KindMulti || s.MultiBase == BaseAnswered || s.AnsweredOnlyHas(q.Code) {
		return BaseAnswered
	}
	return BaseShown
}

// AnsweredOnlyHas reports whether question code is switched to BaseAnswered on its own.
func (s ResultSettings) AnsweredOnlyHas(code string) bool {
	for _, c := range strings.Fields(s.AnsweredOnly) {
		if c == code {
			return true
		}
	}
	return false
}

// SettingsOf returns survey id's result settings, or the defaults when none were saved.
func SettingsOf(db *gorm.DB, surveyID uint) (ResultSettings, error) {
	s := ResultSettings{SurveyID: surveyID, MinGroupSize: DefaultMinGroupSize, MultiBase: BaseShown}
	err := db.Where("survey_id = ?", surveyID).Take(&s).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return s, nil
	}
	return s, err
}

// SaveSettings stores a survey's reporting choices; whether the results are published is
// left as it is (SetPublished). While they are published, the minimum group cannot go below
// MinPublicGroupSize (ErrPublicGroupTooSmall).
func SaveSettings(db *gorm.DB, survey *Survey, s ResultSettings) error {
	if survey.Status != StatusClosed {
		return ErrResultsEmbargo
	}
	if s.MinGroupSize < 1 {
		s.MinGroupSize = 1
	}
	if s.MultiBase != BaseAnswered {
		s.MultiBase = BaseShown
	}
	def, err := survey.Def()
	if err != nil {
		return err
	}
	var only []string
	for _, q := range def.Questions() {
		if q.Kind == KindMulti && s.AnsweredOnlyHas(q.Code) {
			only = append(only, q.Code)
		}
	}
	s.AnsweredOnly = strings.Join(only, " ")
	return db.Transaction(func(tx *gorm.DB) error {
		old, err := SettingsOf(tx, survey.ID)
		if err != nil {
			return err
		}
		if old.Published && s.MinGroupSize < MinPublicGroupSize {
			return ErrPublicGroupTooSmall
		}
		s.SurveyID, s.UpdatedAt = survey.ID, now()
		s.Published, s.PublicOpenAnswers, s.PublishedAt = old.Published, old.PublicOpenAnswers, old.PublishedAt
		return tx.Save(&s).Error
	})
}

// SetPublished publishes the aggregate results page of a closed survey (with or without its
// open answers), or takes it offline, and records who did it.
func SetPublished(db *gorm.DB, survey *Survey, published, openAnswers bool, who Actor, at time.Time) error {
	if survey.Status != StatusClosed {
		return ErrResultsEmbargo
	}
	return db.Transaction(func(tx *gorm.DB) error {
		s, err := SettingsOf(tx, survey.ID)
		if err != nil {
			return err
		}
		if s.Published == published && (!published || s.PublicOpenAnswers == openAnswers) {
			return nil
		}
		if published && s.MinGroupSize < MinPublicGroupSize {
			return ErrPublicGroupTooSmall
		}
		s.Published, s.PublicOpenAnswers, s.UpdatedAt, s.PublishedAt = published, published && openAnswers, at, nil
		action := ActionUnpublished
		if published {
			t := at.UTC()
			s.PublishedAt, action = &t, ActionPublished
		}
		if err := tx.Save(&s).Error; err != nil {
			return err
		}
		return audit(tx, who, at, action, &survey.ID, "", nil)
	})
}

// CheckReportable returns ErrResultsEmbargo unless the survey is closed.
func CheckReportable(s *Survey) error {
	if s.Status != StatusClosed {
		return ErrResultsEmbargo
	}
	return nil
}

// profileQuestion is the question that describes who answered: the single question marked
// profile: true, else the single question coded "afdeling", else the first single question.
func profileQuestion(def *Definition) *Question {
	for _, q := range def.Questions() {
		if q.Profile && q.Kind == KindSingle { // chosen in the definition (slice.go)
			return q
		}
	}
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
// The counts come from the tallies (models/tally.go): per answer and per cell of department
// × province × size class. Closing adds the responses still queued for them, then sums those
// small tables into the overall figures and each breakdown; it never reads the answers of
// more than the queue, unless the tallies do not add up to the submitted responses, in which
// case they are recounted first.
func ComputeAggregates(tx *gorm.DB, surveyID uint) error {
	var s Survey
	if err := tx.Take(&s, surveyID).Error; err != nil {
		return notFound(err)
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	if err := catchUpAllTallies(tx, surveyID, tallyBatch); err != nil {
		return err
	}
	agree, err := talliesAgree(tx, surveyID)
	if err != nil {
		return err
	}
	if !agree {
		if err := rebuildTallies(tx, &s, def); err != nil {
			return err
		}
	}
	var oneEach []string // single and likert: who answered is the sum of the options
	for _, q := range def.Questions() {
		if q.Kind == KindSingle || q.Kind == KindLikert {
			oneEach = append(oneEach, q.Code)
		}
	}
	dims := []struct{ dim, col string }{{DimAll, "''"}, {DimProvince, "province"}, {DimSize, "size"}}
	if profileQuestion(def) != nil {
		dims = append(dims, struct{ dim, col string }{DimDepartment, "department"})
	}
	steps := []sqlStep{{`DELETE FROM aggregates WHERE survey_id = ?`, []any{surveyID}}}
	for _, d := range dims {
		steps = append(steps, sqlStep{`INSERT INTO aggregates (survey_id, dimension, grp, question, item, option, n, total)
			SELECT ?, ?, ` + d.col + `, question, item, option, SUM(n), SUM(total) FROM tallies
			WHERE survey_id = ? GROUP BY ` + groupingBy(d.col, `question, item, option`), []any{surveyID, d.dim, surveyID}})
		if len(oneEach) > 0 {
			steps = append(steps, sqlStep{`INSERT INTO aggregates (survey_id, dimension, grp, question, item, option, n, total)
				SELECT ?, ?, ` + d.col + `, question, item, '', SUM(n), 0 FROM tallies
				WHERE survey_id = ? AND option <> '' AND question IN ? GROUP BY ` + groupingBy(d.col, `question, item`),
				[]any{surveyID, d.dim, surveyID, oneEach}})
		}
	}
	steps = append(steps, sqlStep{`INSERT INTO aggregates (survey_id, dimension, grp, question, item, option, n, total)
		SELECT ?, ?, CAST(version AS TEXT), '', '', '', COUNT(*), 0 FROM responses
		WHERE survey_id = ? AND status = ? GROUP BY version`, []any{surveyID, DimVersion, surveyID, ResponseSubmitted}})
	for _, st := range steps {
		if err := tx.Exec(st.sql, st.args...).Error; err != nil {
			return fmt.Errorf("aggregates of survey %d: %w", surveyID, err)
		}
	}
	for _, q := range def.Questions() {
		if q.Kind != KindNumber {
			continue
		}
		for _, d := range dims {
			if err := numberStats(tx, &s, def, q.Code, d.dim); err != nil {
				return fmt.Errorf("aggregates of survey %d: %w", surveyID, err)
			}
		}
	}
	return nil
}

// Aggregate rows of a number question that hold a statistic in Total; option codes start
// with a letter, so these never meet one.
const (
	statMedian = "#median"
	statMin    = "#min"
	statMax    = "#max"
)

// numberStats stores the median, minimum and maximum of number question code per group of
// dimension dim. A median cannot be summed from tallies, so this is the one part of closing
// that reads answers: only those of this question, once.
func numberStats(tx *gorm.DB, s *Survey, def *Definition, code, dim string) error {
	col := "''"
	switch dim {
	case DimProvince:
		col = "COALESCE(m.province, '')"
	case DimSize:
		col = sizeCaseSQL()
	case DimDepartment:
		col = "COALESCE(d.option, '')"
	}
	dept := ""
	if pq := profileQuestion(def); pq != nil {
		dept = pq.Code
	}
	var rows []struct {
		Grp            string
		Lo, Hi, Median float64
	}
	err := tx.Raw(`WITH v AS (
			SELECT `+col+` AS grp, a.number AS x FROM answers a
			JOIN responses r ON r.id = a.response_id
			LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code
			LEFT JOIN answers d ON d.response_id = r.id AND d.question = ?
			WHERE r.survey_id = ? AND r.status = 'submitted' AND a.question = ? AND a.number IS NOT NULL),
		o AS (SELECT grp, x, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY x) AS k, COUNT(*) OVER (PARTITION BY grp) AS c FROM v)
		SELECT grp, MIN(x) AS lo, MAX(x) AS hi, AVG(CASE WHEN k IN ((c + 1) / 2, (c + 2) / 2) THEN x END) AS median
		FROM o GROUP BY grp`, s.Register, dept, s.ID, code).Scan(&rows).Error
	if err != nil {
		return fmt.Errorf("statistics of %s: %w", code, err)
	}
	var aggs []Aggregate
	for _, r := range rows {
		for _, st := range []struct {
			option string
			v      float64
		}{{statMedian, r.Median}, {statMin, r.Lo}, {statMax, r.Hi}} {
			aggs = append(aggs, Aggregate{SurveyID: s.ID, Dimension: dim, Grp: r.Grp, Question: code, Option: st.option, Total: st.v})
		}
	}
	if len(aggs) == 0 {
		return nil
	}
	return tx.Create(&aggs).Error
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
	// The packs of the export's records hold the responses as they were at closing.
	if err := tx.Where("survey_id = ?", surveyID).Delete(&RecordPack{}).Error; err != nil {
		return err
	}
	return tx.Model(&ResultSettings{}).Where("survey_id = ?", surveyID).
		Updates(map[string]any{"published": false, "published_at": nil}).Error
}
