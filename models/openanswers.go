package models

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Theme is a label a researcher gives to open answers of one question, to condense them
// (the reference article reports five themes per open question).
type Theme struct {
	ID        uint   `gorm:"primaryKey"`
	SurveyID  uint   `gorm:"not null;uniqueIndex:idx_themes_name"`
	Question  string `gorm:"not null;uniqueIndex:idx_themes_name"`
	Name      string `gorm:"not null;uniqueIndex:idx_themes_name"`
	CreatedAt time.Time
}

// AnswerTheme tags one answer with one theme.
type AnswerTheme struct {
	ThemeID  uint    `gorm:"primaryKey;autoIncrement:false"`
	Theme    *Theme  `gorm:"constraint:OnDelete:CASCADE"`
	AnswerID uint    `gorm:"primaryKey;autoIncrement:false;index"`
	Answer   *Answer `gorm:"constraint:OnDelete:CASCADE"`
}

// ThemeCount is a theme with the number of answers tagged with it.
type ThemeCount struct {
	ID    uint
	Name  string
	Count int64
}

// OpenAnswer is one written answer: an open question's answer or an "anders, namelijk" text.
type OpenAnswer struct {
	ID     uint
	Option string // the option it explains; empty for an open question
	Text   string
	Themes []uint `gorm:"-"`
}

// MaxThemeName bounds a theme's name.
const MaxThemeName = 80

// ErrBadThemeName is an empty or overlong theme name.
var ErrBadThemeName = errors.New("theme name empty or too long")

// OpenAnswers returns the written answers to question of a closed survey whose text contains
// query (any case; empty for all), in the order of the responses, at most limit from offset.
// Walking the responses in order lets SQLite stop after limit answers instead of sorting all.
func OpenAnswers(db *gorm.DB, s *Survey, question, query string, offset, limit int) ([]OpenAnswer, error) {
	if err := CheckReportable(s); err != nil {
		return nil, err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return nil, err
	}
	var out []OpenAnswer
	err := openAnswers(db, s, question, query).Select("a.id, a.option, a.text").
		Order("r.id, a.id").Offset(offset).Limit(limit).Scan(&out).Error
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]uint, len(out))
	at := map[uint]int{}
	for i, a := range out {
		ids[i], at[a.ID] = a.ID, i
	}
	var tags []AnswerTheme
	if err := db.Where("answer_id IN ?", ids).Order("theme_id").Find(&tags).Error; err != nil {
		return nil, err
	}
	for _, t := range tags {
		out[at[t.AnswerID]].Themes = append(out[at[t.AnswerID]].Themes, t.ThemeID)
	}
	return out, nil
}

// CountOpenAnswers counts what OpenAnswers would return without a limit. It reads every
// response, so the results page takes its counts from the aggregates instead.
func CountOpenAnswers(db *gorm.DB, s *Survey, question, query string) (int64, error) {
	if err := CheckReportable(s); err != nil {
		return 0, err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return 0, err
	}
	var total int64
	if err := openAnswers(db, s, question, query).Count(&total).Error; err != nil {
		return 0, fmt.Errorf("count open answers to %s: %w", question, err)
	}
	return total, nil
}

func openAnswers(db *gorm.DB, s *Survey, question, query string) *gorm.DB {
	q := db.Table("answers a").Joins("JOIN responses r ON r.id = a.response_id").
		Where("r.survey_id = ? AND r.status = ? AND a.question = ? AND a.text <> ''", s.ID, ResponseSubmitted, question)
	if query = strings.TrimSpace(query); query != "" {
		q = q.Where("a.text LIKE ? ESCAPE '\\'", "%"+likeEscape(query)+"%")
	}
	return q
}

// likeEscape makes s match itself literally inside a LIKE pattern with ESCAPE '\'. SQLite's
// LIKE ignores case for ASCII letters only.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Themes returns question's themes with their counts, in the order they were made.
func Themes(db *gorm.DB, surveyID uint, question string) ([]ThemeCount, error) {
	var out []ThemeCount
	err := db.Raw(`SELECT t.id, t.name, COUNT(at.answer_id) AS count FROM themes t
		LEFT JOIN answer_themes at ON at.theme_id = t.id
		WHERE t.survey_id = ? AND t.question = ? GROUP BY t.id, t.name ORDER BY t.id`, surveyID, question).Scan(&out).Error
	return out, err
}

// CreateTheme adds a theme to question; a name it already has is no error.
func CreateTheme(db *gorm.DB, s *Survey, question, name string) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > MaxThemeName {
		return ErrBadThemeName
	}
	err := db.Create(&Theme{SurveyID: s.ID, Question: question, Name: name}).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return nil
	}
	return err
}

// TagAnswer tags (on) or untags an answer of survey s with theme themeID; both must belong to
// the same question of s.
func TagAnswer(db *gorm.DB, s *Survey, themeID, answerID uint, on bool) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	var ok int64
	err := db.Raw(`SELECT COUNT(*) FROM themes t JOIN answers a ON a.question = t.question
		JOIN responses r ON r.id = a.response_id AND r.survey_id = t.survey_id
		WHERE t.id = ? AND a.id = ? AND t.survey_id = ? AND r.status = ?`, themeID, answerID, s.ID, ResponseSubmitted).Scan(&ok).Error
	if err != nil {
		return err
	}
	if ok == 0 {
		return ErrNotFound
	}
	if !on {
		return db.Where("theme_id = ? AND answer_id = ?", themeID, answerID).Delete(&AnswerTheme{}).Error
	}
	return db.Exec(`INSERT OR IGNORE INTO answer_themes (theme_id, answer_id) VALUES (?, ?)`, themeID, answerID).Error
}
