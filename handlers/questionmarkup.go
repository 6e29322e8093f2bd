package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"peiling/models"
)

// cacheQuestionMarkup is false only in TestQuestionMarkupChangesNoPage, which renders every
// section with and without the cache.
var cacheQuestionMarkup = true

// keptMarkup is the markup kept for a question, or for the block around a section's
// questions. The municipality picker lists the survey's register, which can be reloaded while
// the definition stays: markup holding it is valid for that register only (and keeps it, so
// that no other register can take its address).
type keptMarkup struct {
	html template.HTML
	reg  *models.Register // the picker's, when it is on it; nil otherwise
}

// cachedQuestion is the markup kept for question code of def on a page in language lang,
// with register reg.
func (r *Renderer) cachedQuestion(def *models.Definition, lang, code string, reg *models.Register) (template.HTML, bool) {
	v, ok := r.markups.Of(def).Load(lang + "\x00" + code)
	if !ok {
		return "", false
	}
	k := v.(keptMarkup)
	if k.reg != nil && k.reg != reg {
		return "", false
	}
	return k.html, true
}

// keepQuestion renders question v, untouched, by the "question" template of the pages in
// language lang, and keeps it for def (and, for the picker, reg).
func (r *Renderer) keepQuestion(def *models.Definition, lang string, v *questionView, reg *models.Register) (template.HTML, error) {
	section, err := r.template(lang, "respond/section")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := section.ExecuteTemplate(&b, "question", *v); err != nil {
		return "", err
	}
	k := keptMarkup{html: template.HTML(b.String())}
	if v.Kind == models.KindMunicipality {
		k.reg = reg
	}
	r.markups.Of(def).Store(lang+"\x00"+v.Name, k)
	return k.html, nil
}

// withAnswer is the kept, untouched markup html of q with the respondent's answer on it, when
// the answer is all that differs: ticks on choices (withTicks) and the words of "other", a
// municipality's name or a number (withValue), a text (withText); false when the template
// must render q (an error on it, a did-you-mean choice, an input not found exactly once).
func withAnswer(html template.HTML, q *models.Question, values url.Values, msgs map[string]string) (template.HTML, bool) {
	switch q.Kind {
	case models.KindMunicipality:
		if msgs[q.Code] != "" || len(values[models.PickField(q)]) > 0 {
			return "", false
		}
		return withValue(html, fieldID(q.Code), q.Code, values.Get(q.Code))
	case models.KindNumber:
		if msgs[q.Code] != "" {
			return "", false
		}
		return withValue(html, fieldID(q.Code), q.Code, values.Get(q.Code))
	case models.KindText:
		if msgs[q.Code] != "" {
			return "", false
		}
		return withText(html, fieldID(q.Code), q.Code, values.Get(q.Code))
	}
	ticks, ok := onlyTicks(q, values, msgs)
	if !ok {
		return "", false
	}
	if html, ok = withTicks(html, ticks); !ok {
		return "", false
	}
	if other := models.OtherField(q); hasOther(q.Options) && values.Get(other) != "" {
		return withValue(html, fieldID(other, "tekst"), other, values.Get(other))
	}
	return html, true
}

// withText is the kept markup of the textarea with id and name with text as its content,
// escaped as html/template escapes it there (RCDATA, the same table).
func withText(html template.HTML, id, name, text string) (template.HTML, bool) {
	s := string(html)
	i, ok := indexOnce(s, `<textarea class="textarea" id="`+id+`" name="`+name+`"`)
	if !ok {
		return "", false
	}
	end := strings.Index(s[i:], "></textarea>")
	if end < 0 {
		return "", false
	}
	at := i + end + 1 // after the start tag's >
	return template.HTML(s[:at] + htmlEscaper.Replace(text) + s[at:]), true
}

// withValue is the kept markup of the text input with id and name with value in its empty
// value attribute, escaped as html/template escapes an attribute.
func withValue(html template.HTML, id, name, value string) (template.HTML, bool) {
	s := string(html)
	input := ` id="` + id + `" name="` + name + `" value=""`
	i, ok := indexOnce(s, input)
	if !ok {
		return "", false
	}
	at := i + len(input) - 1 // before the closing quote
	return template.HTML(s[:at] + htmlEscaper.Replace(value) + s[at:]), true
}

// indexOnce is where part is in s, when it is there exactly once: an input found more than
// once, or not at all, is left to the template.
func indexOnce(s, part string) (int, bool) {
	i := strings.Index(s, part)
	if i < 0 || strings.Contains(s[i+len(part):], part) {
		return 0, false
	}
	return i, true
}

// tick is one ticked choice: the form field and the option's code.
type tick struct{ field, code string }

// onlyTicks returns the ticked choices of q when they are, besides the words in its "other"
// field, all that is the respondent's own on it: a single, multiple or statements question
// without errors. Its markup is then the untouched markup with those inputs checked
// (withTicks) and the words put in (withValue): that is how a section with saved answers is
// seen again.
func onlyTicks(q *models.Question, values url.Values, msgs map[string]string) ([]tick, bool) {
	var fields []string
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		fields = []string{q.Code}
		if hasOther(q.Options) && msgs[models.OtherField(q)] != "" {
			return nil, false
		}
	case models.KindLikert:
		for _, s := range q.Statements {
			fields = append(fields, models.StatementField(q, s))
		}
	default:
		return nil, false
	}
	var ticks []tick
	for _, f := range fields {
		if msgs[f] != "" {
			return nil, false
		}
		for _, code := range values[f] {
			if !slices.Contains(ticks, tick{f, code}) {
				ticks = append(ticks, tick{f, code})
			}
		}
	}
	return ticks, true
}

// withTicks is the untouched markup of a question with the inputs of ticks checked, as the
// "choices" template writes them: ` checked` right after the input's id, name and value. It
// gives up (false) when an input is not found exactly once, for a code that is not an option
// or that the template would have escaped; the template then renders the question.
func withTicks(html template.HTML, ticks []tick) (template.HTML, bool) {
	s := string(html)
	at := make([]int, 0, len(ticks))
	for _, t := range ticks {
		input := ` id="` + fieldID(t.field, t.code) + `" name="` + t.field + `" value="` + t.code + `"`
		i, ok := indexOnce(s, input)
		if !ok {
			return "", false
		}
		at = append(at, i+len(input))
	}
	slices.Sort(at)
	var b strings.Builder
	b.Grow(len(s) + len(at)*len(" checked"))
	last := 0
	for _, i := range at {
		b.WriteString(s[last:i])
		b.WriteString(" checked")
		last = i
	}
	b.WriteString(s[last:])
	return template.HTML(b.String()), true
}

// csrfMark and questionsMark stand for the CSRF token and the questions in a kept section
// block: letters only, so no escaper changes them, and found nowhere else on a page.
const (
	csrfMark      = "PEILINGCSRFTOKENMARK"
	questionsMark = "PEILINGQUESTIONSMARK"
)

// keptSectionMain returns the "main" block of section page view when every question on it
// comes as markup (kept untouched, or with the respondent's answers put in: withAnswer) and
// nothing else on it is the respondent's own. The block around the questions is the same
// bytes for every respondent who sees this section with the same steps, so it is rendered
// once and kept for def (and reg, for the picker's section), with the CSRF token and the
// questions put in per request. It is empty when the page must be rendered as it is.
//
// key holds everything the block shows besides def's texts in the page's language: the
// survey's slug and title, which page and step of how many, the questions shown (skip logic
// may hide some), whether the respondent came from the check page, and the language of the
// survey's texts. TestQuestionMarkupChangesNoPage renders every page with and without.
func (h *Handler) keptSectionMain(c *echo.Context, def *models.Definition, view *sectionView, reg *models.Register) (template.HTML, error) {
	if !cacheQuestionMarkup || len(view.Errors) > 0 || view.Locked != "" || c.Get(previewKey) != nil {
		return "", nil
	}
	if content, _ := c.Get(contentDefKey).(*models.Definition); content != def {
		return "", nil
	}
	t := tr(c)
	var key strings.Builder
	size := 0
	for _, q := range view.Questions {
		if q.Markup == "" {
			return "", nil
		}
		key.WriteString("\x00" + q.Name)
		size += len(q.Markup)
	}
	fmt.Fprintf(&key, "\x00main\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00%v", t.Code(), contentLang(c, t), view.Survey.Slug, view.Survey.Title, view.Page, view.Step, view.Steps, view.ToCheck)
	kept := h.render.markups.Of(def)
	v, ok := kept.Load(key.String())
	main, _ := v.(keptMarkup)
	if !ok || main.reg != nil && main.reg != reg {
		section, err := h.render.template(t.Code(), "respond/section")
		if err != nil {
			return "", err
		}
		marked := *view
		marked.Questions = []questionView{{Markup: questionsMark}}
		f := h.render.frameOf(c, t, marked)
		f.CSRF = csrfMark
		var b strings.Builder
		if err := section.ExecuteTemplate(&b, "main", f); err != nil {
			return "", err
		}
		if strings.Count(b.String(), csrfMark) != 1 || strings.Count(b.String(), questionsMark) != 1 {
			return "", nil
		}
		main = keptMarkup{html: template.HTML(b.String()), reg: reg} // the picker's list may be on it
		kept.Store(key.String(), main)
	}
	token, _ := c.Get(middleware.DefaultCSRFConfig.ContextKey).(string)
	before, after, _ := strings.Cut(string(main.html), questionsMark)
	var b strings.Builder
	b.Grow(len(main.html) + size + len(token))
	withToken := func(part string) { // the token is in one of the two parts
		pre, post, found := strings.Cut(part, csrfMark)
		b.WriteString(pre)
		if found {
			htmlEscaper.WriteString(&b, token)
			b.WriteString(post)
		}
	}
	withToken(before)
	for _, q := range view.Questions {
		b.WriteString(string(q.Markup))
	}
	withToken(after)
	return template.HTML(b.String()), nil
}
