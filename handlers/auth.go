package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v5"

	"peiling/models"
)

const (
	adminSessionName = "peiling_admin"
	adminIdleTimeout = 2 * time.Hour
	researcherKey    = "researcher"
)

// loginForm is the researcher's login.
type loginForm struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"wachtwoord" validate:"required,max=72"`
	Next     string `form:"next"`
}

var loginLabels = map[string]string{"email": "Uw e-mailadres", "wachtwoord": "Uw wachtwoord"}

type loginView struct {
	Form   loginForm
	Errors []problemView
	Field  map[string]string
}

func (h *Handler) adminSession(c *echo.Context) *sessions.Session {
	s, err := h.adminSessions.Get(c.Request(), adminSessionName)
	if err != nil {
		s = sessions.NewSession(h.adminSessions, adminSessionName)
		opts := *h.adminSessions.Options
		s.Options = &opts
		s.IsNew = true
	}
	return s
}

func (h *Handler) saveAdminSession(c *echo.Context, s *sessions.Session) error {
	s.Options.Secure = h.secure(c)
	return s.Save(c.Request(), c.Response())
}

func (h *Handler) showLogin(c *echo.Context) error {
	return c.Render(http.StatusOK, "admin/login", loginView{Form: loginForm{Next: safeNext(c.QueryParam("next"))}})
}

func (h *Handler) login(c *echo.Context) error {
	var form loginForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	form.Next = safeNext(form.Next)
	if err := c.Validate(&form); err != nil {
		summary, fields := fieldErrors(err, loginLabels)
		form.Password = ""
		return c.Render(http.StatusUnprocessableEntity, "admin/login", loginView{Form: form, Errors: summary, Field: fields})
	}
	at, account := time.Now(), "account:"+strings.ToLower(strings.TrimSpace(form.Email))
	for _, key := range []string{account, "ip:" + c.RealIP()} {
		if wait := h.logins.blocked(key, at); wait > 0 {
			return &retryAfterError{wait: wait}
		}
	}
	db := h.db.Write.WithContext(c.Request().Context())
	r, err := models.Authenticate(db, form.Email, form.Password)
	if errors.Is(err, models.ErrBadLogin) {
		h.logins.fail(account, at)
		h.logins.fail("ip:"+c.RealIP(), at)
		msg := "Het e-mailadres of het wachtwoord klopt niet"
		form.Password = ""
		return c.Render(http.StatusUnprocessableEntity, "admin/login", loginView{Form: form,
			Errors: []problemView{{Href: "#email", Message: msg}}, Field: map[string]string{"email": msg}})
	}
	if err != nil {
		return err
	}
	if err := models.RecordLogin(db, r); err != nil {
		return err
	}
	if err := h.startAdminSession(c, r); err != nil {
		return err
	}
	h.log.Info("researcher logged in", "researcher", r.ID)
	return c.Redirect(http.StatusSeeOther, form.Next)
}

// startAdminSession logs r in with a fresh session: no fixation.
func (h *Handler) startAdminSession(c *echo.Context, r *models.Researcher) error {
	s := h.adminSession(c)
	s.Values = map[any]any{researcherKey: r.ID, "seen": time.Now().Unix()}
	return h.saveAdminSession(c, s)
}

// redirectWithFlash sends the researcher to another page, which shows msg once.
func (h *Handler) redirectWithFlash(c *echo.Context, to, msg string) error {
	s := h.adminSession(c)
	s.Values[flashKey] = msg
	if err := h.saveAdminSession(c, s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}

func (h *Handler) logout(c *echo.Context) error {
	s := h.adminSession(c)
	s.Values = map[any]any{}
	s.Options.MaxAge = -1
	if err := h.saveAdminSession(c, s); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// safeNext keeps a post-login redirect inside the admin area.
func safeNext(next string) string {
	if strings.HasPrefix(next, "/admin") && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/admin"
}

// requireResearcher lets logged-in researchers through and sends everyone else to the login
// page. Sessions end after adminIdleTimeout without a request.
func (h *Handler) requireResearcher(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		s := h.adminSession(c)
		id, _ := s.Values[researcherKey].(uint)
		seen, _ := s.Values["seen"].(int64)
		if id == 0 || time.Since(time.Unix(seen, 0)) > adminIdleTimeout {
			if c.Request().Method != http.MethodGet {
				return echo.ErrForbidden
			}
			return c.Redirect(http.StatusSeeOther, "/admin/login?next="+c.Request().URL.EscapedPath())
		}
		r, err := models.FindResearcher(h.db.Read.WithContext(c.Request().Context()), id)
		if errors.Is(err, models.ErrNotFound) {
			return c.Redirect(http.StatusSeeOther, "/admin/login")
		}
		if err != nil {
			return err
		}
		dirty := false
		if time.Since(time.Unix(seen, 0)) > time.Minute { // refresh the idle clock, not on every request
			s.Values["seen"] = time.Now().Unix()
			dirty = true
		}
		if flash, ok := s.Values[flashKey].(string); ok && c.Request().Method == http.MethodGet {
			c.Set(flashKey, flash) // shown once, by the renderer
			delete(s.Values, flashKey)
			dirty = true
		}
		if dirty {
			if err := h.saveAdminSession(c, s); err != nil {
				return err
			}
		}
		c.Set(researcherKey, r)
		return next(c)
	}
}

// researcher is the logged-in researcher of this request.
func researcher(c *echo.Context) *models.Researcher {
	r, _ := c.Get(researcherKey).(*models.Researcher)
	return r
}
