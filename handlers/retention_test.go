package handlers

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"peiling/models"
	"peiling/models/dbtest"
)

// fileHolds returns which of texts are in the SQLite file at path, its WAL or its shared
// memory file, read as bytes: what a copy of the disk would show.
func fileHolds(t *testing.T, path string, texts ...string) []string {
	t.Helper()
	var all []byte
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	var found []string
	for _, s := range texts {
		if bytes.Contains(all, []byte(s)) {
			found = append(found, s)
		}
	}
	return found
}

// figures are the numbers on a results page: respondents and every "n = …".
var figuresRe = regexp.MustCompile(`Respondenten</dt><dd>\d+ gemeenten|n = \d+|\d+ antwoorden\.|<td>[^<]*\d+ %[^<]*</td>`)

func figures(p *page) []string { return figuresRe.FindAllString(p.Body, -1) }

// Distinctive texts of one scenario: none may survive its retention in the database file.
const (
	contactName    = "Wilhelmina Bewaarstra"
	contactEmail   = "w.bewaarstra@utrecht.example"
	invitedText    = "Utrecht-open-antwoord-ZEBRAPAARD"
	anonymousText  = "Groningen-open-antwoord-OKAPI"
	draftText      = "Concept-antwoord-NARWAL"
	setAsideText   = "Apart-gezet-antwoord-AXOLOTL"
	contactsDays   = 30
	answersDays    = 365
	dayOfRetention = 24 * time.Hour
)

// TestPurgeAfterRetentionLeavesNoPersonalDataInTheFile is issue 8 §6's test: a contact
// address, sent answers with distinctive open texts, a draft and a set-aside response; closed;
// before the retention dates nothing goes; after them the file itself holds none of it, the
// results stay the same, the raw exports and the report per municipality say when the answers
// were deleted, reopening is refused and the log shows each deletion with its count.
func TestPurgeAfterRetentionLeavesNoPersonalDataInTheFile(t *testing.T) {
	dbtest.SkipOnPostgres(t, "reads the bytes of the SQLite file; PostgreSQL does not zero freed space (docs/deployment.md)")
	path := filepath.Join(t.TempDir(), "peiling.db")
	app := newTestAppOn(t, path)
	r := app.asResearcher()
	r.get(adminBase + "/uitnodigingen")
	r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0344;" + contactName + ";" + contactEmail}}).mustContain(t, contactEmail)
	s := app.survey()
	var inv models.Invitation
	if err := app.db.Read.Where("survey_id = ? AND municipality_code = ?", s.ID, "0344").Take(&inv).Error; err != nil {
		t.Fatal(err)
	}
	// A mail log row, as sending the invitation writes it; a refusal quotes the address.
	err := app.db.Write.Create(&models.MailSend{SurveyID: s.ID, InvitationID: inv.ID, Kind: models.MailInvitation,
		Email: contactEmail, Actor: testEmail, At: time.Now().UTC(), Error: "550 " + contactEmail + " unknown"}).Error
	if err != nil {
		t.Fatal(err)
	}

	utrecht := app.newClient()
	utrecht.get(linksOf(t, r)["0344"])
	utrecht.post("/s/"+refSlug+"/start", nil)
	if p := send(t, utrecht, answerWith(t, utrecht, "Utrecht", invitedText)); !strings.HasSuffix(p.URL, "/bevestiging") {
		t.Fatalf("invited send: %d at %s", p.Status, p.URL)
	}
	groningen := app.newClient()
	groningen.start()
	send(t, groningen, answerWith(t, groningen, "Groningen", anonymousText))
	draft := app.newClient()
	draft.start()
	answerWith(t, draft, "Appingedam", draftText) // on the check page, never sent
	late := app.newClient()
	late.start()
	send(t, late, answerWith(t, late, "Groningen", setAsideText)) // Groningen had sent: set aside
	if app.responses(models.ResponseSubmitted) != 2 || app.responses(models.ResponseDraft) != 1 || app.responses(models.ResponseSetAside) != 1 {
		t.Fatalf("responses: %d sent, %d drafts, %d set aside", app.responses(models.ResponseSubmitted), app.responses(models.ResponseDraft), app.responses(models.ResponseSetAside))
	}

	r.get(adminBase + "/sluiten")
	r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})
	r.get(adminBase + "/rapport-per-gemeente")
	r.post(adminBase+"/rapport-per-gemeente", url.Values{"rapport": {"aan"}, "bevestig": {"ja"}})
	closed := *app.survey().ClosedAt
	resultsBefore := figures(r.get(adminBase + "/results"))
	jsonBefore := r.get(adminBase + "/export/resultaten.json").Body
	if len(resultsBefore) < 10 || !strings.Contains(strings.Join(resultsBefore, " "), "Respondenten</dt><dd>2 gemeenten") {
		t.Fatalf("results before the purge: %q", resultsBefore)
	}
	utrecht.get(benchmarkURL(refSlug, "0344")).mustContain(t, invitedText)

	everything := []string{contactName, contactEmail, invitedText, anonymousText, draftText, setAsideText}
	if err := app.db.Write.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
		t.Fatal(err)
	}
	if held := fileHolds(t, path, everything...); len(held) != len(everything) {
		t.Fatalf("before any purge the file holds only %q: the check would prove nothing", held)
	}

	purge := func(days int) models.Purged {
		t.Helper()
		got, err := models.Purge(app.db.Write, app.survey(), closed.Add(time.Duration(days)*dayOfRetention), models.System)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// A day before the first retention date: nothing is due, nothing is deleted.
	if got := purge(contactsDays - 1); got.Any() {
		t.Fatalf("purge before the retention dates deleted %+v", got)
	}
	if held := fileHolds(t, path, everything...); len(held) != len(everything) {
		t.Fatalf("before the retention dates the file lost %q", held)
	}

	// After 30 days: contacts, drafts and set-aside responses go; sent answers stay.
	got := purge(contactsDays)
	if got.Contacts != 2 || got.Pending != 2 || got.PendingAnswers == 0 || got.Answers != 0 {
		t.Fatalf("purge after %d days: %+v", contactsDays, got)
	}
	if held := fileHolds(t, path, contactName, contactEmail, draftText, setAsideText); held != nil {
		t.Fatalf("after the contacts and drafts retention the file still holds %q", held)
	}
	if held := fileHolds(t, path, invitedText, anonymousText); len(held) != 2 {
		t.Fatalf("sent answers were deleted before their retention date: only %q left", held)
	}
	r.get(adminBase+"/results/open/uitdaging").mustContain(t, invitedText, anonymousText)

	// After 365 days the raw answers go too; a second run finds nothing and records nothing.
	if got := purge(answersDays); got.Answers == 0 || got.Contacts+got.Pending != 0 {
		t.Fatalf("purge after %d days: %+v", answersDays, got)
	}
	logged := len(auditOf(t, app))
	if got := purge(answersDays + 10); got.Any() {
		t.Fatalf("a second purge deleted %+v", got)
	}
	if n := len(auditOf(t, app)); n != logged {
		t.Errorf("a second purge added %d audit entries", n-logged)
	}
	if held := fileHolds(t, path, everything...); held != nil {
		t.Fatalf("after the retention dates the database file still holds %q", held)
	}
	var answers int64
	app.db.Read.Model(&models.Answer{}).Count(&answers)
	if answers != 0 || app.responses(models.ResponseSubmitted) != 2 {
		t.Fatalf("%d answers left, %d sent responses counted", answers, app.responses(models.ResponseSubmitted))
	}

	// The results are the same numbers, and say the raw answers were deleted.
	p := r.get(adminBase + "/results")
	if after := figures(p); strings.Join(after, "|") != strings.Join(resultsBefore, "|") {
		t.Errorf("results changed:\nbefore %q\nafter  %q", resultsBefore, after)
	}
	p.mustContain(t, "De ruwe antwoorden, ook de open antwoorden en toelichtingen, zijn op", "verwijderd volgens de bewaartermijn")
	if body := r.get(adminBase + "/export/resultaten.json").Body; body != jsonBefore {
		t.Error("the results export changed after the raw answers were deleted")
	}
	for _, file := range []string{"antwoorden.csv", "antwoorden-excel.csv", "antwoorden.json"} {
		p := r.get(adminBase + "/export/" + file)
		if p.Status != http.StatusGone {
			t.Errorf("%s after deletion: %d", file, p.Status)
		}
		p.mustContain(t, "De ruwe antwoorden zijn verwijderd", "verwijderd volgens de bewaartermijn")
	}
	p = r.get(adminBase + "/export/peiling.xlsx")
	f, err := excelize.OpenReader(bytes.NewReader([]byte(p.Body)))
	if err != nil {
		t.Fatalf("xlsx after deletion: %d: %v", p.Status, err)
	}
	note, _ := f.GetCellValue("Ruwe data", "A2")
	if !strings.Contains(note, "verwijderd volgens de bewaartermijn") {
		t.Errorf("xlsx raw sheet says %q", note)
	}
	if sheets := f.GetSheetList(); len(sheets) < 3 {
		t.Errorf("xlsx lost its codebook and aggregates: %q", sheets)
	}
	f.Close()
	p = r.get(adminBase + "/results/open/uitdaging")
	if p.Status != http.StatusGone || strings.Contains(p.Body, invitedText) {
		t.Errorf("open answers after deletion: %d", p.Status)
	}
	p.mustContain(t, "De ruwe antwoorden zijn verwijderd")
	token := createToken(t, r, "na verwijderen")
	p = r.getWith("/api/v1/surveys/"+refSlug+"/responses", token)
	if p.Status != http.StatusGone || !strings.Contains(p.Body, `"answers_deleted"`) {
		t.Errorf("api responses after deletion: %d %s", p.Status, p.Body)
	}
	p = utrecht.get(benchmarkURL(refSlug, "0344"))
	if p.Status != http.StatusGone || strings.Contains(p.Body, invitedText) {
		t.Errorf("report per municipality after deletion: %d", p.Status)
	}

	// Reopening would need the answers to recompute the aggregates: refused.
	p = r.get(adminBase)
	p.mustContain(t, "Namen en e-mailadressen verwijderd: 2 rijen", "Concepten en apart gezette inzendingen verwijderd: 2 concepten",
		"Ruwe antwoorden verwijderd: ", "Heropenen kan daarom niet meer")
	if strings.Contains(p.Body, "Peiling heropenen") {
		t.Error("the reopen button is offered after the raw answers were deleted")
	}
	if p = r.post(adminBase+"/openen", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusGone || app.survey().Status != models.StatusClosed {
		t.Errorf("reopen after deletion: %d, survey %s", p.Status, app.survey().Status)
	}
}

func auditOf(t *testing.T, app *testApp) []models.AuditEntry {
	t.Helper()
	log, err := models.SurveyAudit(app.db.Read, app.survey().ID)
	if err != nil {
		t.Fatal(err)
	}
	return log
}

func TestRetentionSettingsRefuseBadDaysInDutchAndKeepTheInput(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	r.get(adminBase).mustContain(t, `id="bewaartermijnen"`, `name="bewaar_contacten" value="30"`, `name="bewaar_concepten" value="30"`, `name="bewaar_antwoorden" value="365"`)
	p := r.post(adminBase+"/bewaartermijnen", url.Values{"bewaar_contacten": {"een maand"}, "bewaar_concepten": {"-1"}, "bewaar_antwoorden": {"4000"}})
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("bad days: %d", p.Status)
	}
	p.mustContain(t, "<title>Fout: ",
		`<a href="#bewaar_contacten">Vul bij ‘Namen en e-mailadressen’ een heel aantal dagen in van 0 tot en met 3650</a>`,
		`<a href="#bewaar_concepten">Vul bij ‘Concepten en apart gezette inzendingen’ een heel aantal dagen in van 0 tot en met 3650</a>`,
		`<a href="#bewaar_antwoorden">Vul bij ‘Ruwe antwoorden’`,
		`id="bewaar_contacten-error"`, `value="een maand"`, `value="-1"`, `value="4000"`, `aria-invalid="true"`)
	if n := len(auditOf(t, app)); n != 0 {
		t.Fatalf("refused settings were recorded: %d entries", n)
	}
	p = r.post(adminBase+"/bewaartermijnen", url.Values{"bewaar_contacten": {"7"}, "bewaar_concepten": {" 14 "}, "bewaar_antwoorden": {"90"}})
	p.mustContain(t, "De bewaartermijnen zijn opgeslagen.", `name="bewaar_concepten" value="14"`,
		"Bewaartermijnen ingesteld: contactgegevens 7, concepten en apart gezette inzendingen 14, ruwe antwoorden 90 dagen na sluiten")
	if strings.Contains(p.Body, "Nu verwijderen wat over tijd is") {
		t.Error("the purge buttons are offered while the survey is open")
	}
	if p = r.post(adminBase+"/opschonen", nil); p.Status != http.StatusConflict {
		t.Errorf("purge of an open survey: %d", p.Status)
	}
	// The audit log words the counts in the reader's language.
	r.get(adminBase+"?lang=en").mustContain(t, "contact details 7, drafts and set-aside responses 14, raw answers 90 days after closing")
	r.get(adminBase + "?lang=nl")
}

// TestPurgeButtonsDeleteWhatIsDueAndAllAfterConfirmation: with retention 0 the "what is due"
// button deletes everything at once; with the defaults it deletes nothing yet, and the
// "everything now" button asks for a confirmation first.
func TestPurgeButtonsDeleteWhatIsDueAndAllAfterConfirmation(t *testing.T) {
	for _, tc := range []struct {
		name string
		days string // retention of every category; "" keeps the defaults
	}{{"retention 0 days, what is due", "0"}, {"default retention, everything now", ""}} {
		t.Run(tc.name, func(t *testing.T) {
			path := dbtest.DSN(t, "peiling.db")
			app := newTestAppOn(t, path)
			r := app.asResearcher()
			if tc.days != "" {
				r.get(adminBase)
				r.post(adminBase+"/bewaartermijnen", url.Values{"bewaar_contacten": {tc.days}, "bewaar_concepten": {tc.days}, "bewaar_antwoorden": {tc.days}})
			}
			r.get(adminBase + "/uitnodigingen")
			r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0014;" + contactName + ";" + contactEmail}})
			sender := app.newClient()
			sender.start()
			send(t, sender, answerWith(t, sender, "Utrecht", anonymousText))
			draft := app.newClient()
			draft.start()
			answerWith(t, draft, "Appingedam", draftText)
			r.get(adminBase + "/sluiten")
			r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}})

			p := r.post(adminBase+"/opschonen", nil)
			if tc.days == "" {
				p.mustContain(t, "Er was niets over tijd; er is niets verwijderd.")
				p = r.get(adminBase + "/alles-verwijderen")
				p.mustContain(t, "Weet u zeker dat u nu alles persoonlijks wilt verwijderen?", "1 verzonden inzendingen")
				p = r.post(adminBase+"/alles-verwijderen", nil)
				if p.Status != http.StatusUnprocessableEntity {
					t.Fatalf("everything without confirmation: %d", p.Status)
				}
				p.mustContain(t, "<title>Fout: ", `<a href="#bevestig">Vink aan dat u alle persoonsgegevens van deze peiling nu wilt verwijderen</a>`)
				var n int64
				app.db.Read.Model(&models.Answer{}).Count(&n)
				if n == 0 {
					t.Fatal("answers deleted without confirmation")
				}
				p = r.post(adminBase+"/alles-verwijderen", url.Values{"bevestig": {"ja"}})
			}
			p.mustContain(t, "Verwijderd: 1 rijen met namen of e-mailadressen, 1 concepten en apart gezette inzendingen,",
				"Ruwe antwoorden verwijderd", testEmail)
			// Only a SQLite file is read byte by byte: PostgreSQL's VACUUM does not zero freed space.
			if !dbtest.Postgres() {
				if held := fileHolds(t, path, contactName, contactEmail, anonymousText, draftText); held != nil {
					t.Fatalf("after the purge the database file still holds %q", held)
				}
			}
			r.get(adminBase+"/results").mustContain(t, "Respondenten</dt><dd>1 gemeenten", "zijn op")
		})
	}
}

// TestAuditSubjectsInTheReadersLanguage: the counted subjects models stores in Dutch read in
// English from their counts, with the right plural; other subjects stay as stored.
func TestAuditSubjectsInTheReadersLanguage(t *testing.T) {
	en, nl := catalogue.Translator("en"), catalogue.Dutch()
	tables := strings.Join(models.ContactTables(), ", ")
	for _, tc := range []struct {
		action, stored, want string
	}{
		{models.ActionContactsDeleted, "1 rijen met naam of e-mailadres gewist (" + tables + ")", "1 row with a name or email address cleared (" + tables + ")"},
		{models.ActionPendingDeleted, "3 concepten en apart gezette inzendingen met 12 antwoorden verwijderd", "3 drafts and set-aside responses with 12 answers deleted"},
		{models.ActionAnswersDeleted, "40 ruwe antwoorden van verzonden inzendingen verwijderd; de uitkomsten blijven", "40 raw answers of sent responses deleted; the results stay"},
		{models.ActionInvitationsCreated, "380 nieuw, 0 bijgewerkt", "380 new, 0 updated"},
		{models.ActionInvitationRevoked, "Utrecht", "Utrecht"},
	} {
		e := models.AuditEntry{Action: tc.action, Subject: tc.stored}
		if got := auditSubject(en, e); got != tc.want {
			t.Errorf("%s in English: %q, want %q", tc.action, got, tc.want)
		}
		if got := auditSubject(nl, e); got != tc.stored {
			t.Errorf("%s in Dutch: %q, want it as stored: %q", tc.action, got, tc.stored)
		}
	}
}
