package locales

import (
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
)

// sameInEnglish are messages whose English is rightly the Dutch: names, codes and formats.
var sameInEnglish = map[string]bool{
	"common.layout.privacy":      true, // the same word
	"common.layout.contact":      true, // the same word
	"common.format.date":         true, // 3 januari 2018, 3 January 2018: the month differs
	"common.format.day_month":    true,
	"question.unit":              true, // " (in km)": a unit is the survey's
	"site.page.privacy":          true,
	"site.page.contact":          true,
	"site.privacy.cookies_title": true,
	"admin.status.open":          true, // the same word
	"admin.invitations.links":    true, // the same word
	"admin.invitations.col_link": true, // the same word
	"admin.question.code":        true, // the same word
	"admin.editor.code":          true, // the same word
	"export.sheet.code":          true, // the same word
	"export.sheet.percentage":    true, // the same word
	"results.tokens.which":       true, // the same word and a name
	"results.cross.percentages":  true, // the same word
	"results.cross.n":            true, // a format
	"results.table.group":        true, // a format: a name and a number
	"results.table.share":        true, // a format: two numbers
}

// argument is a message's {{.Name}}, or a mail text's own placeholder such as {{link}}.
var argument = regexp.MustCompile(`\{\{\s*(\.?\w+)\s*\}\}`)

func argumentsOf(s string) string {
	var names []string
	for _, m := range argument.FindAllStringSubmatch(s, -1) {
		names = append(names, m[1])
	}
	sort.Strings(names)
	return strings.Join(slicesCompact(names), ",")
}

func slicesCompact(s []string) []string {
	var out []string
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestEveryLanguageHasEveryKey fails when a message is in one language and not in another,
// when a translation lacks the plural form "other" or an argument, and when an English text is
// left equal to the Dutch one.
func TestEveryLanguageHasEveryKey(t *testing.T) {
	problems, err := catalogueProblems(Files())
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// TestANewLanguageIsCheckedToo: the completeness check covers every language the files give,
// not only English: a Frisian catalogue missing a message or a placeholder is reported.
func TestANewLanguageIsCheckedToo(t *testing.T) {
	fsys := fstest.MapFS{}
	names, _ := fs.Glob(Files(), "*.yaml")
	for _, name := range names {
		data, err := fs.ReadFile(Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: data}
		if base, ok := strings.CutSuffix(name, ".en.yaml"); ok {
			data = []byte(strings.Replace(string(data), "common.language.name: English\n", "", 1))
			data = []byte(strings.Replace(string(data), "\n  {{link}}\n", "\n  {{lnk}}\n", 1))
			fsys[base+".fy.yaml"] = &fstest.MapFile{Data: data}
		}
	}
	problems, err := catalogueProblems(fsys)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(problems, "\n")
	for _, want := range []string{"fy: common.language.name is missing", "fy: mail.default.invitation.body has arguments"} {
		if !strings.Contains(all, want) {
			t.Errorf("no %q among the problems:\n%s", want, all)
		}
	}
	if len(problems) != 2 {
		t.Errorf("want 2 problems, got:\n%s", all)
	}
}

// catalogueProblems checks the catalogue files of fsys: every language has every Dutch
// message, with the plural form other and the same arguments, and no more; English texts
// differ from the Dutch unless listed in sameInEnglish.
func catalogueProblems(fsys fs.FS) ([]string, error) {
	c, err := LoadFS(fsys)
	if err != nil {
		return nil, err
	}
	var codes []string
	for _, tr := range c.Languages() {
		codes = append(codes, tr.Code())
	}
	if len(codes) < 2 || codes[0] != "nl" {
		return nil, fmt.Errorf("languages %v, want Dutch first and at least one more", codes)
	}
	dutch, err := Messages(fsys, "nl")
	if err != nil {
		return nil, err
	}
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	for _, code := range codes[1:] {
		other, err := Messages(fsys, code)
		if err != nil {
			return nil, err
		}
		for id, nl := range dutch {
			m, ok := other[id]
			if !ok {
				add("%s: %s is missing", code, id)
				continue
			}
			if m["other"] == "" {
				add("%s: %s has no text (or no plural form other)", code, id)
			}
			// A format may pick other parts (2:05pm from Hour12 and AmPm); a message may not.
			if !strings.HasPrefix(id, "common.format.") && argumentsOf(nl["other"]+nl["one"]) != argumentsOf(m["other"]+m["one"]) {
				add("%s: %s has arguments %q, Dutch %q", code, id, argumentsOf(m["other"]+m["one"]), argumentsOf(nl["other"]+nl["one"]))
			}
			if code == "en" && m["other"] == nl["other"] && !sameInEnglish[id] {
				add("en: %s is still the Dutch %q (translate it, or list it in sameInEnglish if it is a name)", id, nl["other"])
			}
		}
		for id := range other {
			if _, ok := dutch[id]; !ok {
				add("%s: %s is not in the Dutch catalogue", code, id)
			}
		}
	}
	for id := range sameInEnglish {
		if _, ok := dutch[id]; !ok {
			add("sameInEnglish lists %s, which is no message", id)
		}
	}
	sort.Strings(problems)
	return problems, nil
}

func TestDatesAndNumbersFollowTheLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	nl, en := c.Translator("nl"), c.Translator("en")
	at := time.Date(2018, 1, 3, 13, 5, 0, 0, time.UTC) // 14:05 in Amsterdam
	for _, tc := range []struct{ got, want string }{
		{nl.Date(at), "3 januari 2018"},
		{en.Date(at), "3 January 2018"},
		{nl.DateTime(at), "3 januari 2018 om 14:05"},
		{en.DateTime(at), "3 January 2018 at 2:05pm"},
		{nl.DayMonth(at), "3 januari"},
		{en.DayMonth(at), "3 January"},
		{nl.Percent(12.5, 1), "12,5 %"},
		{en.Percent(12.5, 1), "12.5%"},
		{nl.Percent(40, 1), "40 %"},
		{nl.Number(3.25, 2), "3,25"},
		{en.Number(-0.001, 1), "0"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}

func TestPluralFormsFollowTheLanguage(t *testing.T) {
	c, err := LoadFS(fstest.MapFS{
		"a.nl.yaml": {Data: []byte("count:\n  one: \"{{.Count}} ding\"\n  other: \"{{.Count}} dingen\"\n")},
		"a.en.yaml": {Data: []byte("count:\n  one: \"{{.Count}} thing\"\n  other: \"{{.Count}} things\"\n")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Translator("en").T("count", "Count", 1)
	if got != "1 thing" {
		t.Errorf("one: %q", got)
	}
	if got := c.Translator("nl").T("count", "Count", 3); got != "3 dingen" {
		t.Errorf("other: %q", got)
	}
}

func TestLanguageChoiceFromAcceptLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for header, want := range map[string]string{
		"en-GB,en;q=0.9":     "en",
		"nl-BE":              "nl",
		"de, en;q=0.5":       "en",
		"de":                 "",
		"":                   "",
		"fr;q=0.9, nl;q=0.3": "nl",
	} {
		got := ""
		if tr := c.Accepted(header); tr != nil {
			got = tr.Code()
		}
		if got != want {
			t.Errorf("Accept-Language %q: %q, want %q", header, got, want)
		}
	}
}

func TestAMissingKeyShowsItsID(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Translator("en").T("no.such.key"); got != "no.such.key" {
		t.Errorf("got %q", got)
	}
}

// A message asked for without arguments is kept after the first time: every later call, in
// any language, gives what go-i18n gives, and a message with arguments is still filled in.
func TestKeptMessagesAreTheCatalogues(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range c.Languages() {
		msgs, err := Messages(Files(), tr.Code())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for id := range msgs {
			want := tr.localize(&i18n.LocalizeConfig{MessageID: id}, id)
			for range 2 {
				if got := tr.T(id); got != want {
					t.Fatalf("%s %s: %q, want %q", tr.Code(), id, got, want)
				}
			}
			n++
		}
		if kept := lenSyncMap(tr.plain); kept < n {
			t.Errorf("%s: %d of %d messages kept", tr.Code(), kept, n)
		}
	}
	if got := c.Dutch().T("respond.summary.change_what", "Question", "Hoeveel?"); !strings.Contains(got, "Hoeveel?") {
		t.Errorf("with an argument: %q", got)
	}
}

func lenSyncMap(m *sync.Map) int {
	n := 0
	m.Range(func(any, any) bool { n++; return true })
	return n
}

// TestFilledMessagesAreGoI18nsWords fills every message of every language with arguments for
// its placeholders, strings with markup and braces and numbers, by T (which cuts a message
// at its placeholders when it can) and by go-i18n's template, and requires the same words.
func TestFilledMessagesAreGoI18nsWords(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	names := regexp.MustCompile(`\{\{-?\s*\.([A-Za-z][A-Za-z0-9_]*)`)
	for _, tr := range c.Languages() {
		msgs, err := Messages(Files(), tr.Code())
		if err != nil {
			t.Fatal(err)
		}
		fast, all := 0, 0
		for id := range msgs {
			text := tr.Text(id)
			if !strings.Contains(text, "{{") {
				continue
			}
			for round, value := range []func(string) any{
				func(name string) any { return `<b>"` + name + `" & {{.X}} 'é'</b>` },
				func(name string) any { return len(name) * 1000 },
			} {
				var args []any
				data := map[string]any{}
				for _, m := range names.FindAllStringSubmatch(text, -1) {
					if name := m[1]; name != "Count" && data[name] == nil {
						data[name] = value(name)
						args = append(args, name, data[name])
					}
				}
				want := tr.localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data}, id)
				if got := tr.T(id, args...); got != want {
					t.Errorf("%s %s (round %d): %q, want %q", tr.Code(), id, round, got, want)
				}
				if _, ok := tr.fill(id, args); ok {
					fast++
				}
				all++
			}
		}
		if fast*2 < all {
			t.Errorf("%s: %d of %d fillings cut, want most", tr.Code(), fast, all)
		}
	}
}
