package handlers

import (
	"io/fs"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"testing/fstest"

	"peiling/locales"
	"peiling/mail/mailtest"
	"peiling/models"
)

// withFrisian is the embedded catalogue plus a Frisian one made of copies of the English files
// (*.en.yaml as *.fy.yaml), with a few texts changed so that a test can tell them apart: what a
// translator adds, and nothing else.
func withFrisian(t *testing.T) *locales.Catalogue {
	t.Helper()
	marks := []struct{ english, frisian string }{
		{"common.language.name: English", "common.language.name: Frysk"},
		{`mail.default.invitation.subject: "Invitation: {{peiling}}"`, `mail.default.invitation.subject: "Útnoeging: {{peiling}}"`},
		{"Dear {{naam}},", "Bêste {{naam}},"},
	}
	fsys := fstest.MapFS{}
	names, err := fs.Glob(locales.Files(), "*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		data, err := fs.ReadFile(locales.Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
		if base, ok := strings.CutSuffix(name, ".en.yaml"); ok {
			fsys[base+".fy.yaml"] = &fstest.MapFile{Data: data}
		}
	}
	for _, m := range marks {
		found := false
		for name, f := range fsys {
			if strings.HasSuffix(name, ".fy.yaml") && strings.Contains(string(f.Data), m.english) {
				f.Data, found = []byte(strings.ReplaceAll(string(f.Data), m.english, m.frisian)), true
			}
		}
		if !found {
			t.Fatalf("no %q in the English catalogue to make Frisian", m.english)
		}
	}
	c, err := locales.LoadFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestAThirdLanguageNeedsOnlyCatalogueFiles: with *.fy.yaml files beside the Dutch and English
// ones, and no change to the code, the switch offers Frysk, Accept-Language: fy picks it, a
// contact listed with fy is invited with the Frisian default text, the e-mail page holds
// Frisian texts to edit, and the hints that list the languages list fy.
func TestAThirdLanguageNeedsOnlyCatalogueFiles(t *testing.T) {
	srv := mailtest.Start(t)
	app := newTestApp(t, func(c *Config) { c.Catalogue = withFrisian(t) })
	app.h.cfg.Mail = srv.Config()

	app.newClient().get("/").mustContain(t, `<html lang="nl">`, `lang="fy" hreflang="fy">Frysk</a>`, `lang="en" hreflang="en">English</a>`)
	req, _ := http.NewRequest(http.MethodGet, app.srv.URL+"/", nil)
	req.Header.Set("Accept-Language", "fy-NL, nl;q=0.5")
	app.newClient().do(req).mustContain(t, `<html lang="fy">`, `lang="nl" hreflang="nl">Nederlands</a>`)
	app.newClient().get("/privacy?lang=fy").mustContain(t, `<html lang="fy">`)

	r := app.asResearcher()
	// The texts that name the languages a contact or a response may have name the catalogue's.
	r.get(adminBase+"/uitnodigingen").mustContain(t, "De taal (nl, en of fy) mag ontbreken")
	r.get(adminBase+"/uitnodigingen?lang=en").mustContain(t, "The language (nl, en or fy) may be left out")
	r.get(adminBase + "/uitnodigingen?lang=nl")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {
		"0344;Anna;anna@utrecht.nl;fy\n0014;Kees;kees@groningen.nl\n0003;;jan@appingedam.nl;en\n"}})

	p := r.get(adminBase + "/email")
	p.mustContain(t, `id="tekst-uitnodiging-fy" name="tekst-uitnodiging-fy" lang="fy"`, `value="Útnoeging: {{peiling}}"`, "Bêste {{naam}},",
		`id="tekst-herinnering-concept-fy"`, `<span lang="fy">(Frysk)</span>`, `id="tekst-uitnodiging" name="tekst-uitnodiging" lang="nl"`)

	sendMailAndWait(t, r, models.MailInvitation, "").mustContain(t, "Uitnodiging: 3 verstuurd, 0 mislukt.")
	for addr, want := range map[string]struct{ subject, body string }{
		"anna@utrecht.nl":   {"Útnoeging: Klantcontact en interactie 2018", "Bêste Anna,"}, // the survey has no Frisian title
		"kees@groningen.nl": {"Uitnodiging: Klantcontact en interactie 2018", "Beste Kees,"},
		"jan@appingedam.nl": {"Invitation: Customer contact and interaction 2018", "Dear Sir or Madam,"}, // no name: the language's words
	} {
		got := srv.To(addr)
		if len(got) != 1 {
			t.Fatalf("%s got %d mails", addr, len(got))
		}
		if got[0].Subject != want.subject || !strings.HasPrefix(got[0].Body, want.body) {
			t.Errorf("%s: %q, %.40q; want %q, %q", addr, got[0].Subject, got[0].Body, want.subject, want.body)
		}
	}

	// The Frisian text is edited and stored like the others, as uitnodiging.fy.
	form := url.Values{}
	for _, k := range models.MailKinds {
		for _, suffix := range []string{"", "-en", "-fy"} {
			form.Set("onderwerp-"+k+suffix, "Onderwerp "+k)
			form.Set("tekst-"+k+suffix, "Beste {{naam}}, {{link}}")
		}
	}
	form.Set("tekst-uitnodiging-fy", "Bêste {{naam}}, {{link}} (eigen tekst)")
	if p = r.post(adminBase+"/email/teksten", form); p.Status != http.StatusOK {
		t.Fatalf("save: %d", p.Status)
	}
	p.mustContain(t, "Bêste {{naam}}, {{link}} (eigen tekst)")
	var stored models.MailTemplate
	if err := app.db.Read.Where("kind = ?", "uitnodiging.fy").First(&stored).Error; err != nil || stored.Body != "Bêste {{naam}}, {{link}} (eigen tekst)" {
		t.Errorf("Frisian invitation stored as %+v (%v)", stored, err)
	}

	app.setStatus(refSlug, models.StatusClosed)
	r.get(adminBase+"/export/codeboek.csv?lang=en").mustContain(t, "Language the municipality answered in (nl, en, fy)")
}
