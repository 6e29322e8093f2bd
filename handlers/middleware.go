package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
	"gorm.io/gorm"

	"peiling/models"
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

// securityHeaders keeps pages out of frames, scripts to our own files and referrers on our site,
// and browsers on https once they have seen it there.
func (h *Handler) securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		hdr := c.Response().Header()
		if h.secure(c) {
			hdr.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
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
		// Static files hold no form, and a Set-Cookie on them would keep shared caches from
		// storing them (and hand every cached copy the same token).
		Skipper: func(c *echo.Context) bool {
			path := c.Request().URL.Path
			return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/static/")
		}}
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

// secure reports whether cookies must be Secure and HSTS sent: the public address is https, or
// this request came over TLS, directly or through a trusted proxy (-trusted-proxy).
func (h *Handler) secure(c *echo.Context) bool {
	return strings.HasPrefix(h.cfg.BaseURL, "https://") || c.Scheme() == "https"
}

// failureLimiter counts failed attempts (wrong resume, invitation and setup links) per key in a
// fixed window, so guessing is slow while honest users never notice. The counts are kept in the
// database (models.FailureCount), so a guesser spread over several instances is counted once.
type failureLimiter struct {
	db     *models.DB
	kind   string // tells this limiter's counts from the others'
	max    int
	window time.Duration
}

func newFailureLimiter(db *models.DB, kind string, max int, per time.Duration) *failureLimiter {
	return &failureLimiter{db: db, kind: kind, max: max, window: per}
}

// blocked returns how long key must wait, or 0.
func (l *failureLimiter) blocked(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	f, err := models.Failures(l.db.Read.WithContext(ctx), l.kind, key)
	if err != nil || f.N < l.max || !f.ExpiresAt.After(now) {
		return 0, err
	}
	return f.ExpiresAt.Sub(now), nil
}

// fail records one failure for key.
func (l *failureLimiter) fail(ctx context.Context, key string, now time.Time) error {
	return l.db.GroupWrite(ctx, func(tx *gorm.DB) error {
		return models.CountFailureInWindow(tx, l.kind, key, now, l.window)
	})
}

// retryAfterError is a 429 that tells the client when to come back.
type retryAfterError struct {
	wait time.Duration
	key  string // the error page's messages (error.KEY.*); about links when empty
}

func (e *retryAfterError) Error() string { return "too many failed attempts" }

func (e *retryAfterError) seconds() string {
	return strconv.Itoa(int(e.wait.Seconds()) + 1)
}

// loginThrottle slows password guessing without letting anyone lock a researcher out.
//
// Two counters of failed logins, each forgotten loginForget after its last failure:
//   - per address: after loginFreeFailures failures, each next attempt from that address
//     waits a delay that doubles per failure, up to loginMaxDelay. This stops one machine.
//   - per account: the same growing delay on the account's failures from all addresses, but
//     it applies only to addresses that have themselves failed for this account. A guesser
//     spread over many addresses gets one guess per address before the account's delay
//     catches it, so the account is still slowed as a whole; the researcher, typing the
//     right password from an address that has not failed, is never refused because of
//     others' failures.
//
// A fixed lockout of the account (the old rule: 10 failures from anywhere, then 15 minutes
// of 429 for everyone) was a way to keep the researcher out for good. The cost of this
// choice: a researcher who mistypes from an address while the account is under attack
// waits like the guessers do; another address (or a colleague's browser) still works.
type loginThrottle struct {
	db *models.DB // counts kept in the database, as the failureLimiter's are
}

// The kinds of the login throttle's counts (models.FailureCount).
const (
	loginByAddress = "login-address"
	loginByAccount = "login-account"
	loginByPair    = "login-pair" // account + "|" + address: that address failed for that account
)

const (
	loginFreeFailures = 3
	loginBaseDelay    = time.Second
	loginMaxDelay     = 15 * time.Minute
	loginForget       = time.Hour
)

func newLoginThrottle(db *models.DB) *loginThrottle { return &loginThrottle{db: db} }

// wait returns how long an attempt on account from addr must wait, or 0.
func (l *loginThrottle) wait(ctx context.Context, account, addr string, now time.Time) (time.Duration, error) {
	db := l.db.Read.WithContext(ctx)
	byAddr, err := models.Failures(db, loginByAddress, addr)
	if err != nil {
		return 0, err
	}
	wait := loginWait(byAddr, now)
	pair, err := models.Failures(db, loginByPair, account+"|"+addr)
	if err != nil || !pair.ExpiresAt.After(now) {
		return wait, err
	}
	byAccount, err := models.Failures(db, loginByAccount, account)
	return max(wait, loginWait(byAccount, now)), err
}

// fail records a wrong password for account from addr.
func (l *loginThrottle) fail(ctx context.Context, account, addr string, now time.Time) error {
	return l.db.GroupWrite(ctx, func(tx *gorm.DB) error {
		for kind, source := range map[string]string{loginByAddress: addr, loginByAccount: account, loginByPair: account + "|" + addr} {
			if err := models.CountFailureSinceLast(tx, kind, source, now, loginForget); err != nil {
				return err
			}
		}
		return nil
	})
}

// succeed forgets that addr failed for account: the researcher who mistyped and then got it
// right is not held up by the account's delay next time.
func (l *loginThrottle) succeed(ctx context.Context, account, addr string) error {
	return l.db.GroupWrite(ctx, func(tx *gorm.DB) error {
		return models.ForgetFailures(tx, loginByPair, account+"|"+addr)
	})
}

// loginWait is how long after f's last failure the next attempt may come: nothing for the
// first loginFreeFailures, then loginBaseDelay doubling per failure, up to loginMaxDelay.
func loginWait(f models.FailureCount, now time.Time) time.Duration {
	if f.N < loginFreeFailures || !f.ExpiresAt.After(now) {
		return 0
	}
	delay := loginMaxDelay
	if shift := f.N - loginFreeFailures; shift < 20 {
		delay = min(loginBaseDelay<<shift, loginMaxDelay)
	}
	return max(0, f.LastAt.Add(delay).Sub(now))
}
