package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"strings"

	"gorm.io/gorm"

	"peiling/locales"
	"peiling/models"
)

// storyView is the top of the results page: the response (with the fieldwork map for the
// researcher) and, section by section, each question's key figure linking to its card. The
// figures come from the same aggregates as the cards, so they always agree.
type storyView struct {
	Map        template.HTML // the fieldwork map as a thumbnail; empty on the public page or without a boundary file
	MonitorURL string
	Sections   []storySection
}

// storySection is one entry of the table of contents.
type storySection struct {
	ID, Title string
	Questions []keyFigure
}

// keyFigure is one question's headline: its top option, or the statement most agreed with.
type keyFigure struct {
	Href, Text string
	Figure     string // "80 %", "−2,6" or empty when there is none
	What       string // what the figure is of: the option, or the scale's high end and the statement
	N          string // "n = 119"
	None       string // instead of a figure: why there is none
}

// sectionID is the id of the i-th section (0-based) on the results page.
func sectionID(i int) string { return fmt.Sprintf("sectie-%d", i+1) }

// storyOf builds the summary of v from rep; the map only for the researcher.
func storyOf(tl *locales.Translator, db *gorm.DB, s *models.Survey, rep *models.Report, v *resultsView) (*storyView, error) {
	st := &storyView{MonitorURL: "/admin/surveys/" + s.Slug + "/veldwerk"}
	for i, sec := range v.Sections {
		ss := storySection{ID: sectionID(i), Title: sec.Title}
		for _, qv := range sec.Questions {
			ss.Questions = append(ss.Questions, keyFigureOf(tl, rep, qv))
		}
		st.Sections = append(st.Sections, ss)
	}
	if v.Public {
		return st, nil
	}
	m, err := models.BoundaryMap(s.Register)
	if errors.Is(err, models.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	states, err := models.MunicipalityStates(db, s.ID)
	if err != nil {
		return nil, err
	}
	counts := map[string]int{}
	for _, sh := range m.Shapes {
		state := states[sh.Code]
		if state == "" {
			state = models.StateNone
		}
		counts[state]++
	}
	st.Map = template.HTML(statusMap(tl, m, states, counts[models.StateSubmitted], counts[models.StateDraft], counts[models.StateNone]))
	return st, nil
}

// keyFigureOf is the key figure of question qv, read from its result in rep.
func keyFigureOf(tl *locales.Translator, rep *models.Report, qv questionResultView) keyFigure {
	k := keyFigure{Href: "#vraag-" + qv.Code, Text: qv.Text}
	var qr *models.QuestionResult
	for i := range rep.Questions {
		if rep.Questions[i].Q.Code == qv.Code {
			qr = &rep.Questions[i]
		}
	}
	switch {
	case qr == nil:
		return k
	case qv.Kind == models.KindText:
		k.Figure, k.What = fmt.Sprint(qv.OpenCount), tl.T("results.story.open_answers")
		return k
	case qv.Nobody:
		k.None = tl.T("results.page.nobody_short")
		return k
	}
	switch qv.Kind {
	case models.KindSingle, models.KindMulti:
		f := qr.Cells[0]
		if f.Hidden {
			k.None = hiddenLabel(tl, f.Reason, rep.MinGroupSize)
			return k
		}
		top := -1
		for i, o := range f.Options {
			if top < 0 || o.Percent > f.Options[top].Percent {
				top = i
			}
		}
		if top >= 0 {
			k.Figure, k.What, k.N = tl.Percent(float64(f.Options[top].Percent), 0), f.Options[top].Label, fmt.Sprintf("n = %d", f.N)
		}
	case models.KindLikert:
		_, _, high, _ := models.ScaleSummary(qr.Q.ScaleOptions)
		best := -1
		for i, st := range qr.Statements {
			f := st.Cells[0]
			if f.Hidden || f.N == 0 {
				continue
			}
			if best < 0 || f.Agree > qr.Statements[best].Cells[0].Agree {
				best = i
			}
		}
		if best < 0 {
			k.None = tl.T("results.story.nobody_statements")
			return k
		}
		st := qr.Statements[best]
		k.Figure = tl.Percent(float64(st.Cells[0].Agree), 0)
		k.What = strings.ToLower(high) + ": " + st.Text
		k.N = fmt.Sprintf("n = %d", st.Cells[0].N)
	case models.KindNumber:
		f := qr.Cells[0]
		if f.Hidden {
			k.None = hiddenLabel(tl, f.Reason, rep.MinGroupSize)
			return k
		}
		k.Figure, k.What, k.N = oneDecimalIn(tl, f.Mean), tl.T("results.story.mean"), fmt.Sprintf("n = %d", f.N)
		if qr.Q.Unit != "" {
			k.What += " (" + qr.Q.Unit + ")"
		}
	}
	return k
}
