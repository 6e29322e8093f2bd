package handlers

import (
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v5"
)

const (
	sessionName = "peiling"
	flashKey    = "flash"
)

// session returns the visitor's session. A cookie that does not decode (forged, or from
// before a key change) yields a fresh, empty session rather than an error.
func (h *Handler) session(c *echo.Context) *sessions.Session {
	if s, ok := c.Get("session").(*sessions.Session); ok {
		return s
	}
	s, err := h.sessions.Get(c.Request(), sessionName)
	if err != nil {
		s = sessions.NewSession(h.sessions, sessionName)
		opts := *h.sessions.Options
		s.Options = &opts
		s.IsNew = true
	}
	c.Set("session", s)
	if flash, ok := s.Values[flashKey].(string); ok {
		c.Set(flashKey, flash)
		delete(s.Values, flashKey)
		_ = h.saveSession(c) // a flash is shown once
	}
	return s
}

func (h *Handler) saveSession(c *echo.Context) error {
	s := h.session(c)
	s.Options.Secure = h.secure(c)
	return s.Save(c.Request(), c.Response())
}

func draftKey(slug string) string { return "draft:" + slug }

// draftToken is the resume token of the visitor's response to survey slug, if any.
func (h *Handler) draftToken(c *echo.Context, slug string) string {
	tok, _ := h.session(c).Values[draftKey(slug)].(string)
	return tok
}

func (h *Handler) setDraftToken(c *echo.Context, slug, token string) error {
	h.session(c).Values[draftKey(slug)] = token
	return h.saveSession(c)
}

// flash keeps a message for the next page the visitor sees.
func (h *Handler) flash(c *echo.Context, msg string) error {
	h.session(c).Values[flashKey] = msg
	return h.saveSession(c)
}
