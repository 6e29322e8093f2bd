package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/models"
)

// The researcher's page of drafts, set-aside responses and sent responses during fieldwork:
// when, how far and how each was started, never what it says. From there a draft can be
// discarded and a sent response withdrawn, each after a confirmation step, each audited.

// draftRoutes are the pages for drafts and responses (under /admin).
func (h *Handler) draftRoutes(a *echo.Group) {
	a.GET("/surveys/:slug/concepten", h.showDrafts)
	a.GET("/surveys/:slug/concepten/:id/vervallen", h.confirmDiscard)
	a.POST("/surveys/:slug/concepten/:id/vervallen", h.discardDraft)
	a.GET("/surveys/:slug/concepten/:id/intrekken", h.confirmWithdraw)
	a.POST("/surveys/:slug/concepten/:id/intrekken", h.withdrawResponse)
}

// maxListed bounds each table of the page; the monitor has the counts.
const maxListed = 1000

type responseRow struct {
	models.PendingResponse
	Municipality string
	Steps        int
}

type draftsView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Drafts     []responseRow
	SetAside   []responseRow
	Submitted  []responseRow
	CanChange  bool // fieldwork runs: drafts can be discarded and responses withdrawn
	Max        int
}

func (h *Handler) showDrafts(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return err
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	pending, err := models.PendingResponses(db, s.ID, 2*maxListed)
	if err != nil {
		return err
	}
	sent, err := models.SubmittedResponses(db, s.ID, maxListed)
	if err != nil {
		return err
	}
	view := draftsView{Researcher: researcher(c), Survey: s, CanChange: s.Status == models.StatusOpen, Max: maxListed}
	for _, p := range pending {
		row := h.responseRow(s, p, len(def.Sections))
		if p.Status == models.ResponseDraft {
			view.Drafts = append(view.Drafts, row)
		} else {
			view.SetAside = append(view.SetAside, row)
		}
	}
	for _, r := range sent {
		p := models.PendingResponse{ID: r.ID, Status: models.ResponseSubmitted, MunicipalityCode: r.MunicipalityCode, Invited: r.Invited, SubmittedAt: &r.SubmittedAt}
		view.Submitted = append(view.Submitted, h.responseRow(s, p, len(def.Sections)))
	}
	return c.Render(http.StatusOK, "admin/drafts", view)
}

func (h *Handler) responseRow(s *models.Survey, p models.PendingResponse, steps int) responseRow {
	row := responseRow{PendingResponse: p, Steps: steps}
	if p.MunicipalityCode != nil {
		row.Municipality = h.codeName(s, *p.MunicipalityCode)
	}
	return row
}

type confirmResponseView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Row        responseRow
	Withdraw   bool // withdraw a sent response; otherwise discard a draft
	Errors     []problemView
	Field      map[string]string
}

// pendingFor reads the survey and response of the URL for the confirmation steps.
func (h *Handler) pendingFor(c *echo.Context, status string) (*models.Survey, *confirmResponseView, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, nil, models.ErrNotFound
	}
	p, err := models.FindPendingResponse(db, s.ID, uint(id))
	if err != nil {
		return nil, nil, err
	}
	if p.Status != status || s.Status != models.StatusOpen {
		return nil, nil, models.ErrWrongStatus
	}
	def, err := s.Def()
	if err != nil {
		return nil, nil, err
	}
	view := &confirmResponseView{Researcher: researcher(c), Survey: s, Row: h.responseRow(s, *p, len(def.Sections)),
		Withdraw: status == models.ResponseSubmitted}
	return s, view, nil
}

func (h *Handler) confirmDiscard(c *echo.Context) error {
	_, view, err := h.pendingFor(c, models.ResponseDraft)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/confirmresponse", view)
}

func (h *Handler) confirmWithdraw(c *echo.Context) error {
	_, view, err := h.pendingFor(c, models.ResponseSubmitted)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/confirmresponse", view)
}

func (h *Handler) discardDraft(c *echo.Context) error {
	return h.setAsideResponse(c, models.ResponseDraft, models.DiscardDraft, "admin.drafts.discarded_flash")
}

func (h *Handler) withdrawResponse(c *echo.Context) error {
	return h.setAsideResponse(c, models.ResponseSubmitted, models.WithdrawResponse, "admin.drafts.withdrawn_flash")
}

// setAsideResponse runs act on the response of the URL after the researcher confirmed it.
func (h *Handler) setAsideResponse(c *echo.Context, status string, act func(*gorm.DB, *models.Survey, uint, string, models.Actor, time.Time) error, doneKey string) error {
	s, view, err := h.pendingFor(c, status)
	if err != nil {
		return err
	}
	if c.FormValue("bevestig") != "ja" {
		msg := tr(c).T("admin.confirmresponse.unticked")
		view.Errors, view.Field = []problemView{{Href: "#bevestig", Message: msg}}, map[string]string{"bevestig": msg}
		return c.Render(http.StatusUnprocessableEntity, "admin/confirmresponse", view)
	}
	// The audit log keeps the subject as words, in the language of the researcher who acted.
	subject := view.Row.Municipality
	if subject == "" {
		subject = tr(c).T("admin.drafts.no_municipality")
	}
	subject += " " + tr(c).T("admin.drafts.number", "ID", view.Row.ID)
	err = act(h.db.Write.WithContext(c.Request().Context()), s, view.Row.ID, subject, models.By(researcher(c)), time.Now().UTC())
	if err != nil {
		return err // ErrWrongStatus: it changed since the confirmation page
	}
	h.log.Info("response set aside by researcher", "survey", s.Slug, "response", view.Row.ID, "from", status)
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/concepten", tr(c).T(doneKey))
}
