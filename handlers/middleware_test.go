package handlers

import (
	"io"
	"net"
	"net/http"
	"testing"
)

// getFrom requests path as a client that a proxy names in X-Forwarded-For.
func (c *client) getFrom(path, forwardedFor string) *page {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.srv.URL+path, nil)
	req.Header.Set("X-Forwarded-For", forwardedFor)
	return c.do(req)
}

// behindProxy trusts the test server's own address, 127.0.0.1, as a reverse proxy.
func behindProxy(cfg *Config) {
	cfg.TrustedProxies = []*net.IPNet{{IP: net.IPv4(127, 0, 0, 1).To4(), Mask: net.CIDRMask(32, 32)}}
}

func TestClientAddressComesFromXForwardedForOnlyBehindATrustedProxy(t *testing.T) {
	// Wrong setup links are limited per client address (20 per 10 minutes): whether a
	// second client is refused shows whether both got the same limiter key.
	guess := func(app *testApp, from string) int {
		return app.newClient().getFrom("/admin/setup/verzonnen", from).Status
	}
	t.Run("behind a trusted proxy", func(t *testing.T) {
		app := newTestApp(t, behindProxy)
		for range 20 {
			guess(app, "203.0.113.1")
		}
		if got := guess(app, "203.0.113.1"); got != http.StatusTooManyRequests {
			t.Fatalf("guesser's 21st wrong link: %d, want 429", got)
		}
		if got := guess(app, "198.51.100.7"); got != http.StatusNotFound {
			t.Errorf("another client behind the same proxy: %d, want 404 (its own limit)", got)
		}
		if got := guess(app, "198.51.100.7, 203.0.113.1"); got != http.StatusTooManyRequests {
			t.Errorf("the guesser prepending an address of its own choice: %d, want 429", got)
		}
	})
	t.Run("no trusted proxy", func(t *testing.T) {
		app := newTestApp(t)
		for range 20 {
			guess(app, "203.0.113.1")
		}
		if got := guess(app, "198.51.100.7"); got != http.StatusTooManyRequests {
			t.Errorf("the guesser claiming another address in X-Forwarded-For: %d, want 429", got)
		}
	})
}

func TestParseProxiesTakesAddressesAndRanges(t *testing.T) {
	got, err := ParseProxies(" 10.0.0.5, 192.168.0.0/16,fd00::/8,::1 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"10.0.0.5/32", "192.168.0.0/16", "fd00::/8", "::1/128"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("%d: %s, want %s", i, got[i], want[i])
		}
	}
	if _, err := ParseProxies("10.0.0.5,proxy.example.nl"); err == nil {
		t.Error("a host name was accepted")
	}
}

func TestHSTSWhenThePublicAddressOrTheConnectionIsHTTPS(t *testing.T) {
	const want = "max-age=31536000; includeSubDomains"
	https := func(cfg *Config) { cfg.BaseURL = "https://peiling.example.nl" }
	cases := []struct {
		name      string
		configure []func(*Config)
		proto     string // X-Forwarded-Proto sent by whoever connects
		want      string
	}{
		{"https base URL", []func(*Config){https}, "", want},
		{"TLS ends in a trusted proxy", []func(*Config){behindProxy}, "https", want},
		{"plain http", nil, "", ""},
		{"X-Forwarded-Proto from a peer that is no trusted proxy", nil, "https", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := newTestApp(t, tc.configure...)
			for _, path := range []string{"/", "/admin/login", "/static/css/peiling.css"} {
				req, _ := http.NewRequest(http.MethodGet, app.srv.URL+path, nil)
				if tc.proto != "" {
					req.Header.Set("X-Forwarded-Proto", tc.proto)
				}
				p := app.newClient().do(req)
				if got := p.Header.Get("Strict-Transport-Security"); got != tc.want {
					t.Errorf("%s: Strict-Transport-Security %q, want %q", path, got, tc.want)
				}
			}
		})
	}
}

func TestHEADAnswersLikeGETWithoutABody(t *testing.T) {
	app := newTestApp(t)
	researcher := app.asResearcher()
	noRedirects := func(c *client) *http.Client {
		return &http.Client{Jar: c.http.Jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	cases := []struct {
		path string
		who  *client
	}{
		{"/healthz", app.newClient()},
		{"/", app.newClient()},
		{"/s/" + refSlug, app.newClient()},
		{"/static/css/peiling.css", app.newClient()},
		{"/static/js/peiling.js?v=1", app.newClient()},
		{"/admin/login", app.newClient()},
		{"/admin", app.newClient()}, // a redirect to the login page
		{"/admin", researcher},
		{"/admin/surveys/" + refSlug, researcher},
		{"/s/" + refSlug + "/bestaat-niet", app.newClient()},
	}
	for _, tc := range cases {
		statuses := map[string]int{}
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, app.srv.URL+tc.path, nil)
			resp, err := noRedirects(tc.who).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[method] = resp.StatusCode
			if method == http.MethodHead && len(body) > 0 {
				t.Errorf("HEAD %s: %d bytes of body", tc.path, len(body))
			}
		}
		if statuses[http.MethodHead] != statuses[http.MethodGet] {
			t.Errorf("%s: HEAD %d, GET %d", tc.path, statuses[http.MethodHead], statuses[http.MethodGet])
		}
	}
}

func TestStaticFilesSetNoCookie(t *testing.T) {
	app := newTestApp(t)
	for _, path := range []string{"/static/css/peiling.css", "/static/js/peiling.js?v=1"} {
		for _, c := range map[string]*client{"new visitor": app.newClient(), "researcher": app.asResearcher()} {
			p := c.get(path)
			if p.Status != http.StatusOK || len(p.Header.Values("Set-Cookie")) > 0 {
				t.Errorf("%s: %d, Set-Cookie %q", path, p.Status, p.Header.Values("Set-Cookie"))
			}
		}
	}
	if p := app.newClient().get("/s/" + refSlug); len(p.Header.Values("Set-Cookie")) == 0 {
		t.Error("a page with a form set no CSRF cookie") // the skip is for static files only
	}
}
