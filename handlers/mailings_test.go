package handlers

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"peiling/mail"
	"peiling/mail/mailtest"
	"peiling/models"
)

var linkInMail = regexp.MustCompile(`https?://\S+/s/` + refSlug + `/uitnodiging/[A-Za-z0-9_-]+`)

// mailedLink returns the one invitation link in a delivered message, as a path.
func mailedLink(t *testing.T, m mailtest.Message) string {
	t.Helper()
	found := linkInMail.FindAllString(m.Body, -1)
	if len(found) != 1 {
		t.Fatalf("mail to %v has %d links: %q", m.To, len(found), m.Body)
	}
	u, _ := url.Parse(found[0])
	return u.Path
}

// sendMail presses one of the send buttons on the e-mail page and returns the page it
// redirects to at once, while the worker sends in the background.
func sendMail(t *testing.T, r *client, kind, days string) *page {
	t.Helper()
	r.get(adminBase + "/email")
	return r.post(adminBase+"/email/versturen", url.Values{"soort": {kind}, "dagen": {days}})
}

// sendMailAndWait presses a send button, waits until the worker finished the run and
// returns the e-mail page then.
func sendMailAndWait(t *testing.T, r *client, kind, days string) *page {
	t.Helper()
	if p := sendMail(t, r, kind, days); p.Status != http.StatusOK {
		t.Fatalf("send %s: %d", kind, p.Status)
	}
	r.app.waitForMail(t)
	return r.get(adminBase + "/email")
}

// waitForMail returns once no mail run is unfinished, polling the database.
func (a *testApp) waitForMail(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var unfinished int64
		if err := a.db.Read.Model(&models.MailRun{}).Where("finished_at IS NULL").Count(&unfinished).Error; err != nil {
			t.Fatal(err)
		}
		if unfinished == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d mail runs still unfinished after a minute", unfinished)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var retryForm = regexp.MustCompile(`action="(/admin/surveys/[^"]+/email/verzendingen/\d+/opnieuw)"`)

const threeContacts = "0344;Anna de Vries;anna@utrecht.nl\n0014;Kees;kees@groningen.nl\n0003;Jan;jan@appingedam.nl\n"

func TestInvitationsAndRemindersArriveWithTheRightLink(t *testing.T) {
	srv := mailtest.Start(t)
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {threeContacts}})

	p := sendMail(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 3 berichten staan klaar en gaan nu op de achtergrond uit.")
	app.waitForMail(t)
	r.get(adminBase+"/email").mustContain(t, "Laatste verzending", "Uitnodiging: 3 verstuurd, 0 mislukt.")
	want := map[string]string{"anna@utrecht.nl": "Utrecht", "kees@groningen.nl": "Groningen", "jan@appingedam.nl": "Appingedam"}
	links := map[string]string{}
	for addr, name := range want {
		got := srv.To(addr)
		if len(got) != 1 {
			t.Fatalf("%s got %d invitations", addr, len(got))
		}
		m := got[0]
		if m.Subject != "Uitnodiging: Klantcontact en interactie 2018" || !strings.Contains(m.Body, "gemeente "+name+" uit") {
			t.Errorf("%s: subject %q body %q", addr, m.Subject, m.Body)
		}
		links[name] = mailedLink(t, m)
		// The link in the mail opens the survey for exactly that municipality.
		app.newClient().get(links[name]).mustContain(t, "voor gemeente <strong>"+name+"</strong>")
	}
	if p = sendMail(t, r, models.MailInvitation, ""); !strings.Contains(p.Body, "Uitnodiging: er was niemand om te mailen.") || len(srv.Messages()) != 3 {
		t.Errorf("a second run sent invitations again: %d messages", len(srv.Messages()))
	}

	app.respondVia(t, links["Utrecht"], "ja", true)
	app.respondVia(t, links["Groningen"], "ja", false) // a draft
	p = sendMailAndWait(t, r, models.MailReminder, "3")
	p.mustContain(t, "Herinnering aan gemeenten zonder verzonden antwoorden: 2 verstuurd, 0 mislukt.")
	if n := len(srv.To("anna@utrecht.nl")); n != 1 {
		t.Errorf("Utrecht, which submitted, got %d messages", n)
	}
	for addr, name := range map[string]string{"kees@groningen.nl": "Groningen", "jan@appingedam.nl": "Appingedam"} {
		got := srv.To(addr)
		if len(got) != 2 || !strings.HasPrefix(got[1].Subject, "Herinnering") || mailedLink(t, got[1]) != links[name] {
			t.Errorf("%s: %d messages, reminder does not carry the municipality's own link", addr, len(got))
		}
	}
	// The interval: nobody gets a second reminder within 3 days, of either kind.
	p = sendMail(t, r, models.MailReminderDraft, "3")
	p.mustContain(t, "Herinnering aan gemeenten met een concept: er was niemand om te mailen.")
	if n := len(srv.Messages()); n != 5 {
		t.Errorf("%d messages after a reminder within the interval, want 5", n)
	}
	p = sendMail(t, r, models.MailReminder, "3")
	p.mustContain(t, "er was niemand om te mailen")
	r.get(adminBase+"/email").mustContain(t, "Gaat nu naar <strong>0</strong> adressen. 2 overgeslagen")

	var sends []models.MailSend
	app.db.Read.Order("id").Find(&sends)
	if len(sends) != 5 || sends[0].Actor != testEmail || !sends[4].OK || sends[4].Kind != models.MailReminder {
		t.Errorf("recorded sends: %+v", sends)
	}
	p = r.get(adminBase + "/email")
	p.mustContain(t, "Verzonden berichten", "kees@groningen.nl", "verstuurd")
	r.get(adminBase+"/uitnodigingen").mustContain(t, "herinnerd ", "uitgenodigd ")
}

func TestFailingMailServerIsReportedAndNothingIsMarkedSent(t *testing.T) {
	app := newTestApp(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close() // connection refused from now on
	app.h.cfg.Mail = mail.Config{Host: "127.0.0.1", Port: port, From: "peiling@example.nl"}
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {threeContacts}})

	p := sendMailAndWait(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 0 verstuurd, 3 mislukt.", "niet als verstuurd gemarkeerd", "Niet aangekomen", "Geen verbinding met de mailserver")
	var ok int64
	app.db.Read.Model(&models.MailSend{}).Where("ok").Count(&ok)
	if ok != 0 {
		t.Fatalf("%d sends marked as sent", ok)
	}
	r.get(adminBase+"/uitnodigingen").mustContain(t, "laatste poging mislukt", "niet gemaild")

	// A real server that refuses one address (5xx): the others arrive, that one is reported.
	srv := mailtest.Start(t)
	srv.Refuse("kees@groningen.nl")
	app.h.cfg.Mail = srv.Config()
	p = sendMailAndWait(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 2 verstuurd, 1 mislukt.", "kees@groningen.nl", "De mailserver weigerde het bericht: 550")
	r.get(adminBase+"/email?lang=en").mustContain(t, "The mail server refused the message: 550", "No connection to the mail server (")
	r.get(adminBase + "/email?lang=nl")
	if len(srv.Messages()) != 2 || len(srv.To("kees@groningen.nl")) != 0 {
		t.Fatalf("delivered %d", len(srv.Messages()))
	}
	// Retry with the button under the run: only the failed one goes out.
	srv2 := mailtest.Start(t)
	app.h.cfg.Mail = srv2.Config()
	m := retryForm.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatal("no retry button under a run with a failure")
	}
	r.post(m[1], nil).mustContain(t, "1 mislukte berichten staan opnieuw klaar")
	app.waitForMail(t)
	p = r.get(adminBase + "/email")
	p.mustContain(t, "Uitnodiging: 3 verstuurd, 0 mislukt.")
	if len(srv2.Messages()) != 1 || len(srv2.To("kees@groningen.nl")) != 1 {
		t.Errorf("retry delivered %d messages", len(srv2.Messages()))
	}
	if strings.Contains(p.Body, "Niet aangekomen") || retryForm.MatchString(p.Body) {
		t.Error("failures still listed after a successful retry")
	}
	// Nothing left to retry: a second press sends nothing.
	r.post(m[1], nil).mustContain(t, "Er was niets opnieuw te versturen")
	if len(srv2.Messages()) != 1 {
		t.Errorf("a second retry delivered %d messages", len(srv2.Messages()))
	}
}

func TestMailFormsRefuseBadInput(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	p := sendMail(t, r, models.MailInvitation, "")
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("send without SMTP: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ", "E-mail is niet ingesteld", `href="#verzenden-uitnodiging"`)
	app.h.cfg.Mail = mail.Config{Host: "127.0.0.1", Port: 1, From: "peiling@example.nl"}
	if p = sendMail(t, r, models.MailReminder, "0"); p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("interval 0: %d", p.Status)
	}
	p.mustContain(t, "aantal dagen in van 1 tot en met 60", `href="#dagen-herinnering"`, `aria-invalid="true"`)

	r.get(adminBase + "/email")
	form := url.Values{}
	for _, k := range models.MailKinds {
		form.Set("onderwerp-"+k, "Onderwerp "+k)
		form.Set("tekst-"+k, "Beste {{naam}}, {{link}}")
	}
	form.Set("tekst-"+models.MailReminder, "zonder link")
	form.Set("onderwerp-"+models.MailInvitation, "")
	p = r.post(adminBase+"/email/teksten", form)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("templates with errors: %d", p.Status)
	}
	p.mustContain(t, "Vul het onderwerp van de uitnodiging in", "Zet {{link}} in de tekst", "zonder link")
	form.Set("tekst-"+models.MailReminder, "Nog even: {{link}}")
	form.Set("onderwerp-"+models.MailInvitation, "Doe mee, {{gemeente}}")
	p = r.post(adminBase+"/email/teksten", form)
	p.mustContain(t, "De teksten zijn opgeslagen.", "Doe mee, {{gemeente}}", "Nog even: {{link}}")
}

// TestASecondSendWhileTheFirstRunsMailsNobodyTwice presses "send" while an earlier run for the
// same survey is still sending: the database turns the second away and nothing is mailed twice.
func TestASecondSendWhileTheFirstRunsMailsNobodyTwice(t *testing.T) {
	srv := mailtest.Start(t)
	srv.Hold() // the first message stays unanswered: the run is busy
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {threeContacts}})

	sendMail(t, r, models.MailInvitation, "").mustContain(t, "Uitnodiging: 3 berichten staan klaar")
	p := r.get(adminBase + "/email")
	p.mustContain(t, "Bezig met versturen", "Uitnodiging: 0 verstuurd, 0 mislukt, 3 in de wachtrij.", "Voortgang bijwerken")
	for _, kind := range models.MailKinds {
		sendMail(t, r, kind, "3").mustContain(t, "Er worden al berichten voor deze peiling verstuurd")
	}
	var runs int64
	app.db.Read.Model(&models.MailRun{}).Count(&runs)
	if runs != 1 {
		t.Fatalf("%d runs beside a running one", runs)
	}
	srv.Resume()
	app.waitForMail(t)
	for _, addr := range []string{"anna@utrecht.nl", "kees@groningen.nl", "jan@appingedam.nl"} {
		if n := len(srv.To(addr)); n != 1 {
			t.Errorf("%s got %d invitations", addr, n)
		}
	}
	sendMail(t, r, models.MailInvitation, "").mustContain(t, "Uitnodiging: er was niemand om te mailen.")
}

// TestARunOfManyMessagesShowsItsProgressAndCompletes sends 60 invitations through a slow
// server and reads the progress on the e-mail page while they go out.
func TestARunOfManyMessagesShowsItsProgressAndCompletes(t *testing.T) {
	srv := mailtest.Start(t)
	srv.SlowDown(20 * time.Millisecond)
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	const n = 60
	inviteFirst(t, app, r, n)

	started := time.Now()
	sendMail(t, r, models.MailInvitation, "").mustContain(t, fmt.Sprintf("Uitnodiging: %d berichten staan klaar", n))
	progress := regexp.MustCompile(`Uitnodiging: (\d+) verstuurd, 0 mislukt, (\d+) in de wachtrij\.`)
	deadline := time.Now().Add(time.Minute)
	for {
		p := r.get(adminBase + "/email")
		if m := progress.FindStringSubmatch(p.Body); m != nil && m[1] != "0" {
			sent, _ := strconv.Atoi(m[1])
			queued, _ := strconv.Atoi(m[2])
			if sent+queued != n {
				t.Errorf("progress %s sent + %s queued, want %d in all", m[1], m[2], n)
			}
			p.mustContain(t, "Bezig met versturen")
			break
		}
		if time.Now().After(deadline) || strings.Contains(p.Body, "Laatste verzending") {
			t.Fatal("the page never showed a run part-way")
		}
	}
	app.waitForMail(t)
	t.Logf("%d invitations at 20 ms a message in %s", n, time.Since(started).Round(time.Millisecond))
	r.get(adminBase+"/email").mustContain(t, "Laatste verzending", fmt.Sprintf("Uitnodiging: %d verstuurd, 0 mislukt.", n))
	if got := len(srv.Messages()); got != n {
		t.Errorf("server received %d messages, want %d", got, n)
	}
}

// TestResearcherEditsTheEnglishMailTexts: the e-mail page holds every kind of mail in Dutch and
// in English, each marked with its language; the English texts are checked like the Dutch and
// stored apart from them, and a form without them leaves them as they are.
func TestResearcherEditsTheEnglishMailTexts(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	p := r.get(adminBase + "/email?lang=en")
	p.mustContain(t, `id="tekst-uitnodiging-en" name="tekst-uitnodiging-en" lang="en"`, "Dear {{naam}},",
		`id="tekst-uitnodiging" name="tekst-uitnodiging" lang="nl"`, "Beste {{naam}},", "the fourth column")
	form := url.Values{}
	for _, k := range models.MailKinds {
		form.Set("onderwerp-"+k, "Onderwerp "+k)
		form.Set("tekst-"+k, "Beste {{naam}}, {{link}}")
		form.Set("onderwerp-"+k+"-en", "Subject "+k)
		form.Set("tekst-"+k+"-en", "Dear {{naam}}, {{link}}")
	}
	form.Set("tekst-uitnodiging-en", "Dear {{naam}}, no link")
	p = r.post(adminBase+"/email/teksten", form)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("an English text without a link: %d", p.Status)
	}
	p.mustContain(t, "Put {{link}} in the text of the invitation (English)", `href="#tekst-uitnodiging-en"`, "Dear {{naam}}, no link")
	form.Set("tekst-uitnodiging-en", "Dear {{naam}}, please join: {{link}}")
	if p = r.post(adminBase+"/email/teksten", form); p.Status != http.StatusOK {
		t.Fatalf("save: %d", p.Status)
	}
	p.mustContain(t, "Dear {{naam}}, please join: {{link}}")
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := models.MailTemplates(app.db.Read, s.ID, app.h.mailDefaults)
	if err != nil {
		t.Fatal(err)
	}
	if got := ts[models.MailKindIn(models.MailInvitation, "en")]; got.Subject != "Subject uitnodiging" || got.Body != "Dear {{naam}}, please join: {{link}}" {
		t.Errorf("English invitation stored as %+v", got)
	}
	if got := ts[models.MailInvitation]; got.Body != "Beste {{naam}}, {{link}}" {
		t.Errorf("Dutch invitation stored as %+v", got)
	}
	// A form with the Dutch texts only (an older page) keeps the English ones.
	for _, k := range models.MailKinds {
		form.Del("onderwerp-" + k + "-en")
		form.Del("tekst-" + k + "-en")
	}
	form.Set("tekst-uitnodiging", "Beste {{naam}}, doe mee: {{link}}")
	if p = r.post(adminBase+"/email/teksten", form); p.Status != http.StatusOK {
		t.Fatalf("save Dutch only: %d", p.Status)
	}
	ts, _ = models.MailTemplates(app.db.Read, s.ID, app.h.mailDefaults)
	if got := ts[models.MailKindIn(models.MailInvitation, "en")]; got.Body != "Dear {{naam}}, please join: {{link}}" {
		t.Errorf("English invitation lost: %+v", got)
	}
}

// inviteFirst makes invitation links, each with a contact and an address, for the first n
// municipalities of the 2018 register, and returns their codes.
func inviteFirst(t *testing.T, app *testApp, r *client, n int) []string {
	t.Helper()
	reg, err := app.h.registers.Get(app.db.Read, "2018")
	if err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	var codes []string
	for _, m := range reg.List[:n] {
		fmt.Fprintf(&list, "%s;Contact %s;gemeente%s@example.nl\n", m.Code, m.Code, m.Code)
		codes = append(codes, m.Code)
	}
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {list.String()}})
	return codes
}
