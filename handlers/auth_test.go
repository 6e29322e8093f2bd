package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

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
