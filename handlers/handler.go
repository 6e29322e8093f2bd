// Package handlers is Peiling's HTTP layer: routes, pages, forms and the one error path.
package handlers

import (
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v5"

	"peiling/locales"
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
	// TrustedProxies are the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are
	// believed. Empty: the direct peer is the client, whatever headers it sends.
	TrustedProxies []*net.IPNet
	// Clock is the time for login throttling and researcher sessions; time.Now when nil.
	// Tests set it to make delays and lifetimes exact.
	Clock func() time.Time
	// SiteTexts replaces the default text of a footer page (SitePages) for this installation;
	// paragraphs are separated by blank lines.
	SiteTexts map[string]string
	// Catalogue is every language's messages; nil: the embedded one (locales.Load). Tests give
	// another to show that a language needs only catalogue files.
	Catalogue *locales.Catalogue
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
	lang      *locales.Catalogue
	// mailDefaults are the default invitation and reminder texts in every language of lang.
	mailDefaults map[string]models.MailTemplate
	sessions     *sessions.CookieStore
	// adminSessions is a separate cookie: it lives only as long as the browser and expires on
	// inactivity, unlike a respondent's month-long draft cookie.
	adminSessions *sessions.CookieStore
	cfg           Config
	log           *slog.Logger
	resumes       *failureLimiter
	logins        *loginThrottle
	resumeMails   *failureLimiter // resume links mailed per draft (resumemail.go)
	// resumeMailsTo and resumeMailsAll bound them per recipient and for all drafts together.
	resumeMailsTo, resumeMailsAll *failureLimiter
	links                         models.LinkKey // seals invitation links (models/invitation.go)
	now                           func() time.Time
	mail                          mailWorker  // wakes SendQueuedMail (mailworker.go)
	surveys                       surveyCache // survey rows for respondents' requests (surveycache.go)
	slices                        *sliceJobs  // slices counted after closing (slicejobs.go)
}

// New builds the echo instance with every route.
func New(db *models.DB, cfg Config) (*echo.Echo, *Handler, error) {
	if len(cfg.SessionKey) != 64 {
		return nil, nil, fmt.Errorf("session key must be 64 bytes, got %d", len(cfg.SessionKey))
	}
	lang := cfg.Catalogue
	if lang == nil {
		lang = catalogue
	}
	render, err := NewRenderer(cfg.Templates, cfg.Static, lang)
	if err != nil {
		return nil, nil, err
	}
	store := sessions.NewCookieStore(cfg.SessionKey[:32], cfg.SessionKey[32:])
	store.Options = &sessions.Options{Path: "/", MaxAge: int(sessionLifetime.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode}
	for _, codec := range store.Codecs {
		if sc, ok := codec.(*securecookie.SecureCookie); ok {
			sc.SetSerializer(stringsCodec{}) // a respondent's session holds strings only
		}
	}
	admin := sessions.NewCookieStore(cfg.SessionKey[:32], cfg.SessionKey[32:])
	admin.Options = &sessions.Options{Path: "/", MaxAge: 0, HttpOnly: true, SameSite: http.SameSiteLaxMode}
	h := &Handler{
		db:             db,
		registers:      &models.Registers{},
		render:         render,
		lang:           lang,
		mailDefaults:   models.DefaultMailTemplates(lang),
		sessions:       store,
		adminSessions:  admin,
		cfg:            cfg,
		log:            cfg.Log,
		resumes:        newFailureLimiter(db, "link", 20, 10*time.Minute),
		logins:         newLoginThrottle(db),
		resumeMails:    newFailureLimiter(db, "resume-mail", resumeMailsPerHour, time.Hour),
		resumeMailsTo:  newFailureLimiter(db, "resume-mail-to", resumeMailsPerAddressDay, 24*time.Hour),
		resumeMailsAll: newFailureLimiter(db, "resume-mail-all", resumeMailsPerHourAll, time.Hour),
		links:          models.NewLinkKey(cfg.SessionKey),
		now:            cfg.Clock,
		mail:           newMailWorker(),
		slices:         newSliceJobs(),
	}
	if h.now == nil {
		h.now = time.Now
	}
	ip, scheme := clientExtractors(cfg.TrustedProxies)
	e := echo.NewWithConfig(echo.Config{Logger: cfg.Log, Renderer: render, HTTPErrorHandler: h.handleError, Validator: newFormValidator(),
		IPExtractor: ip, SchemeExtractor: scheme,
		// HEAD runs the GET route and drops the body, so monitors and link checkers see the
		// status a browser would (echo's default answers 405).
		Router: echo.NewRouter(echo.RouterConfig{AutoHandleHEAD: true, AllowOverwritingRoute: true})})
	h.routes(e)
	return e, h, nil
}

// clientExtractors tell c.RealIP and c.Scheme who the client is. Forwarding headers count
// only when the direct peer is one of the trusted proxies: anyone else could write any address
// into X-Forwarded-For and so escape the per-address limits or use another's. echo trusts
// loopback and private ranges by default; here only the configured ranges are trusted.
func clientExtractors(proxies []*net.IPNet) (echo.IPExtractor, echo.SchemeExtractor) {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect(), echo.ExtractSchemeDirect()
	}
	trust := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		trust = append(trust, echo.TrustIPRange(p))
	}
	return echo.ExtractIPFromXFFHeader(trust...), echo.ExtractSchemeFromHeaders(trust...)
}

// ParseProxies reads a comma-separated list of CIDR ranges or single addresses.
func ParseProxies(list string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !strings.Contains(item, "/") {
			ip := net.ParseIP(item)
			if ip == nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR range", item)
			}
			bits := 8 * len(ip.To16())
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(item)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or CIDR range", item)
		}
		out = append(out, n)
	}
	return out, nil
}

// Rendered lists the templates rendered so far; tests use it to find pages no test reached.
func (h *Handler) Rendered() map[string]bool { return h.render.rendered() }
