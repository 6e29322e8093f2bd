package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// setupForm creates the first researcher account with the one-time link from the log.
type setupForm struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"wachtwoord" validate:"required"`
	Repeat   string `form:"herhaal" validate:"required,eqfield=Password"`
}

var setupLabels = map[string]string{"email": "Uw e-mailadres", "wachtwoord": "Een wachtwoord", "herhaal": "Het wachtwoord nog een keer"}

type setupView struct {
	Form      setupForm
	Errors    []problemView
	Field     map[string]string
	MinLength int
}

// checkSetupLink refuses a wrong or used link, and slows down whoever guesses links.
func (h *Handler) checkSetupLink(c *echo.Context) error {
	at, key, ctx := time.Now(), "setup:"+c.RealIP(), c.Request().Context()
	wait, err := h.resumes.blocked(ctx, key, at)
	if err != nil {
		return err
	}
	if wait > 0 {
		return &retryAfterError{wait: wait}
	}
	err = models.CheckSetupToken(h.db.Read.WithContext(ctx), c.Param("token"))
	if errors.Is(err, models.ErrBadSetupLink) {
		if ferr := h.resumes.fail(ctx, key, at); ferr != nil {
			return ferr
		}
	}
	return err
}

func (h *Handler) showSetup(c *echo.Context) error {
	if err := h.checkSetupLink(c); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/setup", setupView{MinLength: models.MinPasswordLength})
}

func (h *Handler) createFirstResearcher(c *echo.Context) error {
	if err := h.checkSetupLink(c); err != nil {
		return err
	}
	var form setupForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	summary, fields := fieldErrors(c.Validate(&form), setupLabels)
	if form.Password != "" && models.CheckPassword(form.Password) != nil {
		summary, fields = setProblem(summary, fields, "wachtwoord", passwordRule())
	}
	if fields["herhaal"] != "" && form.Repeat != "" {
		summary, fields = setProblem(summary, fields, "herhaal", "De twee wachtwoorden zijn niet gelijk")
	}
	if len(summary) > 0 {
		form.Password, form.Repeat = "", ""
		return c.Render(http.StatusUnprocessableEntity, "admin/setup", setupView{Form: form, Errors: summary, Field: fields, MinLength: models.MinPasswordLength})
	}
	r, err := models.CreateFirstResearcher(h.db.Write.WithContext(c.Request().Context()), c.Param("token"), form.Email, form.Password)
	if err != nil {
		return err
	}
	if err := h.startAdminSession(c, r); err != nil {
		return err
	}
	h.log.Info("first researcher created with the setup link", "researcher", r.ID)
	return h.redirectWithFlash(c, "/admin", "Uw account is aangemaakt en u bent ingelogd. De installatielink werkt nu niet meer.")
}

func passwordRule() string {
	return fmt.Sprintf("Kies een wachtwoord van minstens %d tekens (hoogstens %d)", models.MinPasswordLength, models.MaxPasswordBytes)
}
