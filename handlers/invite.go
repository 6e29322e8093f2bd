package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/models"
)

// A municipality's invitation link is its key to the survey. Following it (GET) only notes
// the link in the visitor's session: mail scanners that open links change nothing. Pressing
// Start with it makes the municipality's response and binds the link to this browser; from
// then on the link leads nobody else anywhere, and the respondent continues elsewhere with
// the private resume link of the response (models/invitation.go). A draft this browser had
// without the link is never continued by it.

func inviteKey(slug string) string { return "invite:" + slug }

// invitation returns the live invitation whose link the visitor followed for survey s and
// has not started with yet, or nil.
func (h *Handler) invitation(c *echo.Context, s *models.Survey) (*models.Invitation, error) {
	if inv, ok := c.Get("invitation").(*models.Invitation); ok {
		return inv, nil
	}
	tok, _ := h.session(c).Values[inviteKey(s.Slug)].(string)
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
	ctx := c.Request().Context()
	inv, err := models.FindInvitation(h.db.Read.WithContext(ctx), s, c.Param("token"))
	if errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrInvitationRevoked) {
		// Only wrong links count towards the limit, so guessing cannot lock out valid ones.
		if err := h.badLink(c); err != nil {
			return err
		}
		status := http.StatusNotFound
		if errors.Is(err, models.ErrInvitationRevoked) {
			status = http.StatusGone
		}
		return c.Render(status, "respond/badinvitation", badInvitationView{Survey: s, Revoked: status == http.StatusGone})
	}
	if err != nil {
		return err
	}
	if t := h.lang.Translator(inv.Lang); t != nil && !h.hasLanguageChoice(c) {
		h.keepLanguage(c, t) // the researcher knows the contact's language; the browser said none
	}
	sess := h.session(c)
	if s.Status == models.StatusClosed && s.BenchmarkEnabled {
		sess.Values[inviteKey(s.Slug)] = c.Param("token") // the report is shown to this link
		if err := h.saveSession(c); err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, benchmarkURL(s.Slug, inv.MunicipalityCode))
	}
	if inv.ResponseID != nil { // the link started a response: only in that browser
		r, err := h.loadDraft(c, s)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if r == nil || r.ID != *inv.ResponseID {
			return c.Render(http.StatusConflict, "respond/invitationused", invitationUsedView{Survey: s, Municipality: h.codeName(s, inv.MunicipalityCode)})
		}
		to, err := h.continueAt(c, s, r)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
	sess.Values[inviteKey(s.Slug)] = c.Param("token")
	delete(sess.Values, draftKey(s.Slug)) // a draft without this link is not continued by it
	if err := h.saveSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug)
}

// badLink counts a wrong resume or invitation link of the visitor's address, and refuses
// with 429 once the address has made too many.
func (h *Handler) badLink(c *echo.Context) error {
	ip, at, ctx := c.RealIP(), time.Now(), c.Request().Context()
	wait, err := h.resumes.blocked(ctx, ip, at)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &retryAfterError{wait: wait}
	}
	return h.resumes.fail(ctx, ip, at)
}

type invitationUsedView struct {
	Survey       *models.Survey
	Municipality string
}

type invitationOnlyView struct {
	Survey *models.Survey
}

// invitationOnly is the page for a visitor without a link to an invitation-only survey.
func invitationOnly(c *echo.Context, s *models.Survey) error {
	return c.Render(http.StatusForbidden, "respond/invitationonly", invitationOnlyView{Survey: s})
}

// startInvited starts the response of the invitation's municipality and binds the link to
// this browser.
func (h *Handler) startInvited(c *echo.Context, s *models.Survey, inv *models.Invitation) error {
	var token string
	err := h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) (err error) {
		_, token, err = models.StartInvitedDraft(tx, s, inv)
		return err
	})
	if errors.Is(err, models.ErrInvitationUsed) { // a colleague pressed Start first, elsewhere
		return c.Render(http.StatusConflict, "respond/invitationused", invitationUsedView{Survey: s, Municipality: h.codeName(s, inv.MunicipalityCode)})
	}
	if err != nil {
		return err
	}
	delete(h.session(c).Values, inviteKey(s.Slug))
	if err := h.setDraftToken(c, s.Slug, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, stepURL(s.Slug, 1))
}

// codeName is the name of municipality code in survey s's register, or the code.
func (h *Handler) codeName(s *models.Survey, code string) string {
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return code
	}
	if m, ok := reg.ByCode(code); ok {
		return m.Name
	}
	return code
}
