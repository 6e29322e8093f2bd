package models

// Skip logic: a page or a question with show_if is shown only when an earlier answer has one
// of the given values. Conditions refer only to earlier pages (definition.go), so one pass in
// questionnaire order decides everything, and a question hidden because of a hidden question
// is hidden too (its answers are removed, so its condition cannot hold).

// ShownItem is the tally item that counts the respondents a question with skip logic was
// shown (the base of a multi question). No statement code can start with "_".
const ShownItem = "_getoond"

// shownConditions returns, per question that skip logic can hide, the conditions that must
// all hold for it to be shown: its page's and its own.
func (d *Definition) shownConditions() map[string][]*Condition {
	out := map[string][]*Condition{}
	for si := range d.Sections {
		s := &d.Sections[si]
		for qi := range s.Questions {
			q := &s.Questions[qi]
			var cs []*Condition
			if s.ShowIf != nil {
				cs = append(cs, s.ShowIf)
			}
			if q.ShowIf != nil {
				cs = append(cs, q.ShowIf)
			}
			if len(cs) > 0 {
				out[q.Code] = cs
			}
		}
	}
	return out
}

// HasConditions reports whether any page or question has skip logic.
func (d *Definition) HasConditions() bool {
	for _, s := range d.Sections {
		if s.ShowIf != nil {
			return true
		}
		for _, q := range s.Questions {
			if q.ShowIf != nil {
				return true
			}
		}
	}
	return false
}

// Visibility is which pages and questions a respondent's answers show.
type Visibility struct {
	sections  []bool
	questions map[string]bool
}

// Visible decides, from a response's answers, which pages and questions it is shown.
func (d *Definition) Visible(answers []Answer) Visibility {
	chosen := map[string]map[string]bool{}
	for _, a := range answers {
		if a.Option == "" {
			continue
		}
		if chosen[a.Question] == nil {
			chosen[a.Question] = map[string]bool{}
		}
		chosen[a.Question][a.Option] = true
	}
	v := Visibility{sections: make([]bool, len(d.Sections)), questions: map[string]bool{}}
	holds := func(c *Condition) bool {
		if c == nil {
			return true
		}
		if !v.questions[c.Question] {
			return false
		}
		for _, val := range c.Values {
			if chosen[c.Question][val] {
				return true
			}
		}
		return false
	}
	for si := range d.Sections {
		s := &d.Sections[si]
		v.sections[si] = holds(s.ShowIf)
		for qi := range s.Questions {
			q := &s.Questions[qi]
			v.questions[q.Code] = v.sections[si] && holds(q.ShowIf)
		}
	}
	return v
}

// Section reports whether page si (0-based) is shown.
func (v Visibility) Section(si int) bool { return si >= 0 && si < len(v.sections) && v.sections[si] }

// Question reports whether the question with code is shown.
func (v Visibility) Question(code string) bool { return v.questions[code] }

// Next returns the first shown page after si, or -1 when none is left (the check page).
func (v Visibility) Next(si int) int {
	for i := si + 1; i < len(v.sections); i++ {
		if v.sections[i] {
			return i
		}
	}
	return -1
}

// Prev returns the last shown page before si, or -1 when there is none (the start page).
func (v Visibility) Prev(si int) int {
	for i := si - 1; i >= 0; i-- {
		if v.sections[i] {
			return i
		}
	}
	return -1
}

// Position returns page si's number among the shown pages and how many are shown: "Stap 2
// van 4" even when page 3 of 5 is skipped.
func (v Visibility) Position(si int) (n, of int) {
	for i, shown := range v.sections {
		if !shown {
			continue
		}
		of++
		if i <= si {
			n = of
		}
	}
	return n, of
}

// Hidden returns the answers of questions not shown: they are removed when saving.
func (v Visibility) Hidden(answers []Answer) []uint {
	var ids []uint
	for _, a := range answers {
		if !v.questions[a.Question] {
			ids = append(ids, a.ID)
		}
	}
	return ids
}
