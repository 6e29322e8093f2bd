package models

import (
	"sort"
	"strings"

	"gorm.io/gorm"
)

// RespondedCodes returns the CBS codes of the municipalities that submitted a response to
// survey surveyID. It says who answered, never what.
func RespondedCodes(db *gorm.DB, surveyID uint) ([]string, error) {
	var codes []string
	err := db.Model(&Response{}).Where("survey_id = ? AND status = ? AND municipality_code IS NOT NULL", surveyID, ResponseSubmitted).
		Pluck("municipality_code", &codes).Error
	return codes, err
}

// ProvinceProgress is the fieldwork in one province: how many of its municipalities
// responded, and which.
type ProvinceProgress struct {
	Province  string
	Total     int
	Responded []string // names, alphabetical
}

// ByProvince groups the register's municipalities by province, alphabetically, with the
// names of those whose code is in responded.
func ByProvince(reg *Register, responded []string) []ProvinceProgress {
	done := map[string]bool{}
	for _, c := range responded {
		done[c] = true
	}
	byName := map[string]*ProvinceProgress{}
	for _, m := range reg.List { // List is sorted by name, so Responded is too
		p, ok := byName[m.Province]
		if !ok {
			p = &ProvinceProgress{Province: m.Province}
			byName[m.Province] = p
		}
		p.Total++
		if done[m.Code] {
			p.Responded = append(p.Responded, m.Name)
		}
	}
	out := make([]ProvinceProgress, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Province) < strings.ToLower(out[j].Province) })
	return out
}
