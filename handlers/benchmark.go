package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

func benchmarkURL(slug, code string) string { return "/s/" + slug + "/rapport/" + code }

// benchmarkView is one municipality's report: its own answers beside everyone's figures.
type benchmarkView struct {
	Survey       *models.Survey
	Municipality string
	Class        string // the size class's label
	ClassShown   bool   // false: the class is below the minimum group size, only "all" is shown
	ClassN       int64
	Respondents  int64
	MinGroupSize int
	Questions    []benchQuestion
}

type benchQuestion struct {
	Section string
	Text    string
	Own     []string // the municipality's own answers in words
	Tables  []benchTable
	// Number questions: the means.
	Mean, ClassMean string
}

// benchTable is one distribution: of a single or multi question, or of one likert statement.
type benchTable struct {
	Caption string
	Note    string
	Rows    []benchRow
}

type benchRow struct {
	Label      string
	Mine       bool
	All, Class string
}

type benchmarkRefusedView struct {
	Survey  *models.Survey
	Heading string
	Message string
}

// refuseBenchmark says why there is no report, by the messages respond.benchmark.KEY.*.
func (h *Handler) refuseBenchmark(c *echo.Context, s *models.Survey, status int, key string, args ...any) error {
	t := tr(c)
	return c.Render(status, "respond/benchmarkrefused", benchmarkRefusedView{Survey: s,
		Heading: t.T("respond.benchmark." + key + ".heading"), Message: t.T("respond.benchmark."+key+".message", args...)})
}

// showBenchmark shows municipality :code its report, only to a browser holding that
// municipality's invitation; another municipality's invitation is refused.
func (h *Handler) showBenchmark(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if s.Status != models.StatusClosed || !s.BenchmarkEnabled {
		return h.refuseBenchmark(c, s, http.StatusNotFound, "not_yet")
	}
	inv, err := h.reportInvitation(c, s)
	if err != nil {
		return err
	}
	if inv == nil {
		return h.refuseBenchmark(c, s, http.StatusForbidden, "no_link")
	}
	if inv.MunicipalityCode != c.Param("code") {
		return h.refuseBenchmark(c, s, http.StatusForbidden, "other_municipality")
	}
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return err
	}
	m, ok := reg.ByCode(inv.MunicipalityCode)
	if !ok {
		return models.ErrNotFound
	}
	b, err := models.LoadBenchmark(h.db.Read.WithContext(c.Request().Context()), s, m, inv)
	switch {
	case errors.Is(err, models.ErrBenchmarkOff):
		return h.refuseBenchmark(c, s, http.StatusNotFound, "not_yet")
	case errors.Is(err, models.ErrNotParticipated):
		return h.refuseBenchmark(c, s, http.StatusNotFound, "not_participated", "Municipality", m.Name)
	case err != nil:
		return err
	}
	return c.Render(http.StatusOK, "respond/benchmark", buildBenchmark(tr(c), s, def, b))
}

// buildBenchmark lays out the report in the language of t; def, in that language, gives the
// texts of the questions and options, which the report has in Dutch.
func buildBenchmark(t *locales.Translator, s *models.Survey, def *models.Definition, b *models.Benchmark) benchmarkView {
	v := benchmarkView{Survey: s, Municipality: b.Municipality.Name, Class: t.T("common.size_class." + b.Class.Key), ClassShown: b.ClassCell > 0,
		ClassN: b.ClassN, Respondents: b.Report.Respondents, MinGroupSize: b.Report.MinGroupSize}
	local, sections := map[string]*models.Question{}, map[string]string{}
	for si, sec := range def.Sections {
		for qi := range sec.Questions {
			local[sec.Questions[qi].Code] = &sec.Questions[qi]
		}
		if si < len(b.Report.Def.Sections) {
			sections[b.Report.Def.Sections[si].Title] = sec.Title
		}
	}
	own := map[string][]models.Answer{}
	for _, a := range b.Own {
		own[a.Question] = append(own[a.Question], a)
	}
	for _, qr := range b.Report.Questions {
		q := qr.Q
		if lq, ok := local[q.Code]; ok {
			q = lq
		}
		bq := benchQuestion{Section: sections[qr.Section], Text: q.Text, Own: answerWords(t, q, own[q.Code])}
		switch q.Kind {
		case models.KindSingle, models.KindMulti:
			picked := map[string]bool{}
			for _, a := range own[q.Code] {
				picked[a.Option] = true
			}
			bt := benchTableOf(t, q, q.Text, qr.Cells, b.ClassCell, picked)
			if q.Kind == models.KindMulti {
				bt.Note = t.T("respond.benchmark.multi_note."+qr.Base, "N", qr.Cells[0].N)
			}
			bq.Tables = []benchTable{bt}
		case models.KindLikert:
			bq.Own = nil // each statement's table says it
			for _, st := range qr.Statements {
				picked := map[string]bool{}
				for _, a := range own[q.Code] {
					if a.Item == st.Code {
						picked[a.Option] = true
					}
				}
				text := st.Text
				for _, ls := range q.Statements {
					if ls.Code == st.Code {
						text = ls.Text
					}
				}
				bt := benchTableOf(t, q, text, st.Cells, b.ClassCell, picked)
				if picked[models.DontKnowCode] {
					bt.Note = t.T("respond.benchmark.dont_know_note")
				}
				bq.Tables = append(bq.Tables, bt)
			}
		case models.KindNumber:
			bq.Mean = meanText(t, qr.Cells[0])
			if b.ClassCell > 0 {
				bq.ClassMean = meanText(t, qr.Cells[b.ClassCell])
			}
		}
		v.Questions = append(v.Questions, bq)
	}
	return v
}

// benchTableOf lays out the options of one distribution with the municipality's own choice.
// benchTableOf lays out the options of one distribution with the municipality's own choice;
// q, in the page's language, names the options.
func benchTableOf(t *locales.Translator, q *models.Question, caption string, cells []models.Figures, classCell int, picked map[string]bool) benchTable {
	bt := benchTable{Caption: caption}
	all := cells[0]
	for i, o := range all.Options {
		label := o.Label
		if lo, ok := q.Choice(o.Code); ok {
			label = optionLabel(t, lo)
		}
		row := benchRow{Label: label, Mine: picked[o.Code], All: shareText(t, o)}
		if classCell > 0 {
			row.Class = shareText(t, cells[classCell].Options[i])
		}
		bt.Rows = append(bt.Rows, row)
	}
	return bt
}

func shareText(t *locales.Translator, s models.Share) string {
	return fmt.Sprintf("%s (%d)", t.Percent(float64(s.Percent), 0), s.Count)
}

func meanText(t *locales.Translator, f models.Figures) string {
	if f.Hidden || f.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (n = %d)", t.Number(math.Round(f.Mean*10)/10, 1), f.N)
}

// reportInvitation is the invitation whose report this browser may see: the link it followed
// last, or the link its own response was started with.
func (h *Handler) reportInvitation(c *echo.Context, s *models.Survey) (*models.Invitation, error) {
	inv, err := h.invitation(c, s)
	if inv != nil || err != nil {
		return inv, err
	}
	r, err := h.loadDraft(c, s)
	if errors.Is(err, models.ErrNotFound) || err == nil && !r.Invited() {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	inv, err = models.FindInvitationByID(h.db.Read.WithContext(c.Request().Context()), s, *r.InvitationID)
	if errors.Is(err, models.ErrNotFound) || err == nil && inv.RevokedAt != nil {
		return nil, nil
	}
	return inv, err
}
