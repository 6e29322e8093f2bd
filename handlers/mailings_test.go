package handlers

import (
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

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

// sendMail presses one of the send buttons on the e-mail page.
func sendMail(t *testing.T, r *client, kind, days string) *page {
	t.Helper()
	r.get(adminBase + "/email")
	return r.post(adminBase+"/email/versturen", url.Values{"soort": {kind}, "dagen": {days}})
}

const threeContacts = "0344;Anna de Vries;anna@utrecht.nl\n0014;Kees;kees@groningen.nl\n0003;Jan;jan@appingedam.nl\n"

func TestInvitationsAndRemindersArriveWithTheRightLink(t *testing.T) {
	srv := mailtest.Start(t)
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {threeContacts}})

	p := sendMail(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 3 verstuurd, 0 mislukt.")
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
	p = sendMail(t, r, models.MailReminder, "3")
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

	p := sendMail(t, r, models.MailInvitation, "")
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
	p = sendMail(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 2 verstuurd, 1 mislukt.", "De mailserver weigerde het bericht: 550")
	if len(srv.Messages()) != 2 || len(srv.To("kees@groningen.nl")) != 0 {
		t.Fatalf("delivered %d", len(srv.Messages()))
	}
	// Retry: only the failed one goes out.
	srv2 := mailtest.Start(t)
	app.h.cfg.Mail = srv2.Config()
	p = sendMail(t, r, models.MailInvitation, "")
	p.mustContain(t, "Uitnodiging: 1 verstuurd, 0 mislukt.")
	if len(srv2.Messages()) != 1 || len(srv2.To("kees@groningen.nl")) != 1 {
		t.Errorf("retry delivered %d messages", len(srv2.Messages()))
	}
	if strings.Contains(r.get(adminBase+"/email").Body, "Niet aangekomen") {
		t.Error("failures still listed after a successful retry")
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
// same survey is still sending: the second is turned away and nothing is mailed twice.
func TestASecondSendWhileTheFirstRunsMailsNobodyTwice(t *testing.T) {
	srv := mailtest.Start(t)
	app := newTestApp(t)
	app.h.cfg.Mail = srv.Config()
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {threeContacts}})
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		t.Fatal(err)
	}
	app.h.sending.Store(s.ID, struct{}{}) // the first run, still busy
	sendMail(t, r, models.MailInvitation, "").mustContain(t, "Er worden al berichten voor deze peiling verstuurd")
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages sent beside a running send", n)
	}
	app.h.sending.Delete(s.ID) // the first run ended
	sendMail(t, r, models.MailInvitation, "").mustContain(t, "Uitnodiging: 3 verstuurd, 0 mislukt.")
}
