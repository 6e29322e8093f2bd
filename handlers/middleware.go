package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// logRequests writes one line per request. It logs the route, not the URL: resume links carry
// a secret in their path.
func (h *Handler) logRequests() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus: true, LogLatency: true, LogMethod: true, LogRoutePath: true, HandleError: true,
		LogValuesFunc: func(c *echo.Context, v middleware.RequestLoggerValues) error {
			h.log.InfoContext(c.Request().Context(), "request", "method", v.Method, "route", v.RoutePath,
				"status", v.Status, "ms", float64(v.Latency.Microseconds())/1000)
			return nil
		},
	})
}

// securityHeaders keeps pages out of frames, scripts to our own files and referrers on our site.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		hdr := c.Response().Header()
		hdr.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		hdr.Set("X-Content-Type-Options", "nosniff")
		hdr.Set("X-Frame-Options", "DENY")
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if !strings.HasPrefix(c.Request().URL.Path, "/static/") {
			hdr.Set("Cache-Control", "no-store")
		}
		return next(c)
	}
}

// cacheStatic lets browsers keep versioned assets for a year.
func cacheStatic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		if c.QueryParam("v") != "" {
			c.Response().Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		}
		return next(c)
	}
}

// csrf protects every POST: browsers that send Sec-Fetch-Site are checked on it, others by a
// token in a cookie and the form. Two instances, because echo fixes the cookie's Secure flag.
func (h *Handler) csrf() echo.MiddlewareFunc {
	cfg := middleware.CSRFConfig{TokenLookup: "form:_csrf,header:X-CSRF-Token", CookieName: "peiling_csrf", CookiePath: "/",
		CookieHTTPOnly: true, CookieSameSite: http.SameSiteLaxMode, CookieMaxAge: int(sessionLifetime.Seconds()),
		// A missing token is as forged as a wrong one: one clear 403 page for both.
		ErrorHandler: func(c *echo.Context, err error) error { return middleware.ErrCSRFInvalid },
		// The API authenticates each request with a bearer token, not a cookie: nothing to forge.
		Skipper: func(c *echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }}
	plain := middleware.CSRFWithConfig(cfg)
	cfg.CookieSecure = true
	secure := middleware.CSRFWithConfig(cfg)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		p, s := plain(next), secure(next)
		return func(c *echo.Context) error {
			if h.secure(c) {
				return s(c)
			}
			return p(c)
		}
	}
}

// secure reports whether cookies must be Secure: served over TLS, directly or behind a proxy.
func (h *Handler) secure(c *echo.Context) bool {
	return strings.HasPrefix(h.cfg.BaseURL, "https://") || c.Scheme() == "https"
}

// failureLimiter counts failed attempts (wrong resume links, wrong passwords) per key in a
// fixed window, so guessing is slow while honest users never notice.
type failureLimiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	hits   map[string]*window
}

type window struct {
	start time.Time
	n     int
}

func newFailureLimiter(max int, per time.Duration) *failureLimiter {
	return &failureLimiter{max: max, window: per, hits: map[string]*window{}}
}

// blocked returns how long key must wait, or 0.
func (l *failureLimiter) blocked(key string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.hits[key]
	if !ok || now.Sub(w.start) >= l.window {
		return 0
	}
	if w.n < l.max {
		return 0
	}
	return w.start.Add(l.window).Sub(now)
}

// fail records one failure for key.
func (l *failureLimiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.hits) > 100_000 { // bounded memory under a flood of addresses
		for k, w := range l.hits {
			if now.Sub(w.start) >= l.window {
				delete(l.hits, k)
			}
		}
	}
	w, ok := l.hits[key]
	if !ok || now.Sub(w.start) >= l.window {
		l.hits[key] = &window{start: now, n: 1}
		return
	}
	w.n++
}

// retryAfterError is a 429 that tells the client when to come back.
type retryAfterError struct{ wait time.Duration }

func (e *retryAfterError) Error() string { return "too many failed attempts" }

func (e *retryAfterError) seconds() string {
	return strconv.Itoa(int(e.wait.Seconds()) + 1)
}
