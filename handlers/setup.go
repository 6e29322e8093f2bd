package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// setupForm creates the first researcher account with the one-time link from the log.
type setupForm struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"wachtwoord" validate:"required"`
	Repeat   string `form:"herhaal" validate:"required,eqfield=Password"`
}

var setupLabels = map[string]string{"email": "admin.login.label_email", "wachtwoord": "admin.setup.label_password", "herhaal": "admin.setup.label_repeat"}

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
	summary, fields := fieldErrors(tr(c), c.Validate(&form), setupLabels)
	if form.Password != "" && models.CheckPassword(form.Password) != nil {
		summary, fields = setProblem(summary, fields, "wachtwoord", passwordRule(tr(c)))
	}
	if fields["herhaal"] != "" && form.Repeat != "" {
		summary, fields = setProblem(summary, fields, "herhaal", tr(c).T("admin.setup.not_equal"))
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
	return h.redirectWithFlash(c, "/admin", tr(c).T("admin.setup.done"))
}

func passwordRule(t *locales.Translator) string {
	return t.T("admin.setup.password_rule", "Min", models.MinPasswordLength, "Max", models.MaxPasswordBytes)
}
