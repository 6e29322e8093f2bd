package handlers

import (
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/labstack/echo/v5"

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

func (h *Handler) refuseBenchmark(c *echo.Context, s *models.Survey, status int, heading, msg string) error {
	return c.Render(status, "respond/benchmarkrefused", benchmarkRefusedView{Survey: s, Heading: heading, Message: msg})
}

// showBenchmark shows municipality :code its report, only to a browser holding that
// municipality's invitation; another municipality's invitation is refused.
func (h *Handler) showBenchmark(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if s.Status != models.StatusClosed || !s.BenchmarkEnabled {
		return h.refuseBenchmark(c, s, http.StatusNotFound, "Het rapport is nog niet beschikbaar",
			"De onderzoeker maakt het rapport per gemeente beschikbaar nadat de peiling is gesloten. Probeer het later opnieuw met dezelfde link.")
	}
	inv, err := h.reportInvitation(c, s)
	if err != nil {
		return err
	}
	if inv == nil {
		return h.refuseBenchmark(c, s, http.StatusForbidden, "Open het rapport met de link van uw gemeente",
			"Het rapport per gemeente is alleen te zien via de persoonlijke link die uw gemeente per e-mail kreeg. Open die link opnieuw.")
	}
	if inv.MunicipalityCode != c.Param("code") {
		return h.refuseBenchmark(c, s, http.StatusForbidden, "Dit rapport hoort bij een andere gemeente",
			"Met de link van uw gemeente ziet u alleen het rapport van uw eigen gemeente.")
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
		return h.refuseBenchmark(c, s, http.StatusNotFound, "Het rapport is nog niet beschikbaar",
			"De onderzoeker maakt het rapport per gemeente beschikbaar nadat de peiling is gesloten. Probeer het later opnieuw met dezelfde link.")
	case errors.Is(err, models.ErrNotParticipated):
		return h.refuseBenchmark(c, s, http.StatusNotFound, "Uw gemeente heeft niet meegedaan",
			"Met deze link zijn geen antwoorden van gemeente "+m.Name+" verzonden, dus er is niets om te vergelijken. De uitkomsten van alle gemeenten publiceert de onderzoeker zelf.")
	case err != nil:
		return err
	}
	return c.Render(http.StatusOK, "respond/benchmark", buildBenchmark(s, b))
}

func buildBenchmark(s *models.Survey, b *models.Benchmark) benchmarkView {
	v := benchmarkView{Survey: s, Municipality: b.Municipality.Name, Class: b.Class.Label, ClassShown: b.ClassCell > 0,
		ClassN: b.ClassN, Respondents: b.Report.Respondents, MinGroupSize: b.Report.MinGroupSize}
	own := map[string][]models.Answer{}
	for _, a := range b.Own {
		own[a.Question] = append(own[a.Question], a)
	}
	for _, qr := range b.Report.Questions {
		q := qr.Q
		bq := benchQuestion{Section: qr.Section, Text: q.Text, Own: answerWords(q, own[q.Code])}
		switch q.Kind {
		case models.KindSingle, models.KindMulti:
			picked := map[string]bool{}
			for _, a := range own[q.Code] {
				picked[a.Option] = true
			}
			t := benchTableOf(q.Text, qr.Cells, b.ClassCell, picked)
			if q.Kind == models.KindMulti {
				t.Note = fmt.Sprintf("Meer antwoorden mogelijk: de percentages zijn van %s (n = %d) en tellen op tot meer dan 100.", qr.BaseLabel(), qr.Cells[0].N)
			}
			bq.Tables = []benchTable{t}
		case models.KindLikert:
			bq.Own = nil // each statement's table says it
			for _, st := range qr.Statements {
				picked := map[string]bool{}
				for _, a := range own[q.Code] {
					if a.Item == st.Code {
						picked[a.Option] = true
					}
				}
				t := benchTableOf(st.Text, st.Cells, b.ClassCell, picked)
				if picked[models.DontKnowCode] {
					t.Note = "Uw gemeente antwoordde ‘weet niet / geen mening’."
				}
				bq.Tables = append(bq.Tables, t)
			}
		case models.KindNumber:
			bq.Mean = meanText(qr.Cells[0])
			if b.ClassCell > 0 {
				bq.ClassMean = meanText(qr.Cells[b.ClassCell])
			}
		}
		v.Questions = append(v.Questions, bq)
	}
	return v
}

// benchTableOf lays out the options of one distribution with the municipality's own choice.
func benchTableOf(caption string, cells []models.Figures, classCell int, picked map[string]bool) benchTable {
	t := benchTable{Caption: caption}
	all := cells[0]
	for i, o := range all.Options {
		row := benchRow{Label: o.Label, Mine: picked[o.Code], All: shareText(o)}
		if classCell > 0 {
			row.Class = shareText(cells[classCell].Options[i])
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

func shareText(s models.Share) string { return fmt.Sprintf("%d %% (%d)", s.Percent, s.Count) }

func meanText(f models.Figures) string {
	if f.Hidden || f.N == 0 {
		return "–"
	}
	return fmt.Sprintf("%s (n = %d)", models.FormatNumber(math.Round(f.Mean*10)/10), f.N)
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
