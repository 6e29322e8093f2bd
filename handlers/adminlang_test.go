package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"peiling/models"
)

// dutchAdminWords are common words of the researcher's pages in Dutch that no English page may
// show outside the survey's own content (its texts and the names of municipalities and
// provinces are taken out first).
var dutchAdminWords = []string{
	"peiling", "peilingen", "gemeenten", "niet", "nog", "wordt", "worden", "zijn", "uw", "voor",
	"met", "naar", "bekijken", "opslaan", "verwijderen", "uitnodiging", "uitnodigingen", "concept",
	"concepten", "verzonden", "herinnering", "sluiten", "geen", "deze", "wilt", "kunt", "heeft", "als",
	"alle", "ook", "maar", "dat", "wat", "wie", "een", "zoals", "tot", "bij", "terug", "vraag",
	"vragen", "antwoorden", "uitkomsten", "gesloten", "geopend", "dagen", "sectie", "fout",
	"inloggen", "uitloggen", "wachtwoord", "mailadres", "onderzoekers", "veldwerk", "bewerken",
	"logboek", "wijzigen", "toegang", "stap", "optioneel", "gemeentelijst", "bewaartermijnen",
}

// productName is Peiling's name, the same in every language (a Dutch word, lower case).
var productName = regexp.MustCompile(`\bPeiling\b`)

// mailPlaceholder is a placeholder of the mail texts, such as {{peiling}}: a name in the
// texts' own language.
var mailPlaceholder = regexp.MustCompile(`\{\{\w+\}\}`)

// dataCodes are codes of the exports that are the same in every language, such as
// models.NotShown: the downloads page names them.
var dataCodes = regexp.MustCompile(regexp.QuoteMeta(models.NotShown) + "|" + models.DontKnowCode)

// envName is the name of a setting in the environment, such as PEILING_SMTP_URL: a name too.
var envName = regexp.MustCompile(`\b[A-Z][A-Z0-9]*(_[A-Z0-9]+)+\b`)

var messageID = regexp.MustCompile(`\b(admin|results|export)\.[a-z_]+\.[a-z_.]*`)

// researcherPage is one page of the researcher's side to read in every language.
type researcherPage struct {
	name, path string
	status     int
}

// visibleText is the text a reader sees or hears on page body: text between tags (not in
// scripts, styles or form fields) and the visible attributes.
func visibleText(body string) string {
	z := html.NewTokenizer(strings.NewReader(body))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "textarea":
				if tok.Type == html.StartTagToken {
					skip++
				}
			}
			for _, a := range tok.Attr {
				if visibleAttributes[a.Key] {
					b.WriteString(" " + a.Val + " ")
				}
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); string(name) == "script" || string(name) == "style" || string(name) == "textarea" {
				skip--
			}
		case html.TextToken:
			if skip == 0 {
				b.WriteString(" " + string(z.Text()) + " ")
			}
		}
	}
}

// contentStrings are every text of the survey's definition and every municipality and
// province name of its register: the survey's own content, in its own language.
func contentStrings(t *testing.T, app *testApp, slug string) []*regexp.Regexp {
	t.Helper()
	var out []string
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice, reflect.Array:
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				walk(k)
				walk(v.MapIndex(k))
			}
		case reflect.String:
			if s := strings.TrimSpace(v.String()); s != "" {
				out = append(out, s)
			}
		}
	}
	def := app.definition(slug)
	walk(reflect.ValueOf(def))
	reg, err := app.h.registers.Get(app.db.Read, def.Register)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range reg.List {
		out = append(out, m.Name, m.Province)
	}
	for _, form := range sectionAnswers("Utrecht") { // the respondents' own words
		for _, values := range form {
			for _, v := range values {
				for _, line := range strings.Split(v, "\n") {
					if line = strings.TrimSpace(line); line != "" {
						out = append(out, line)
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) }) // longest first
	var res []*regexp.Regexp
	seen := map[string]bool{}
	for _, s := range out {
		if !seen[s] {
			seen[s] = true
			var words []string
			for _, w := range strings.Fields(s) {
				words = append(words, regexp.QuoteMeta(w))
			}
			// Case aside and any white space between the words: a chart writes a text
			// lower case, or over more than one line.
			res = append(res, regexp.MustCompile(`(?i)(^|[^\pL])`+strings.Join(words, `\s+`)+`([^\pL]|$)`))
		}
	}
	return res
}

// dutchLeft returns the Dutch words of page body outside the survey's content.
func dutchLeft(body string, content []*regexp.Regexp) []string {
	text := mailPlaceholder.ReplaceAllString(html.UnescapeString(visibleText(body)), " ")
	for _, re := range content {
		text = re.ReplaceAllString(text, "$1 $2")
	}
	text = productName.ReplaceAllString(text, " ")
	text = envName.ReplaceAllString(text, " ")
	text = dataCodes.ReplaceAllString(text, " ")
	words := map[string]bool{}
	for _, w := range word.FindAllString(strings.ToLower(text), -1) {
		words[w] = true
	}
	var left []string
	for _, w := range dutchAdminWords {
		if words[w] {
			left = append(left, w)
		}
	}
	return left
}

// researcherPages builds a survey in every state a researcher meets and returns its pages:
// the reference survey open with a response, a draft and invitation links, then closed.
func researcherPages(t *testing.T, app *testApp, r *client) (open, closed []researcherPage) {
	t.Helper()
	app.newClient().submit("Utrecht")
	app.newClient().draft("Appingedam") // set aside once the links are made
	inviteAll(t, r)
	app.newClient().start() // a draft without a municipality
	var drafts []uint
	if err := app.db.Read.Model(&models.Response{}).Where("status = ?", models.ResponseDraft).Pluck("id", &drafts).Error; err != nil || len(drafts) == 0 {
		t.Fatalf("no draft: %v", err)
	}
	var submitted []uint
	if err := app.db.Read.Model(&models.Response{}).Where("status = ?", models.ResponseSubmitted).Pluck("id", &submitted).Error; err != nil || len(submitted) == 0 {
		t.Fatalf("no response: %v", err)
	}
	def := app.definition(refSlug)
	inv := invitationID(t, app, "0344") // Utrecht
	textQuestion := ""
	for _, q := range def.Questions() {
		if q.Kind == models.KindText && textQuestion == "" {
			textQuestion = q.Code
		}
	}
	open = []researcherPage{
		{"dashboard", "/admin", 200},
		{"new survey", "/admin/surveys/new", 200},
		{"survey", adminBase, 200},
		{"monitor", adminBase + "/veldwerk", 200},
		{"drafts", adminBase + "/concepten", 200},
		{"discard", fmt.Sprintf("%s/concepten/%d/vervallen", adminBase, drafts[0]), 200},
		{"withdraw", fmt.Sprintf("%s/concepten/%d/intrekken", adminBase, submitted[0]), 200},
		{"invitations", adminBase + "/uitnodigingen", 200},
		{"reissue", fmt.Sprintf("%s/uitnodigingen/%d/vernieuwen", adminBase, inv), 200},
		{"revoke", fmt.Sprintf("%s/uitnodigingen/%d/intrekken", adminBase, inv), 200},
		{"email", adminBase + "/email", 200},
		{"editor", adminBase + "/editor", 200},
		{"question", adminBase + "/editor/vragen/" + def.Sections[1].Questions[0].Code, 200},
		{"rule", adminBase + "/editor/regel?doel=sectie-2", 200},
		{"close", adminBase + "/sluiten", 200},
		{"no results yet", adminBase + "/results", http.StatusForbidden},
	}
	closed = []researcherPage{
		{"survey closed", adminBase, 200},
		{"reopen", adminBase + "/heropenen", 200},
		{"purge", adminBase + "/alles-verwijderen", 200},
		{"report per municipality", adminBase + "/rapport-per-gemeente", 200},
		{"results", adminBase + "/results", 200},
		{"results by size", adminBase + "/results?indeling=grootte", 200},
		{"results by province", adminBase + "/results?indeling=provincie", 200},
		{"downloads", adminBase + "/downloads", 200},
		{"publish", adminBase + "/results/publiceren", 200},
		{"API tokens", "/admin/tokens", 200},
		{"open answers", adminBase + "/results/open/" + textQuestion, 200},
		{"cross table", adminBase + "/results/kruistabel", 200},
		{"cross table of the register", adminBase + "/results/kruistabel?rij=provincie&kolom=grootte&procent=kolom", 200},
		{"cross table of one thing twice", adminBase + "/results/kruistabel?rij=provincie&kolom=provincie", http.StatusUnprocessableEntity},
	}
	return open, closed
}

// checkPage reads one researcher page in language lang.
func checkPage(t *testing.T, r *client, pg researcherPage, lang string, content []*regexp.Regexp) {
	t.Helper()
	p := r.get(pg.path)
	if p.Status != pg.status {
		t.Errorf("%s in %s: status %d", pg.name, lang, p.Status)
		return
	}
	if !strings.Contains(p.Body, `<html lang="`+lang+`">`) {
		t.Errorf("%s: not in %s", pg.name, lang)
	}
	if id := messageID.FindString(visibleText(p.Body)); id != "" {
		t.Errorf("%s in %s: message %s is missing", pg.name, lang, id)
	}
	if lang == "en" {
		if left := dutchLeft(p.Body, content); len(left) > 0 {
			t.Errorf("%s in English still says %q", pg.name, left)
		}
	}
}

// TestResearcherPagesInBothLanguages reads every page of the researcher's fieldwork in Dutch
// and in English through the real app: the right lang, no message missing, and in English no
// Dutch word outside the survey's own content.
func TestResearcherPagesInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	open, closed := researcherPages(t, app, r)
	content := contentStrings(t, app, refSlug)
	for _, lang := range []string{"nl", "en"} {
		r.get("/admin?lang=" + lang)
		for _, pg := range open {
			checkPage(t, r, pg, lang, content)
		}
	}
	r.get(adminBase + "/sluiten")
	if p := r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
		t.Fatalf("close: %d", p.Status)
	}
	for _, lang := range []string{"en", "nl"} {
		r.get("/admin?lang=" + lang)
		for _, pg := range closed {
			checkPage(t, r, pg, lang, content)
		}
	}
	token, err := models.NewSetupToken(app.db.Write)
	if err != nil {
		t.Fatal(err)
	}
	login := app.newClient()
	for _, lang := range []string{"nl", "en"} {
		login.get("/admin/login?lang=" + lang)
		checkPage(t, login, researcherPage{"login", "/admin/login", 200}, lang, content)
		checkPage(t, login, researcherPage{"setup", "/admin/setup/" + token, 200}, lang, content)
	}
}

// TestDutchWordsAreFoundOnADutchPage keeps the check above honest: the same pages in Dutch
// are full of the words it looks for.
func TestDutchWordsAreFoundOnADutchPage(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	content := contentStrings(t, app, refSlug)
	p := r.get(adminBase)
	if left := dutchLeft(p.Body, content); len(left) < 10 {
		t.Errorf("the Dutch survey page shows only %q of the Dutch words", left)
	}
}

// TestResearcherMessagesInEnglish: what the researcher's handlers say (problems beside a
// field, flashes after a change, the audit log, rule words, the CSV's headers) follows the
// chosen language, while the Dutch stays as it was.
func TestResearcherMessagesInEnglish(t *testing.T) {
	app := newTestApp(t)
	r := app.asResearcher()
	r.get("/admin?lang=en")

	r.get(adminBase + "/sluiten")
	p := r.post(adminBase+"/sluiten", nil)
	if p.Status != http.StatusUnprocessableEntity {
		t.Fatalf("close without confirmation: %d", p.Status)
	}
	p.mustContain(t, `<html lang="en">`, "Error: Close survey", "Tick the box to confirm you want to close the survey")

	r.get(adminBase)
	p = r.post(adminBase+"/sluittijd", url.Values{"sluittijd": {"morgen"}, "actie": {"opslaan"}})
	p.mustContain(t, "Enter a date and time, such as 31-03-2018 17:00")

	r.get(adminBase)
	p = r.post(adminBase+"/toegang", url.Values{"toegang": {"invitation"}})
	p.mustContain(t, "Only municipalities with a personal invitation link can start now.", "Access: by invitation only")

	r.get(adminBase + "/uitnodigingen")
	p = r.post(adminBase+"/uitnodigingen", url.Values{"bron": {"lijst"}, "lijst": {"0344;A. de Vries;niet-een-adres\n9999;B;b@example.nl"}})
	p.mustContain(t, `Line 1: &#34;niet-een-adres&#34; is not an email address like name@municipality.nl`,
		"Line 2: Code &#34;9999&#34; is not in the list of municipalities")

	rows := downloadCSV(t, r, adminBase+"/uitnodigingen/links.csv")
	if got := strings.Join(rows[0], ","); got != "municipality_code,municipality,province,contact,email_address,link_url,state,language" {
		t.Errorf("CSV headers in English: %s", got)
	}

	r.get("/admin/surveys/new")
	p = r.upload("kapot.yaml", "title: Kapot\nslug: kapot\nregister: '2025'\nsections: []\n")
	p.mustContain(t, "There is a mistake in the file: kapot.yaml")
	if strings.Contains(p.Body, "ontbreekt") || strings.Contains(p.Body, "Het bestand klopt niet") {
		t.Errorf("the file's problem is in Dutch: %s", p.Body)
	}

	r.get("/admin?lang=nl")
	r.get(adminBase + "/sluiten")
	p = r.post(adminBase+"/sluiten", nil)
	p.mustContain(t, `<html lang="nl">`, "Vink aan dat u de peiling wilt sluiten")
}

// TestCodebookAndWorkbookInBothLanguages: the codebook and the workbook speak the researcher's language,
// and every code stays the same: a column, a question and a value read the same in Dutch
// and in English, and so do the raw answers.
func TestCodebookAndWorkbookInBothLanguages(t *testing.T) {
	app := newTestApp(t)
	app.newClient().submit("Utrecht")
	r := app.asResearcher()
	r.get(adminBase + "/sluiten")
	if p := r.post(adminBase+"/sluiten", url.Values{"bevestig": {"ja"}}); p.Status != http.StatusOK {
		t.Fatalf("close: %d", p.Status)
	}
	books, raws := map[string][][]string{}, map[string][][]string{}
	for _, lang := range []string{"nl", "en"} {
		r.get("/admin?lang=" + lang)
		books[lang] = downloadCSV(t, r, adminBase+"/export/codeboek-excel.csv")
		raws[lang] = downloadCSV(t, r, adminBase+"/export/antwoorden-excel.csv")
		sheets := openXLSX(t, r.get(adminBase+"/export/peiling.xlsx").Body).GetSheetList()
		want := map[string]string{"nl": "Ruwe data,Codeboek", "en": "Raw data,Codebook"}[lang]
		if got := strings.Join(sheets[:2], ","); got != want {
			t.Errorf("%s workbook sheets %s, want %s first", lang, got, want)
		}
	}
	nl, en := books["nl"], books["en"]
	if got := strings.Join(nl[0], ","); got != "kolom,vraag,soort,waarde,label,basis" {
		t.Errorf("Dutch codebook heads changed: %s", got)
	}
	if got := strings.Join(en[0], ","); got != "column,question,kind,value,text,base" {
		t.Errorf("English codebook heads: %s", got)
	}
	if len(nl) != len(en) || len(nl) < 50 {
		t.Fatalf("codebooks of %d and %d rows", len(nl), len(en))
	}
	dutchKinds := map[string]bool{}
	for k := range columnKinds {
		dutchKinds[k] = true
	}
	sizes := 0
	for i := 1; i < len(nl); i++ {
		for _, col := range []int{0, 1, 3} {
			if nl[i][col] != en[i][col] {
				t.Errorf("row %d: code %q in Dutch, %q in English", i, nl[i][col], en[i][col])
			}
		}
		if dutchKinds[en[i][2]] {
			t.Errorf("row %d: kind %q is Dutch", i, en[i][2])
		}
		if en[i][0] == "grootteklasse" && en[i][3] != "" {
			sizes++
			if strings.Contains(en[i][4], "inwoners") || !strings.Contains(en[i][4], "residents") {
				t.Errorf("size group %s reads %q", en[i][3], en[i][4])
			}
		}
		if strings.HasSuffix(en[i][4], "(toelichting)") || strings.HasSuffix(en[i][4], "(naam)") || en[i][4] == "aangekruist" {
			t.Errorf("row %d: %q is Dutch", i, en[i][4])
		}
	}
	if sizes != len(models.SizeClasses) {
		t.Errorf("%d size groups in the codebook", sizes)
	}
	if strings.Join(raws["nl"][0], ",") != strings.Join(raws["en"][0], ",") {
		t.Errorf("the raw answers' columns differ by language:\n%v\n%v", raws["nl"][0], raws["en"][0])
	}
}
