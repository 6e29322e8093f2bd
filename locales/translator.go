package locales

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"github.com/nicksnyder/go-i18n/v2/i18n/template"
	"golang.org/x/text/language"
)

// Translator words messages, dates and numbers in one language. The words of a date or a
// number (month names, the decimal separator, where the % goes) are catalogue messages too,
// so that a new language needs no code.
type Translator struct {
	Tag       language.Tag
	localizer *i18n.Localizer
	// plain keeps the messages asked for without arguments, which never change: go-i18n looks
	// a message up and runs its template on every call (1-2 % of a questionnaire's CPU).
	plain *sync.Map
	// filled keeps, per message, its text cut at its {{.Name}} placeholders (*fillable), or
	// nil when it holds any other action: T then fills it in without running a template.
	filled *sync.Map
}

func newTranslator(bundle *i18n.Bundle, tag language.Tag) *Translator {
	return &Translator{Tag: tag, localizer: i18n.NewLocalizer(bundle, tag.String()), plain: &sync.Map{}, filled: &sync.Map{}}
}

// Code is the language's code for lang attributes, cookies and the database: "nl", "en".
func (t *Translator) Code() string { return t.Tag.String() }

// Name is the language's name in itself: "Nederlands", "English".
func (t *Translator) Name() string { return t.T("common.language.name") }

// T returns message id in t's language with its arguments, given as name, value pairs:
// T("respond.deadline", "Date", d). An argument named Count also picks the plural form, by
// the language's plural rules. A message missing from this language falls back to Dutch; one
// missing from every catalogue comes out as its id, so that it shows up rather than vanishes
// (TestCatalogueHasEveryKeyInUse keeps that from shipping).
func (t *Translator) T(id string, args ...any) string {
	if t == nil {
		return id
	}
	if len(args) == 0 && t.plain != nil {
		if msg, ok := t.plain.Load(id); ok {
			return msg.(string)
		}
		msg := t.localize(&i18n.LocalizeConfig{MessageID: id}, id)
		t.plain.Store(id, msg)
		return msg
	}
	if t.filled != nil {
		if msg, ok := t.fill(id, args); ok {
			return msg
		}
	}
	cfg := &i18n.LocalizeConfig{MessageID: id}
	if len(args) > 0 {
		data := make(map[string]any, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			name, _ := args[i].(string)
			data[name] = args[i+1]
			if name == "Count" {
				cfg.PluralCount = args[i+1]
			}
		}
		cfg.TemplateData = data
	}
	return t.localize(cfg, id)
}

func (t *Translator) localize(cfg *i18n.LocalizeConfig, id string) string {
	msg, err := t.localizer.Localize(cfg)
	if msg == "" && err != nil {
		return id
	}
	return msg
}

// fillable is a message whose only actions are {{.Name}} placeholders, cut at them:
// text[0] names[0] text[1] names[1] … text[n].
type fillable struct {
	text, names []string
}

var placeholder = regexp.MustCompile(`\{\{-?\s*\.([A-Za-z][A-Za-z0-9_]*)\s*-?\}\}`)

// cut is text as a fillable, or nil when it holds another action (a trim marker counts).
func cut(text string) *fillable {
	f := &fillable{}
	last := 0
	for _, m := range placeholder.FindAllStringSubmatchIndex(text, -1) {
		if text[m[0]+2] == '-' || text[m[1]-3] == '-' {
			return nil
		}
		f.text = append(f.text, text[last:m[0]])
		f.names = append(f.names, text[m[2]:m[3]])
		last = m[1]
	}
	f.text = append(f.text, text[last:])
	for _, piece := range f.text {
		if strings.Contains(piece, "{{") {
			return nil
		}
	}
	return f
}

// fill words message id with args as go-i18n's template would, without running one, when the
// message is fillable, no argument picks a plural form and every placeholder has an argument
// that prints as fmt prints it (a string or a number). ok is false otherwise: T then asks
// go-i18n. go-i18n ran a text/template for every such call (TestFilledMessagesAreGoI18nsWords).
func (t *Translator) fill(id string, args []any) (string, bool) {
	if len(args)%2 != 0 {
		return "", false
	}
	for i := 0; i < len(args); i += 2 {
		if args[i] == "Count" {
			return "", false
		}
	}
	v, ok := t.filled.Load(id)
	if !ok {
		v = cut(t.Text(id))
		t.filled.Store(id, v)
	}
	f := v.(*fillable)
	if f == nil {
		return "", false
	}
	var b strings.Builder
	for i, name := range f.names {
		b.WriteString(f.text[i])
		switch a := namedArg(args, name).(type) {
		case string:
			b.WriteString(a)
		case int:
			b.WriteString(strconv.Itoa(a))
		case int64:
			b.WriteString(strconv.FormatInt(a, 10))
		default: // missing, or printed otherwise by a template
			return "", false
		}
	}
	b.WriteString(f.text[len(f.names)])
	return b.String(), true
}

// namedArg is the value of the argument called name in args (name, value pairs), or nil.
func namedArg(args []any, name string) any {
	for i := 0; i+1 < len(args); i += 2 {
		if args[i] == name {
			return args[i+1]
		}
	}
	return nil
}

// Text returns message id in t's language as the catalogue writes it, with nothing filled in:
// for texts that hold placeholders of their own, such as the default mail texts' {{link}}. It
// falls back to Dutch, and to the id, as T does.
func (t *Translator) Text(id string) string {
	if t == nil {
		return id
	}
	msg, err := t.localizer.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateParser: template.IdentityParser{}})
	if msg == "" && err != nil {
		return id
	}
	return msg
}

// Or writes a choice between items as the language does: "nl of en", "nl, en of fy".
func (t *Translator) Or(items ...string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return t.T("common.format.or", "List", strings.Join(items[:len(items)-1], ", "), "Last", items[len(items)-1])
}

// Date writes a day as "3 januari 2018" or "3 January 2018", in Amsterdam time.
func (t *Translator) Date(d time.Time) string {
	d = d.In(Amsterdam)
	return t.T("common.format.date", "Day", d.Day(), "Month", t.month(d.Month()), "Year", d.Year())
}

// DayMonth writes a day as "3 januari" or "3 January", in Amsterdam time.
func (t *Translator) DayMonth(d time.Time) string {
	d = d.In(Amsterdam)
	return t.T("common.format.day_month", "Day", d.Day(), "Month", t.month(d.Month()))
}

// Time writes a time of day in Amsterdam time: "14:05" in Dutch, "2:05pm" in English.
func (t *Translator) Time(d time.Time) string {
	d = d.In(Amsterdam)
	h12 := d.Hour() % 12
	if h12 == 0 {
		h12 = 12
	}
	ampm := "am"
	if d.Hour() >= 12 {
		ampm = "pm"
	}
	return t.T("common.format.time", "Hour", d.Hour(), "Hour2", twoDigits(d.Hour()), "Minute", twoDigits(d.Minute()),
		"Hour12", h12, "AmPm", ampm)
}

// DateTime writes a moment as "3 januari 2018 om 14:05" or "3 January 2018 at 2:05pm".
func (t *Translator) DateTime(d time.Time) string {
	return t.T("common.format.date_time", "Date", t.Date(d), "Time", t.Time(d))
}

func (t *Translator) month(m time.Month) string {
	return t.T("common.month." + strconv.Itoa(int(m)))
}

// Number writes x with at most decimals decimals, trailing zeros dropped, with the language's
// decimal separator: 3,5 or 3.5. No thousands separator: a number may be a year or a code.
func (t *Translator) Number(x float64, decimals int) string {
	s := strconv.FormatFloat(x, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return strings.Replace(s, ".", t.T("common.format.decimal"), 1)
}

// Percent writes a percentage, x already in percent: "12,5 %" or "12.5%".
func (t *Translator) Percent(x float64, decimals int) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return t.T("common.format.percent", "Number", t.Number(x, decimals))
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Amsterdam is the time zone every date is shown in.
var Amsterdam = mustLocation("Europe/Amsterdam")

func mustLocation(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
}
