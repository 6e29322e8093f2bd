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
	mu       sync.Mutex
	addrs    map[string]*failures
	accounts map[string]*failures
	pairs    map[string]time.Time // account + "|" + address → its last failure
}

type failures struct {
	n    int
	last time.Time
}

const (
	loginFreeFailures = 3
	loginBaseDelay    = time.Second
	loginMaxDelay     = 15 * time.Minute
	loginForget       = time.Hour
)

func newLoginThrottle() *loginThrottle {
	return &loginThrottle{addrs: map[string]*failures{}, accounts: map[string]*failures{}, pairs: map[string]time.Time{}}
}

// wait returns how long an attempt on account from addr must wait, or 0.
func (l *loginThrottle) wait(account, addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	wait := l.addrs[addr].wait(now)
	if last, ok := l.pairs[account+"|"+addr]; ok && now.Sub(last) < loginForget {
		wait = max(wait, l.accounts[account].wait(now))
	}
	return wait
}

// fail records a wrong password for account from addr.
func (l *loginThrottle) fail(account, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.addrs)+len(l.accounts)+len(l.pairs) > 100_000 { // bounded memory under a flood of addresses
		l.forget(now)
	}
	for _, m := range []struct {
		m   map[string]*failures
		key string
	}{{l.addrs, addr}, {l.accounts, account}} {
		f := m.m[m.key]
		if f == nil || now.Sub(f.last) >= loginForget {
			f = &failures{}
			m.m[m.key] = f
		}
		f.n++
		f.last = now
	}
	l.pairs[account+"|"+addr] = now
}

// succeed forgets that addr failed for account: the researcher who mistyped and then got it
// right is not held up by the account's delay next time.
func (l *loginThrottle) succeed(account, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.pairs, account+"|"+addr)
}

func (l *loginThrottle) forget(now time.Time) {
	for _, m := range []map[string]*failures{l.addrs, l.accounts} {
		for k, f := range m {
			if now.Sub(f.last) >= loginForget {
				delete(m, k)
			}
		}
	}
	for k, last := range l.pairs {
		if now.Sub(last) >= loginForget {
			delete(l.pairs, k)
		}
	}
}

// wait is how long after f's last failure the next attempt may come: nothing for the first
// loginFreeFailures, then loginBaseDelay doubling per failure, up to loginMaxDelay.
func (f *failures) wait(now time.Time) time.Duration {
	if f == nil || f.n < loginFreeFailures || now.Sub(f.last) >= loginForget {
		return 0
	}
	delay := loginMaxDelay
	if shift := f.n - loginFreeFailures; shift < 20 {
		delay = min(loginBaseDelay<<shift, loginMaxDelay)
	}
	return max(0, f.last.Add(delay).Sub(now))
}
