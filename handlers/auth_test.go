package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"peiling/models"
)

const (
	testEmail    = "onderzoeker@example.nl"
	testPassword = "correct horse battery"
)

// asResearcher logs a new browser in as a researcher.
func (a *testApp) asResearcher() *client {
	a.t.Helper()
	if _, err := models.SetResearcher(a.db.Write, testEmail, testPassword); err != nil {
		a.t.Fatal(err)
	}
	c := a.newClient()
	c.get("/admin/login")
	p := c.post("/admin/login", url.Values{"email": {testEmail}, "wachtwoord": {testPassword}})
	if p.Status != http.StatusOK || p.URL != "/admin" {
		a.t.Fatalf("login: %d at %s", p.Status, p.URL)
	}
	return c
}

func TestLoginLogout(t *testing.T) {
	app := newTestApp(t)
	anon := app.newClient()
	if p := anon.get("/admin"); p.URL != "/admin/login" {
		t.Fatalf("anonymous /admin led to %s", p.URL)
	}
	c := app.asResearcher()
	c.get("/admin").mustContain(t, "Peilingen", "Klantcontact en interactie 2018", "0 van 380 gemeenten, 0 %")
	p := c.post("/admin/logout", nil)
	if p.URL != "/admin/login" {
		t.Fatalf("logout led to %s", p.URL)
	}
	if p = c.get("/admin"); p.URL != "/admin/login" {
		t.Errorf("after logout /admin led to %s", p.URL)
	}
}

func TestLoginErrorsAreDutchAndRateLimited(t *testing.T) {
	app := newTestApp(t)
	if _, err := models.SetResearcher(app.db.Write, testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	c := app.newClient()
	c.get("/admin/login")
	p := c.post("/admin/login", url.Values{"email": {"geen-adres"}, "wachtwoord": {""}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("invalid form: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "Er is een probleem", "Vul een e-mailadres in zoals naam@gemeente.nl", "Vul uw wachtwoord in", `value="geen-adres"`)
	for i := 0; i < 10; i++ {
		p = c.post("/admin/login", url.Values{"email": {testEmail}, "wachtwoord": {"wrong password!"}})
		if i == 0 {
			p.mustContain(t, "Het e-mailadres of het wachtwoord klopt niet")
			if strings.Contains(p.Body, "wrong password!") {
				t.Error("the password was echoed back")
			}
		}
	}
	p = c.post("/admin/login", url.Values{"email": {testEmail}, "wachtwoord": {testPassword}})
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Fatalf("11th attempt, right password: %d Retry-After %q", p.Status, p.Header.Get("Retry-After"))
	}
}

// cookies returns the browser's cookies for the app, to replay them in another browser.
func (c *client) cookies() []*http.Cookie {
	u, _ := url.Parse(c.app.srv.URL)
	return c.http.Jar.Cookies(u)
}

// replay is a new browser carrying cookies copied from another one.
func (a *testApp) replay(cookies []*http.Cookie) *client {
	c := a.newClient()
	u, _ := url.Parse(a.srv.URL)
	c.http.Jar.SetCookies(u, cookies)
	return c
}

func TestLogoutEndsEverySessionOfTheAccount(t *testing.T) {
	app := newTestApp(t)
	laptop, phone := app.asResearcher(), app.asResearcher()
	copied := laptop.cookies()
	laptop.post("/admin/logout", nil)
	for name, c := range map[string]*client{"replayed cookie": app.replay(copied), "other device": phone} {
		if p := c.get("/admin"); p.URL != "/admin/login" {
			t.Errorf("%s after logout: /admin led to %s (%d)", name, p.URL, p.Status)
		}
	}
	if p := app.asResearcher().get("/admin"); p.URL != "/admin" {
		t.Errorf("a new login after logout led to %s", p.URL)
	}
}

func TestANewPasswordOrRemovingTheAccountEndsItsSessions(t *testing.T) {
	changes := map[string]func(app *testApp) error{
		// What "peiling user passwd" and "peiling user remove" do.
		"new password": func(app *testApp) error {
			_, err := models.SetPassword(app.db.Write, testEmail, "een heel ander wachtwoord", models.System)
			return err
		},
		"account removed": func(app *testApp) error {
			return models.RemoveResearcher(app.db.Write, testEmail, models.System)
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			app := newTestApp(t)
			c := app.asResearcher()
			copied := c.cookies()
			if err := change(app); err != nil {
				t.Fatal(err)
			}
			for who, c := range map[string]*client{"same browser": c, "replayed cookie": app.replay(copied)} {
				if p := c.get("/admin"); p.URL != "/admin/login" {
					t.Errorf("%s: /admin led to %s (%d)", who, p.URL, p.Status)
				}
			}
		})
	}
}

// testClock is a clock the test moves; the app reads it from its own goroutines.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) now() time.Time        { return time.Unix(0, c.ns.Load()) }
func (c *testClock) add(d time.Duration)   { c.ns.Add(int64(d)) }
func (c *testClock) configure(cfg *Config) { cfg.Clock = c.now }

func TestSessionsEndTwelveHoursAfterLoginHoweverBusy(t *testing.T) {
	clock := newTestClock()
	app := newTestApp(t, clock.configure)
	c := app.asResearcher()
	// A request every 1 h 50: never idle for the 2 hours that end a session.
	for elapsed := time.Duration(0); elapsed+110*time.Minute < adminLifetime; elapsed += 110 * time.Minute {
		clock.add(110 * time.Minute)
		if p := c.get("/admin"); p.URL != "/admin" {
			t.Fatalf("%s after login: /admin led to %s", elapsed+110*time.Minute, p.URL)
		}
	}
	clock.add(110 * time.Minute) // past 12 hours since login
	if p := c.get("/admin"); p.URL != "/admin/login" {
		t.Errorf("more than 12 hours after login: /admin led to %s, want the login page", p.URL)
	}
}

func TestLoginGuessingIsSlowedButNeverLocksOutTheResearcher(t *testing.T) {
	// A clock that stands still: a delay never runs out between two requests, however
	// slow the machine (bcrypt under -race).
	app := newTestApp(t, behindProxy, newTestClock().configure)
	if _, err := models.SetResearcher(app.db.Write, testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	from := func(addr string) *client {
		c := app.newClient()
		c.from = addr
		c.get("/admin/login")
		return c
	}
	wrong := func() url.Values { return url.Values{"email": {testEmail}, "wachtwoord": {"een verkeerde gok"}} }
	refused := func(p *page) bool {
		return p.Status == http.StatusTooManyRequests && p.Header.Get("Retry-After") != ""
	}

	// One machine: a few tries, then a growing wait, with Retry-After.
	guesser := from("203.0.113.1")
	n := 0
	for range 10 {
		if refused(guesser.post("/admin/login", wrong())) {
			break
		}
		n++
	}
	if n > loginFreeFailures {
		t.Errorf("one address made %d wrong guesses in a row before a wait", n)
	}
	guesser.last.mustContain(t, "te vaak een verkeerd wachtwoord")

	// Many machines: each gets one guess, then the account's own delay catches it.
	for i := range 8 {
		c := from(fmt.Sprintf("203.0.113.%d", 10+i))
		if p := c.post("/admin/login", wrong()); p.Status != http.StatusUnprocessableEntity {
			t.Errorf("address %d, first guess: %d, want 422", i, p.Status)
		}
		if p := c.post("/admin/login", wrong()); !refused(p) {
			t.Errorf("address %d, second guess on an account under attack: %d, want 429 with Retry-After", i, p.Status)
		}
	}

	// The researcher, from an address that has not failed, gets in at once, and so does one
	// whose address only failed for another account.
	right := func() url.Values { return url.Values{"email": {testEmail}, "wachtwoord": {testPassword}} }
	if p := from("198.51.100.7").post("/admin/login", right()); p.URL != "/admin" {
		t.Errorf("the right password from a clean address: %d at %s, want the dashboard", p.Status, p.URL)
	}
	colleague := from("198.51.100.8")
	colleague.post("/admin/login", url.Values{"email": {"collega@example.nl"}, "wachtwoord": {"vergeten wachtwoord"}})
	if p := colleague.post("/admin/login", right()); p.URL != "/admin" {
		t.Errorf("the right password from an address that failed for another account: %d at %s", p.Status, p.URL)
	}
}
