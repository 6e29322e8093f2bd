package handlers

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"peiling/mail/mailtest"
	"peiling/models"
	"peiling/models/dbtest"
)

// newInstances serves one new database through n apps, as n instances behind a load balancer
// would: each its own pools, caches and workers, all with one session key; configure, if
// given, changes every app's Config.
func newInstances(t *testing.T, n int, configure ...func(*Config)) []*testApp {
	t.Helper()
	dsn := dbtest.DSN(t, "peiling.db")
	key := make([]byte, 64)
	_, _ = rand.Read(key)
	apps := make([]*testApp, n)
	for i := range apps {
		apps[i] = newTestAppOn(t, dsn, append([]func(*Config){func(c *Config) { c.SessionKey = key }}, configure...)...)
	}
	return apps
}

// municipalityNames returns n names from the reference survey's register that name one
// municipality each.
func municipalityNames(t *testing.T, app *testApp, n int) []string {
	t.Helper()
	reg, err := (&models.Registers{}).Get(app.db.Read, app.survey().Register)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range reg.List {
		if len(names) == n {
			break
		}
		if !strings.HasPrefix(m.Name, "Bergen") {
			names = append(names, m.Name)
		}
	}
	return names
}

// aggregatedResponses is the number of responses the survey's aggregates count.
func aggregatedResponses(t *testing.T, app *testApp) int64 {
	t.Helper()
	var n int64
	err := app.db.Read.Raw(`SELECT COALESCE(SUM(n), 0) FROM aggregates WHERE survey_id = ? AND dimension = ?`,
		app.survey().ID, models.DimVersion).Scan(&n).Error
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSubmitsDuringACloseThroughAnotherInstanceAreCountedOrRefused(t *testing.T) {
	apps := newInstances(t, 2)
	researcher := apps[0].asResearcher()
	const rounds, perRound = 3, 10
	names := municipalityNames(t, apps[0], rounds*perRound)
	var acknowledged int64
	for round := 0; round < rounds; round++ {
		clients := make([]*client, perRound)
		ids := make([]string, perRound)
		for i := range clients {
			clients[i] = apps[i%2].newClient() // half through each instance
			clients[i].start()
			ids[i] = clients[i].fillAll(names[round*perRound+i]).hidden(t, "inzending")
		}
		researcher.get(adminBase + "/sluiten")
		var wg sync.WaitGroup
		statuses := make([]int, perRound)
		for i, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * time.Millisecond) // spread over the close
				p := c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {ids[i]}})
				statuses[i] = p.Status
				if p.Status == http.StatusOK && !strings.HasSuffix(p.URL, "/bevestiging") {
					statuses[i] = -1
				}
			}()
		}
		time.Sleep(time.Duration(round*3) * time.Millisecond)
		if p := researcher.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
			t.Fatalf("round %d: close: %d", round+1, p.Status)
		}
		wg.Wait()
		sent := 0
		for i, s := range statuses {
			switch s {
			case http.StatusOK:
				sent++
			case http.StatusGone:
			default:
				t.Errorf("round %d: submit %d through instance %d: status %d", round+1, i, i%2+1, s)
			}
		}
		acknowledged += int64(sent)
		t.Logf("round %d: %d of %d submits acknowledged, the rest refused as closed", round+1, sent, perRound)
		if got := apps[1].responses(models.ResponseSubmitted); got != acknowledged {
			t.Errorf("round %d: %d responses submitted, %d acknowledged", round+1, got, acknowledged)
		}
		if got := aggregatedResponses(t, apps[1]); got != acknowledged {
			t.Errorf("round %d: the aggregates count %d responses, %d were acknowledged", round+1, got, acknowledged)
		}
		if round < rounds-1 {
			researcher.get(adminBase + "/heropenen")
			if p := researcher.post(adminBase+"/openen", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
				t.Fatalf("round %d: reopen: %d", round+1, p.Status)
			}
		}
	}
}

func TestASurveyClosedThroughOneInstanceRefusesWritesOnTheOtherAtOnce(t *testing.T) {
	apps := newInstances(t, 2)
	c := apps[1].newClient()
	c.start()
	step1 := c.get(stepURL(refSlug, 1)) // instance 2 now has the survey cached as open
	ready := c.fillAll("Zeist")
	newcomer := apps[1].newClient()
	newcomer.get("/s/" + refSlug) // its Start button, from a page of the open survey
	r := apps[0].asResearcher()
	r.get(adminBase + "/sluiten")
	if p := r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
		t.Fatalf("close: %d", p.Status)
	}
	c.last = step1
	form := sectionAnswers("Gouda")[0]
	form.Set("actie", "volgende")
	if p := c.post(stepURL(refSlug, 1), form); p.Status != http.StatusGone {
		t.Errorf("a save through the other instance right after closing: %d at %s, want 410", p.Status, p.URL)
	}
	c.last = ready
	if p := c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {ready.hidden(t, "inzending")}}); p.Status != http.StatusGone {
		t.Errorf("a submit through the other instance right after closing: %d at %s, want 410", p.Status, p.URL)
	}
	if p := newcomer.post("/s/"+refSlug+"/start", nil); p.Status != http.StatusGone {
		t.Errorf("a new draft through the other instance right after closing: %d at %s, want 410", p.Status, p.URL)
	}
	if n := apps[0].responses(models.ResponseSubmitted); n != 0 {
		t.Errorf("%d responses submitted after closing", n)
	}
	if n := apps[0].responses(models.ResponseDraft); n != 1 {
		t.Errorf("%d drafts after closing, want the one from before", n)
	}
	var gouda int64
	apps[0].db.Read.Model(&models.Response{}).Where("municipality_code = (SELECT code FROM municipalities WHERE name = ? LIMIT 1)", "Gouda").Count(&gouda)
	if gouda != 0 {
		t.Error("the save after closing changed the draft's municipality")
	}
}

func TestCookiesOfOneInstanceWorkOnTheOther(t *testing.T) {
	apps := newInstances(t, 2)
	r := apps[0].asResearcher()
	r.app = apps[1] // the same browser, now sent to the other instance
	if p := r.get("/admin"); p.Status != http.StatusOK || p.URL != "/admin" {
		t.Errorf("the researcher's session on the other instance: %d at %s", p.Status, p.URL)
	}
	c := apps[0].newClient()
	c.start()
	c.app = apps[1]
	p := c.fillAll("Zeist") // a draft started on one instance, continued on the other, with its CSRF cookie
	c.app = apps[0]
	p = c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {p.hidden(t, "inzending")}})
	if !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Errorf("submit back on the first instance: %d at %s", p.Status, p.URL)
	}
	if n := apps[1].responses(models.ResponseSubmitted); n != 1 {
		t.Errorf("%d responses submitted, want 1", n)
	}
}

func TestWrongLinksAndPasswordsAreCountedAcrossInstances(t *testing.T) {
	// A clock that stands still, as in TestLoginGuessingIsSlowedButNeverLocksOutTheResearcher:
	// a delay never runs out between two requests, however slow bcrypt is under -race.
	apps := newInstances(t, 2, newTestClock().configure)
	c := apps[0].newClient()
	var p *page
	for i := range 26 { // 20 free wrong links per address, spread over both instances
		c.app = apps[i%2]
		p = c.get("/s/" + refSlug + "/hervat/" + models.NewToken())
	}
	if p.Status != http.StatusTooManyRequests {
		t.Errorf("after 26 wrong links through two instances: %d, want 429", p.Status)
	}

	if _, err := models.SetResearcher(apps[0].db.Write, testEmail, testPassword); err != nil {
		t.Fatal(err)
	}
	guesser := apps[0].newClient()
	guesser.get("/admin/login")
	refusedAt := 0
	for i := range 10 {
		guesser.app = apps[i%2]
		if p := guesser.post("/admin/login", url.Values{"email": {testEmail}, "wachtwoord": {"een verkeerde gok"}}); p.Status == http.StatusTooManyRequests {
			refusedAt = i + 1
			break
		}
	}
	if refusedAt == 0 || refusedAt > loginFreeFailures+1 {
		t.Errorf("wrong passwords through two instances: first refused at guess %d, want at most %d", refusedAt, loginFreeFailures+1)
	}
}

func TestTwoInstancesSendEachQueuedMailOnce(t *testing.T) {
	srv := mailtest.Start(t)
	srv.SlowDown(2 * time.Millisecond)
	apps := newInstances(t, 2)
	for _, app := range apps {
		app.h.cfg.Mail = srv.Config()
	}
	r := apps[0].asResearcher()
	const n = 40
	codes := inviteFirst(t, apps[0], r, n)
	sendMail(t, r, models.MailInvitation, "").mustContain(t, fmt.Sprintf("Uitnodiging: %d berichten staan klaar", n))
	apps[1].h.mail.wake() // as its poll would: both workers now look at the queue
	apps[0].waitForMail(t)
	if got := len(srv.Messages()); got != n {
		t.Errorf("%d messages delivered for %d invitations", got, n)
	}
	for _, code := range codes {
		if got := len(srv.To("gemeente" + code + "@example.nl")); got != 1 {
			t.Errorf("gemeente %s got %d invitations", code, got)
		}
	}
}

func TestAPreviewGoesOnWhicheverInstanceServesTheNextPage(t *testing.T) {
	apps := newInstances(t, 2)
	r := apps[0].asResearcher()
	base := "/admin/surveys/" + refSlug + "/preview"
	r.get(base)
	if p := r.post(base+"/start", nil); p.URL != base+"/stap/1" {
		t.Fatalf("preview start led to %s", p.URL)
	}
	for i, form := range sectionAnswers("Ede") {
		r.app = apps[(i+1)%2] // every page through the other instance than the one before
		form.Set("actie", "volgende")
		if p := r.post(fmt.Sprintf("%s/stap/%d", base, i+1), form); p.Status != http.StatusOK {
			t.Fatalf("step %d through instance %d: %d at %s", i+1, (i+1)%2+1, p.Status, p.URL)
		}
	}
	if !strings.HasSuffix(r.last.URL, "/controleren") {
		t.Fatalf("after the last step: at %s", r.last.URL)
	}
	r.app = apps[0]
	check := r.get(base + "/controleren")
	check.mustContain(t, "Ede", "De Omgevingswet", "Burgerpanel")
	r.app = apps[1]
	p := r.post(base+"/verzenden", url.Values{"inzending": {check.hidden(t, "inzending")}})
	if p.URL != base+"/bevestiging" {
		t.Errorf("preview submit through the other instance: %d at %s", p.Status, p.URL)
	}
	if n := apps[0].responses(models.ResponseSubmitted) + apps[0].responses(models.ResponseDraft); n != 0 {
		t.Errorf("the preview stored %d responses", n)
	}
}
