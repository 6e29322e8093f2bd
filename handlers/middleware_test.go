package handlers

import (
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
