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

// OpenAnswer is one written answer: an open question's answer or an "anders, namelijk" text,
// with the department and size class of the municipality that wrote it.
type OpenAnswer struct {
	ID         uint
	Option     string // the option it explains; empty for an open question
	Text       string
	Department string // the label of the profile question's answer; empty when not answered
	SizeClass  string // the label of the municipality's size class; empty when unknown
	Themes     []uint `gorm:"-"`
}

// AnswerFilter narrows the written answers to a question. The zero filter keeps them all.
type AnswerFilter struct {
	Query   string // words the text contains, any case
	Theme   uint   // only answers tagged with this theme
	Uncoded bool   // only answers without any theme ("nog niet gecodeerd")
}

// MaxThemeName bounds a theme's name.
const MaxThemeName = 80

// ErrBadThemeName is an empty or overlong theme name.
var ErrBadThemeName = errors.New("theme name empty or too long")

// ErrThemeExists is a rename to a name another theme of the question already has.
var ErrThemeExists = errors.New("theme name taken")

// OpenAnswers returns the written answers to question of a closed survey whose text contains
// query (any case; empty for all), in the order of the responses, at most limit from offset.
func OpenAnswers(db *gorm.DB, s *Survey, question, query string, offset, limit int) ([]OpenAnswer, error) {
	return FilterOpenAnswers(db, s, question, AnswerFilter{Query: query}, offset, limit)
}

// FilterOpenAnswers returns the written answers to question of a closed survey that pass f, in
// the order of the responses, at most limit from offset, each with its themes, department and
// size class. Walking the responses in order lets SQLite stop after limit answers instead of
// sorting all.
func FilterOpenAnswers(db *gorm.DB, s *Survey, question string, f AnswerFilter, offset, limit int) ([]OpenAnswer, error) {
	if err := CheckReportable(s); err != nil {
		return nil, err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	var rows []struct {
		ID           uint
		Option, Text string
		DeptOption   *string
		Population   *int
	}
	dept := ""
	pq := profileQuestion(def)
	if pq != nil {
		dept = pq.Code
	}
	err = openAnswers(db, s, question, f).
		Joins("LEFT JOIN answers d ON d.response_id = r.id AND d.question = ? AND d.item = ''", dept).
		Joins("LEFT JOIN municipalities m ON m.register = ? AND m.code = r.municipality_code", s.Register).
		Select("a.id, a.option, a.text, d.option AS dept_option, m.population").
		Order("r.id, a.id").Offset(offset).Limit(limit).Scan(&rows).Error
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	out := make([]OpenAnswer, len(rows))
	ids := make([]uint, len(rows))
	at := map[uint]int{}
	for i, r := range rows {
		out[i] = OpenAnswer{ID: r.ID, Option: r.Option, Text: r.Text}
		if r.DeptOption != nil && pq != nil {
			out[i].Department = optionLabel(pq, *r.DeptOption)
		}
		if r.Population != nil {
			out[i].SizeClass = SizeClassOf(*r.Population).Label
		}
		ids[i], at[r.ID] = r.ID, i
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

func optionLabel(q *Question, code string) string {
	for _, o := range q.Choices() {
		if o.Code == code {
			return o.Label
		}
	}
	return code
}

// CountOpenAnswers counts what OpenAnswers would return without a limit. It reads every
// response, so the results page takes its counts from the aggregates instead.
func CountOpenAnswers(db *gorm.DB, s *Survey, question, query string) (int64, error) {
	return CountFilteredAnswers(db, s, question, AnswerFilter{Query: query})
}

// CountFilteredAnswers counts what FilterOpenAnswers would return without a limit.
func CountFilteredAnswers(db *gorm.DB, s *Survey, question string, f AnswerFilter) (int64, error) {
	if err := CheckReportable(s); err != nil {
		return 0, err
	}
	if err := CheckAnswersKept(db, s.ID); err != nil {
		return 0, err
	}
	var total int64
	if err := openAnswers(db, s, question, f).Count(&total).Error; err != nil {
		return 0, fmt.Errorf("count open answers to %s: %w", question, err)
	}
	return total, nil
}

func openAnswers(db *gorm.DB, s *Survey, question string, f AnswerFilter) *gorm.DB {
	q := db.Table("answers a").Joins("JOIN responses r ON r.id = a.response_id").
		Where("r.survey_id = ? AND r.status = ? AND a.question = ? AND a.text <> ''", s.ID, ResponseSubmitted, question)
	if query := strings.TrimSpace(f.Query); query != "" {
		q = q.Where("a.text "+dialectOf(db).like+" ? ESCAPE '\\'", "%"+likeEscape(query)+"%")
	}
	if f.Theme != 0 {
		q = q.Where("EXISTS (SELECT 1 FROM answer_themes t WHERE t.answer_id = a.id AND t.theme_id = ?)", f.Theme)
	}
	if f.Uncoded {
		q = q.Where("NOT EXISTS (SELECT 1 FROM answer_themes t WHERE t.answer_id = a.id)")
	}
	return q
}

// likeEscape makes s match itself literally inside a LIKE pattern with ESCAPE '\'. The search
// ignores case (dialect.like): on SQLite for ASCII letters only, on PostgreSQL for all.
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

// theme returns theme id of question of survey s.
func theme(db *gorm.DB, s *Survey, question string, id uint) (*Theme, error) {
	var t Theme
	err := db.Where("id = ? AND survey_id = ? AND question = ?", id, s.ID, question).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	return &t, err
}

// TagAnswers tags (on) or untags the answers ids to question of survey s with theme themeID
// in one statement and returns how many answers changed. Ids of answers to another question,
// of another survey or of a response that does not count are skipped; a theme of another
// question is ErrNotFound.
func TagAnswers(db *gorm.DB, s *Survey, question string, themeID uint, ids []uint, on bool) (int64, error) {
	if err := CheckReportable(s); err != nil {
		return 0, err
	}
	if _, err := theme(db, s, question, themeID); err != nil {
		return 0, err
	}
	ids = unique(ids)
	if len(ids) == 0 {
		return 0, nil
	}
	var valid int64
	err := db.Table("answers a").Joins("JOIN responses r ON r.id = a.response_id").
		Where("a.id IN ? AND a.question = ? AND a.text <> '' AND r.survey_id = ? AND r.status = ?", ids, question, s.ID, ResponseSubmitted).
		Count(&valid).Error
	if err != nil {
		return 0, err
	}
	if valid != int64(len(ids)) {
		return 0, ErrNotFound
	}
	var res *gorm.DB
	if on {
		d := dialectOf(db)
		res = db.Exec(d.insertIgnore+` INTO answer_themes (theme_id, answer_id)
			SELECT ?, id FROM answers WHERE id IN ?`+d.ignoreTail, themeID, ids)
	} else {
		res = db.Where("theme_id = ? AND answer_id IN ?", themeID, ids).Delete(&AnswerTheme{})
	}
	if res.Error != nil {
		return 0, fmt.Errorf("tag %d answers to %s: %w", len(ids), question, res.Error)
	}
	return res.RowsAffected, nil
}

// AnswerThemes returns the themes of the given answers, by answer id, in the order the themes
// were made: what a page shows after tagging without reloading.
func AnswerThemes(db *gorm.DB, ids []uint) (map[uint][]Theme, error) {
	out := map[uint][]Theme{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		AnswerID uint
		ID       uint
		Name     string
	}
	err := db.Raw(`SELECT at.answer_id, t.id, t.name FROM answer_themes at JOIN themes t ON t.id = at.theme_id
		WHERE at.answer_id IN ? ORDER BY t.id`, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.AnswerID] = append(out[r.AnswerID], Theme{ID: r.ID, Name: r.Name})
	}
	return out, err
}

// RenameTheme gives theme id of question a new name; the name of another theme of the
// question is ErrThemeExists (merge them instead).
func RenameTheme(db *gorm.DB, s *Survey, question string, id uint, name string) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" || len([]rune(name)) > MaxThemeName {
		return ErrBadThemeName
	}
	if _, err := theme(db, s, question, id); err != nil {
		return err
	}
	err := db.Model(&Theme{}).Where("id = ?", id).Update("name", name).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrThemeExists
	}
	return err
}

// MergeThemes moves every answer of theme from to theme into (an answer tagged with both
// keeps one tag) and removes from, in one transaction; into's count becomes the number of
// answers tagged with either.
func MergeThemes(db *gorm.DB, s *Survey, question string, from, into uint) error {
	if err := CheckReportable(s); err != nil {
		return err
	}
	if from == into {
		return ErrNotFound
	}
	return db.Transaction(func(tx *gorm.DB) error {
		for _, id := range []uint{from, into} {
			if _, err := theme(tx, s, question, id); err != nil {
				return err
			}
		}
		d := dialectOf(tx)
		if err := tx.Exec(d.insertIgnore+` INTO answer_themes (theme_id, answer_id)
			SELECT ?, answer_id FROM answer_themes WHERE theme_id = ?`+d.ignoreTail, into, from).Error; err != nil {
			return fmt.Errorf("merge theme %d into %d: %w", from, into, err)
		}
		if err := tx.Where("theme_id = ?", from).Delete(&AnswerTheme{}).Error; err != nil {
			return err
		}
		return tx.Delete(&Theme{}, from).Error
	})
}

// ThemeShare is a theme with its count and its percentage of a base.
type ThemeShare struct {
	ThemeCount
	Percent int
}

// ThemeShares gives each theme its share of base, the respondents who answered the question:
// an answer can carry several themes, so the shares can add up to more than 100.
func ThemeShares(themes []ThemeCount, base int64) []ThemeShare {
	out := make([]ThemeShare, len(themes))
	for i, t := range themes {
		out[i] = ThemeShare{ThemeCount: t, Percent: roundPercent(t.Count, base)}
	}
	return out
}

func unique(ids []uint) []uint {
	seen := map[uint]bool{}
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
