// Package handlers is Peiling's HTTP layer: routes, pages, forms and the one error path.
package handlers

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v5"

	"peiling/mail"
	"peiling/models"
)

// Config is what the HTTP layer needs from the outside world.
type Config struct {
	// BaseURL is the public address, e.g. https://peiling.example.nl; when empty, links are
	// built from the request. An https address makes every cookie Secure.
	BaseURL    string
	SessionKey []byte // 64 bytes: 32 to sign, 32 to encrypt
	Templates  fs.FS
	Static     fs.FS
	Log        *slog.Logger
	Mail       mail.Config // zero: no e-mail; invitations are then sent by mail merge
}

// Limits on what a request may carry.
const (
	maxBodyBytes    = 256 << 10 // a whole section of open answers is far below this
	sessionLifetime = 30 * 24 * time.Hour
)

// Handler holds what every request shares.
type Handler struct {
	db        *models.DB
	registers *models.Registers
	render    *Renderer
	sessions  *sessions.CookieStore
	// adminSessions is a separate cookie: it lives only as long as the browser and expires on
	// inactivity, unlike a respondent's month-long draft cookie.
	adminSessions *sessions.CookieStore
	cfg           Config
	log           *slog.Logger
	resumes       *failureLimiter
	logins        *failureLimiter
	links         models.LinkKey // seals invitation links (models/invitation.go)
	mail          mailWorker     // wakes SendQueuedMail (mailworker.go)
	surveys       surveyCache    // survey rows for respondents' requests (surveycache.go)
}

// New builds the echo instance with every route.
func New(db *models.DB, cfg Config) (*echo.Echo, *Handler, error) {
	if len(cfg.SessionKey) != 64 {
		return nil, nil, fmt.Errorf("session key must be 64 bytes, got %d", len(cfg.SessionKey))
	}
	render, err := NewRenderer(cfg.Templates, cfg.Static)
	if err != nil {
		return nil, nil, err
	}
	store := sessions.NewCookieStore(cfg.SessionKey[:32], cfg.SessionKey[32:])
	store.Options = &sessions.Options{Path: "/", MaxAge: int(sessionLifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	admin := sessions.NewCookieStore(cfg.SessionKey[:32], cfg.SessionKey[32:])
	admin.Options = &sessions.Options{Path: "/", MaxAge: 0, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	h := &Handler{
		db:            db,
		registers:     &models.Registers{},
		render:        render,
		sessions:      store,
		adminSessions: admin,
		cfg:           cfg,
		log:           cfg.Log,
		resumes:       newFailureLimiter(20, 10*time.Minute),
		logins:        newFailureLimiter(10, 15*time.Minute),
		links:         models.NewLinkKey(cfg.SessionKey),
		mail:          newMailWorker(),
	}
	e := echo.NewWithConfig(echo.Config{Logger: cfg.Log, Renderer: render, HTTPErrorHandler: h.handleError, Validator: newFormValidator()})
	h.routes(e)
	return e, h, nil
}

// Rendered lists the templates rendered so far; tests use it to find pages no test reached.
func (h *Handler) Rendered() map[string]bool { return h.render.rendered() }
