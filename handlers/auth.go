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
	// adminLifetime ends a session this long after login however busy it is, so a cookie
	// copied from a browser stops working within a working day.
	adminLifetime = 12 * time.Hour
	researcherKey = "researcher"
	// Session values beside researcherKey: the account's session version at login, the
	// login time and the last request (Unix seconds).
	versionKey = "version"
	loginKey   = "login"
	seenKey    = "seen"
)

// loginForm is the researcher's login.
type loginForm struct {
	Email    string `form:"email" validate:"required,email,max=254"`
	Password string `form:"wachtwoord" validate:"required,max=72"`
	Next     string `form:"next"`
}

// loginLabels name the login form's fields in messages: catalogue messages.
var loginLabels = map[string]string{"email": "admin.login.label_email", "wachtwoord": "admin.login.label_password"}

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
		summary, fields := fieldErrors(tr(c), err, loginLabels)
		form.Password = ""
		return c.Render(http.StatusUnprocessableEntity, "admin/login", loginView{Form: form, Errors: summary, Field: fields})
	}
	at, account, addr := h.now(), strings.ToLower(strings.TrimSpace(form.Email)), c.RealIP()
	ctx := c.Request().Context()
	if wait, err := h.logins.wait(ctx, account, addr, at); err != nil || wait > 0 {
		if err != nil {
			return err
		}
		return &retryAfterError{wait: wait, key: "too_many_passwords"}
	}
	db := h.db.Write.WithContext(ctx)
	r, err := models.Authenticate(db, form.Email, form.Password)
	if errors.Is(err, models.ErrBadLogin) {
		if err := h.logins.fail(ctx, account, addr, at); err != nil {
			return err
		}
		msg := tr(c).T("admin.login.wrong")
		form.Password = ""
		return c.Render(http.StatusUnprocessableEntity, "admin/login", loginView{Form: form,
			Errors: []problemView{{Href: "#email", Message: msg}}, Field: map[string]string{"email": msg}})
	}
	if err != nil {
		return err
	}
	if err := h.logins.succeed(ctx, account, addr); err != nil {
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
	at := h.now().Unix()
	s.Values = map[any]any{researcherKey: r.ID, versionKey: r.SessionVersion, loginKey: at, seenKey: at}
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

// logout ends every session of the account, not just this browser's: a researcher who logs
// out after noticing a stranger's login should not have to find every cookie.
func (h *Handler) logout(c *echo.Context) error {
	s := h.adminSession(c)
	r, err := h.sessionResearcher(c, s)
	if err != nil {
		return err
	}
	if r != nil {
		if err := models.EndSessions(h.db.Write.WithContext(c.Request().Context()), r.ID); err != nil {
			return err
		}
		h.log.Info("researcher logged out", "researcher", r.ID)
	}
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
// page. Sessions end after adminIdleTimeout without a request, adminLifetime after login, and
// at once when the account logs out, gets a new password or is removed.
func (h *Handler) requireResearcher(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		s := h.adminSession(c)
		r, err := h.sessionResearcher(c, s)
		if err != nil {
			return err
		}
		if r == nil {
			if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
				return echo.ErrForbidden
			}
			return c.Redirect(http.StatusSeeOther, "/admin/login?next="+c.Request().URL.EscapedPath())
		}
		dirty := false
		if seen, _ := s.Values[seenKey].(int64); h.now().Sub(time.Unix(seen, 0)) > time.Minute { // refresh the idle clock, not on every request
			s.Values[seenKey] = h.now().Unix()
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

// sessionResearcher returns the researcher session s belongs to, or nil when it is no
// (longer a) valid session: idle too long, older than adminLifetime, from before the
// account's last logout or password change, or of a removed account.
func (h *Handler) sessionResearcher(c *echo.Context, s *sessions.Session) (*models.Researcher, error) {
	id, _ := s.Values[researcherKey].(uint)
	version, _ := s.Values[versionKey].(int)
	login, _ := s.Values[loginKey].(int64)
	seen, _ := s.Values[seenKey].(int64)
	now := h.now()
	if id == 0 || now.Sub(time.Unix(seen, 0)) > adminIdleTimeout || now.Sub(time.Unix(login, 0)) > adminLifetime {
		return nil, nil
	}
	r, err := models.FindResearcher(h.db.Read.WithContext(c.Request().Context()), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if r.SessionVersion != version {
		return nil, nil
	}
	return r, nil
}

// researcher is the logged-in researcher of this request.
func researcher(c *echo.Context) *models.Researcher {
	r, _ := c.Get(researcherKey).(*models.Researcher)
	return r
}
