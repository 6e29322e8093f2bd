package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"peiling/mail/mailtest"
	"peiling/models"
)

func TestFieldworkMonitorShowsCountsAndAMapButNoAnswers(t *testing.T) {
	app := newTestApp(t)
	app.newClient().submit("Utrecht")   // ≥ 100,000
	app.newClient().submit("Groningen") // ≥ 100,000
	app.newClient().draft("Appingedam") // 10,000–20,000
	r := app.asResearcher()
	r.get(adminBase).mustContain(t, `href="`+adminBase+`/veldwerk"`)
	p := r.get(adminBase + "/veldwerk")
	if p.Status != http.StatusOK {
		t.Fatalf("monitor: %d", p.Status)
	}
	today := dutchDate(time.Now())
	p.mustContain(t, `<title id="respons-t">Respons per dag</title>`, `<desc id="respons-d">`,
		"<th scope=\"row\">"+today+"</th><td>2</td><td>2</td><td>1 %</td>",
		"<th scope=\"row\">Utrecht</th><td>1 van 26</td><td>0</td><td>4 %</td>",
		"<th scope=\"row\">Groningen</th><td>1 van 20</td><td>1</td><td>5 %</td>",
		"<th scope=\"row\">100.000 inwoners of meer</th><td>2 van 31</td><td>0</td><td>6 %</td>",
		"<th scope=\"row\">10.000 tot 20.000 inwoners</th><td>0 van 88</td><td>1</td><td>0 %</td>",
		"Verzonden (2)", "Bezig, met een concept (1)", "Nog geen antwoorden (377)", "<li>Appingedam</li>",
		`<title id="kaart-t">Kaart van Nederland met de status per gemeente</title>`, "Blauw: 2 gemeenten")
	if n := strings.Count(p.Body, "<path d="); n != 380 {
		t.Errorf("the map has %d municipalities, want 380", n)
	}
	for _, text := range answerTexts {
		if strings.Contains(p.Body, text) {
			t.Errorf("the monitor shows answer content %q", text)
		}
	}

	// A register without boundaries: tables only.
	if err := app.db.Write.Model(&models.Survey{}).Where("slug = ?", refSlug).Update("register", "2025").Error; err != nil {
		t.Fatal(err)
	}
	p = r.get(adminBase + "/veldwerk")
	p.mustContain(t, "Per provincie", "Per gemeentegrootte")
	if strings.Contains(p.Body, "<path") {
		t.Error("a map for a register without a boundary file")
	}
}

func TestBenchmarkShowsOwnAnswersAndRefusesAnotherMunicipality(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	links := inviteAll(t, r)
	utrecht := app.respondVia(t, links["0344"], "ja", true)
	app.respondVia(t, links["0014"], "ja", true)
	appingedam := app.respondVia(t, links["0003"], "nee", true)
	leeuwarden := app.respondVia(t, links["0080"], "ja", false) // a draft only

	report := benchmarkURL(refSlug, "0344")
	p := utrecht.get(report)
	if p.Status != http.StatusNotFound {
		t.Fatalf("report while open: %d", p.Status)
	}
	p.mustContain(t, "Het rapport is nog niet beschikbaar")

	r.get(adminBase + "/sluiten")
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	r.get(adminBase).mustContain(t, "Rapport per gemeente aanzetten")
	p = r.post(adminBase+"/rapport-per-gemeente", url.Values{"rapport": {"aan"}})
	p.mustContain(t, "ziet nu via haar uitnodigingslink", "Rapport per gemeente aangezet")

	// The invitation link now leads to the report.
	if p = app.newClient().get(links["0344"]); p.URL != report || p.Status != http.StatusOK {
		t.Fatalf("invitation link after closing: %d at %s", p.Status, p.URL)
	}
	p = utrecht.get(report)
	p.mustContain(t, "Rapport voor gemeente Utrecht", "alle 3 gemeenten die meededen",
		"Uit die groep deden minder dan 5 gemeenten mee", // the size class is below the minimum
		`<tr class="bench-table__mine"><th scope="row">Ja</th><td><strong>uw antwoord</strong></td><td>67 % (2)</td></tr>`,
		`<th scope="row">Nee</th><td><span class="visually-hidden">niet gekozen</span></td><td>33 % (1)</td></tr>`,
		"WhatsApp als kanaal") // its own open answer
	if strings.Contains(p.Body, "Uw grootteklasse") {
		t.Error("a size class below the minimum group size is shown")
	}
	if strings.Count(p.Body, "WhatsApp als kanaal") != 1 {
		t.Error("other municipalities' open answers are shown")
	}

	// With a minimum of 1 the size class appears: Utrecht and Groningen both have ≥ 100,000.
	if err := models.SaveSettings(app.db.Write, app.survey(), models.ResultSettings{MinGroupSize: 1}); err != nil {
		t.Fatal(err)
	}
	p = utrecht.get(report)
	p.mustContain(t, "naast die van de 2 gemeenten met 100.000 inwoners of meer", "<th scope=\"col\">Uw grootteklasse</th>",
		`<th scope="row">Ja</th><td><strong>uw antwoord</strong></td><td>67 % (2)</td><td>100 % (2)</td></tr>`)
	appingedam.get(benchmarkURL(refSlug, "0003")).mustContain(t, "Rapport voor gemeente Appingedam",
		`<tr class="bench-table__mine"><th scope="row">Nee</th><td><strong>uw antwoord</strong></td><td>33 % (1)</td><td>100 % (1)</td></tr>`)

	// Another municipality's report with Appingedam's invitation: refused.
	p = appingedam.get(report)
	if p.Status != http.StatusForbidden || strings.Contains(p.Body, "Utrecht") {
		t.Fatalf("Appingedam opening Utrecht's report: %d", p.Status)
	}
	p.mustContain(t, "Dit rapport hoort bij een andere gemeente")
	if p = app.newClient().get(report); p.Status != http.StatusForbidden {
		t.Errorf("report without an invitation: %d", p.Status)
	}
	p = leeuwarden.get(benchmarkURL(refSlug, "0080"))
	if p.Status != http.StatusNotFound {
		t.Errorf("report of a municipality that never submitted: %d", p.Status)
	}
	p.mustContain(t, "Uw gemeente heeft niet meegedaan")
}

// TestResearcherInvitesAll380RemindsClosesAndEveryParticipantOpensItsReport is the issue's
// "done when", the way a new researcher would do it.
func TestResearcherInvitesAll380RemindsClosesAndEveryParticipantOpensItsReport(t *testing.T) {
	srv := mailtest.Start(t)
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	setAccess(t, r, models.AccessInvitation)

	// Every municipality of the 2018 register, with a contact address, pasted as CSV.
	reg, err := app.h.registers.Get(app.db.Read, "2018")
	if err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	list.WriteString("code;naam;email\n")
	for _, m := range reg.List {
		fmt.Fprintf(&list, "%s;Contact %s;gemeente%s@example.nl\n", m.Code, m.Code, m.Code)
	}
	r.get(adminBase + "/uitnodigingen")
	p := r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {list.String()}})
	p.mustContain(t, "380 nieuwe uitnodigingslinks gemaakt", "380 van 380 gemeenten, 380 met een e-mailadres")
	if rows := downloadCSV(t, r, adminBase+"/uitnodigingen/links.csv"); len(rows) != 381 {
		t.Fatalf("CSV has %d rows", len(rows))
	}
	started := time.Now()
	sendMailAndWait(t, r, models.MailInvitation, "").mustContain(t, "Uitnodiging: 380 verstuurd, 0 mislukt.")
	took := time.Since(started)
	t.Logf("380 invitations over SMTP in %s (%.0f/s)", took.Round(time.Millisecond), 380/took.Seconds())

	participants := []string{"0344", "0014", "0003", "0080", "0363", "0599"}
	overleg := map[string]string{"0344": "ja", "0014": "ja", "0003": "nee", "0080": "ja", "0363": "nee", "0599": "ja"}
	for _, code := range participants {
		got := srv.To("gemeente" + code + "@example.nl")
		if len(got) != 1 {
			t.Fatalf("%s got %d invitations", code, len(got))
		}
		app.respondVia(t, mailedLink(t, got[0]), overleg[code], true)
	}
	app.respondVia(t, mailedLink(t, srv.To("gemeente0005@example.nl")[0]), "ja", false) // one draft

	sendMailAndWait(t, r, models.MailReminder, "3").mustContain(t, "374 verstuurd, 0 mislukt.")
	sendMail(t, r, models.MailReminderDraft, "3").mustContain(t, "er was niemand om te mailen") // within the interval
	for _, code := range participants {
		if n := len(srv.To("gemeente" + code + "@example.nl")); n != 1 {
			t.Errorf("participant %s got %d messages, want only the invitation", code, n)
		}
	}
	if got := srv.To("gemeente0005@example.nl"); len(got) != 2 || !strings.HasPrefix(got[1].Subject, "Herinnering") {
		t.Errorf("the municipality with a draft got %d messages", len(got))
	}
	r.get(adminBase+"/veldwerk").mustContain(t, "Verzonden (6)", "Bezig, met een concept (1)")

	r.get(adminBase + "/sluiten")
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}}).mustContain(t, "De peiling is gesloten.")
	r.post(adminBase+"/rapport-per-gemeente", url.Values{"rapport": {"aan"}})

	mine := regexp.MustCompile(`<tr class="bench-table__mine"><th scope="row">(Ja|Nee)</th>`)
	for _, code := range participants {
		c := app.newClient()
		p := c.get(mailedLink(t, srv.To("gemeente" + code + "@example.nl")[0]))
		m, _ := reg.ByCode(code)
		if p.Status != http.StatusOK || p.URL != benchmarkURL(refSlug, code) {
			t.Fatalf("%s: invitation link after closing: %d at %s", code, p.Status, p.URL)
		}
		p.mustContain(t, "Rapport voor gemeente "+m.Name, "alle 6 gemeenten die meededen", "<td>67 % (4)</td>", "<td>33 % (2)</td>")
		if got := mine.FindStringSubmatch(p.Body); got == nil || strings.ToLower(got[1]) != overleg[code] {
			t.Errorf("%s: own answer marked %v, want %s", code, got, overleg[code])
		}
		other := participants[0]
		if code == other {
			other = participants[1]
		}
		if p := c.get(benchmarkURL(refSlug, other)); p.Status != http.StatusForbidden {
			t.Errorf("%s opened %s's report: %d", code, other, p.Status)
		}
	}
}
