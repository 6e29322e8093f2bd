package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// A municipality's invitation link is its key to the survey: following it puts the token in
// the visitor's session, and from then on the draft of the browser is the one response of
// that municipality (one per municipality, whoever opens the link). GET only stores the
// token and never creates a draft, so mail scanners that open links change nothing.

func inviteKey(slug string) string { return "invite:" + slug }

// inviteToken is the invitation token the visitor followed for survey slug, if any.
func (h *Handler) inviteToken(c *echo.Context, slug string) string {
	tok, _ := h.session(c).Values[inviteKey(slug)].(string)
	return tok
}

// invitation returns the live invitation the visitor followed for survey s, or nil.
func (h *Handler) invitation(c *echo.Context, s *models.Survey) (*models.Invitation, error) {
	if inv, ok := c.Get("invitation").(*models.Invitation); ok {
		return inv, nil
	}
	tok := h.inviteToken(c, s.Slug)
	if tok == "" {
		return nil, nil
	}
	inv, err := models.FindInvitation(h.db.Read.WithContext(c.Request().Context()), s, tok)
	if errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrInvitationRevoked) {
		return nil, nil // revoked since: the visitor is back to no invitation
	}
	if err != nil {
		return nil, err
	}
	c.Set("invitation", inv)
	return inv, nil
}

type badInvitationView struct {
	Survey  *models.Survey
	Revoked bool
}

func (h *Handler) followInvitation(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	ip, at := c.RealIP(), time.Now()
	if wait := h.resumes.blocked(ip, at); wait > 0 {
		return &retryAfterError{wait: wait}
	}
	token := c.Param("token")
	inv, err := models.FindInvitation(h.db.Read.WithContext(c.Request().Context()), s, token)
	if errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrInvitationRevoked) {
		h.resumes.fail(ip, at)
		status := http.StatusNotFound
		if errors.Is(err, models.ErrInvitationRevoked) {
			status = http.StatusGone
		}
		return c.Render(status, "respond/badinvitation", badInvitationView{Survey: s, Revoked: status == http.StatusGone})
	}
	if err != nil {
		return err
	}
	sess := h.session(c)
	sess.Values[inviteKey(s.Slug)] = token
	delete(sess.Values, "draft:"+s.Slug) // the invitation decides which draft this browser has
	if err := h.saveSession(c); err != nil {
		return err
	}
	if s.Status == models.StatusClosed && s.BenchmarkEnabled {
		return c.Redirect(http.StatusSeeOther, benchmarkURL(s.Slug, inv.MunicipalityCode))
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug)
}

type invitationOnlyView struct {
	Survey *models.Survey
}

// invitationOnly is the page for a visitor without a link to an invitation-only survey.
func invitationOnly(c *echo.Context, s *models.Survey) error {
	return c.Render(http.StatusForbidden, "respond/invitationonly", invitationOnlyView{Survey: s})
}

// startInvited starts or continues the one response of the invited municipality.
func (h *Handler) startInvited(c *echo.Context, s *models.Survey, def *models.Definition, inv *models.Invitation) error {
	r, err := models.StartInvitedDraft(h.db.Write.WithContext(c.Request().Context()), s, inv.MunicipalityCode)
	if err != nil {
		return err
	}
	if r.Submitted() {
		return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug+"/bevestiging")
	}
	return c.Redirect(http.StatusSeeOther, continueURL(s.Slug, r, len(def.Sections)))
}

// invitedName is the name of the invited municipality, or "" without an invitation.
func (h *Handler) invitedName(c *echo.Context, s *models.Survey, inv *models.Invitation) string {
	if inv == nil {
		return ""
	}
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return inv.MunicipalityCode
	}
	if m, ok := reg.ByCode(inv.MunicipalityCode); ok {
		return m.Name
	}
	return inv.MunicipalityCode
}
