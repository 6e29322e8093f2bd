package models

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// The fieldwork monitor counts who responded while a survey is open: never what anyone answered.

// Municipality statuses in the monitor.
const (
	StateNone      = "geen"
	StateDraft     = "concept"
	StateSubmitted = "verzonden"
)

// MunicipalityStates returns the state of every municipality of survey s's register that has
// a response, by CBS code; the others are StateNone.
func MunicipalityStates(db *gorm.DB, surveyID uint) (map[string]string, error) {
	var rows []struct {
		MunicipalityCode string
		Status           string
	}
	err := db.Model(&Response{}).Select("municipality_code, status").
		Where("survey_id = ? AND municipality_code IS NOT NULL AND status IN ?", surveyID, []string{ResponseDraft, ResponseSubmitted}).
		Scan(&rows).Error
	out := map[string]string{}
	for _, r := range rows { // a municipality may have several drafts; a sent response wins
		if r.Status == ResponseSubmitted {
			out[r.MunicipalityCode] = StateSubmitted
		} else if out[r.MunicipalityCode] == "" {
			out[r.MunicipalityCode] = StateDraft
		}
	}
	return out, err
}

// ProgressRow is the fieldwork in one group of municipalities (a province or a size class).
type ProgressRow struct {
	Group     string
	Label     string
	Total     int64
	Submitted int64
	Drafts    int64
}

// RatePercent is the group's response rate, rounded to a whole percent.
func (p ProgressRow) RatePercent() int { return roundPercent(p.Submitted, p.Total) }

// progressSQL counts a register's municipalities per group: how many sent their response,
// and how many have only drafts (several drafts of one municipality count once); group is
// the group expression over m.
func progressSQL(d *dialect, group string) string {
	return `SELECT ` + group + ` AS "group", COUNT(*) AS total,
		COALESCE(SUM(r.sent), 0) AS submitted, COALESCE(SUM(` + d.boolInt("r.sent = 0") + `), 0) AS drafts
	FROM municipalities m
	LEFT JOIN (SELECT municipality_code, MAX(` + d.boolInt("status = 'submitted'") + `) AS sent FROM responses
		WHERE survey_id = ? AND municipality_code IS NOT NULL AND status IN ('draft', 'submitted')
		GROUP BY municipality_code) r ON r.municipality_code = m.code
	WHERE m.register = ? GROUP BY 1 ORDER BY 1`
}

// ProgressByProvince returns per province how many municipalities submitted, have a draft,
// and exist, in alphabetical order.
func ProgressByProvince(db *gorm.DB, s *Survey) ([]ProgressRow, error) {
	var rows []ProgressRow
	if err := db.Raw(progressSQL(dialectOf(db), "m.province"), s.ID, s.Register).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("progress by province of %s: %w", s.Slug, err)
	}
	for i := range rows {
		rows[i].Label = rows[i].Group
	}
	sort.SliceStable(rows, func(i, j int) bool { return strings.ToLower(rows[i].Label) < strings.ToLower(rows[j].Label) })
	return rows, nil
}

// ProgressBySize returns the same counts per size class (SizeClasses), small to large.
func ProgressBySize(db *gorm.DB, s *Survey) ([]ProgressRow, error) {
	var rows []ProgressRow
	if err := db.Raw(progressSQL(dialectOf(db), sizeCaseSQL()), s.ID, s.Register).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("progress by size of %s: %w", s.Slug, err)
	}
	byKey := map[string]ProgressRow{}
	for _, r := range rows {
		byKey[r.Group] = r
	}
	out := make([]ProgressRow, len(SizeClasses))
	for i, c := range SizeClasses {
		out[i] = byKey[c.Key]
		out[i].Group, out[i].Label = c.Key, c.Label
	}
	return out, nil
}

// DayCount is the fieldwork at the end of one day (Amsterdam time).
type DayCount struct {
	Day        time.Time // midnight in loc
	New        int64     // responses submitted that day
	Cumulative int64
}

// SubmissionsPerDay returns, for every day from the survey's opening to until (or its
// closing), the responses submitted that day and up to it. SQL counts per UTC hour; the hours
// are then put on Amsterdam days, which an hour boundary never straddles.
func SubmissionsPerDay(db *gorm.DB, s *Survey, loc *time.Location, until time.Time) ([]DayCount, error) {
	if s.OpenedAt == nil {
		return nil, nil
	}
	var rows []struct {
		Hour string
		N    int64
	}
	err := db.Raw(`SELECT `+dialectOf(db).hourUTC("submitted_at")+` AS hour, COUNT(*) AS n FROM responses
		WHERE survey_id = ? AND status = ? GROUP BY 1 ORDER BY 1`, s.ID, ResponseSubmitted).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("submissions per hour of %s: %w", s.Slug, err)
	}
	if s.ClosedAt != nil && s.ClosedAt.Before(until) {
		until = *s.ClosedAt
	}
	day := func(t time.Time) time.Time {
		t = t.In(loc)
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
	}
	perDay := map[time.Time]int64{}
	first := day(*s.OpenedAt)
	for _, r := range rows {
		h, err := time.ParseInLocation("2006-01-02 15", r.Hour, time.UTC)
		if err != nil {
			return nil, fmt.Errorf("submission hour %q: %w", r.Hour, err)
		}
		d := day(h)
		perDay[d] += r.N
		if d.Before(first) { // seeded or imported responses from before the opening
			first = d
		}
	}
	var out []DayCount
	var total int64
	for d := first; !d.After(day(until)); d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc) {
		total += perDay[d]
		out = append(out, DayCount{Day: d, New: perDay[d], Cumulative: total})
		if len(out) > 1000 { // a survey that ran for years: the chart would say nothing more
			break
		}
	}
	return out, nil
}
