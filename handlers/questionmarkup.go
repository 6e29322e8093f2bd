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
	// inputs maps the id, name and value attributes of each input in html, as withAnswer
	// looks them up (` id="…" name="…" value="…"`), to where they end; -1 for attributes
	// found more than once. Looked up, not searched for: a statements question has dozens of
	// inputs, and searching its markup for each ticked one was a fifth of a page seen again.
	inputs map[string]int
}

// newKeptMarkup keeps html, with the index of its inputs.
func newKeptMarkup(html template.HTML) keptMarkup {
	s := string(html)
	inputs := map[string]int{}
	for i := 0; ; {
		j := strings.Index(s[i:], "<input ")
		if j < 0 {
			break
		}
		start := i + j
		end := strings.IndexByte(s[start:], '>')
		if end < 0 {
			break
		}
		tag := s[start : start+end]
		i = start + end
		id := strings.Index(tag, ` id="`)
		value := strings.Index(tag, ` value="`)
		if id < 0 || value < id {
			continue
		}
		closing := strings.IndexByte(tag[value+len(` value="`):], '"')
		if closing < 0 {
			continue
		}
		stop := value + len(` value="`) + closing + 1
		key := tag[id:stop]
		if _, seen := inputs[key]; seen || strings.Count(s, key) != 1 {
			inputs[key] = -1 // as indexOnce: found more than once, left to the template
			continue
		}
		inputs[key] = start + stop
	}
	return keptMarkup{html: html, inputs: inputs}
}

// after is where input (` id="…" name="…" value="…"`) ends in k, when it is there once.
func (k keptMarkup) after(input string) (int, bool) {
	i, ok := k.inputs[input]
	return i, ok && i >= 0
}

// cachedQuestion is the markup kept for question code of def on a page in language lang,
// with register reg.
func (r *Renderer) cachedQuestion(def *models.Definition, lang, code string, reg *models.Register) (keptMarkup, bool) {
	v, ok := r.markups.Of(def).Load(lang + "\x00" + code)
	if !ok {
		return keptMarkup{}, false
	}
	k := v.(keptMarkup)
	if k.reg != nil && k.reg != reg {
		return keptMarkup{}, false
	}
	return k, true
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
	k := newKeptMarkup(template.HTML(b.String()))
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
func withAnswer(k keptMarkup, q *models.Question, values url.Values, msgs map[string]string) (template.HTML, bool) {
	var ins []insertion
	switch q.Kind {
	case models.KindMunicipality:
		if msgs[q.Code] != "" || len(values[models.PickField(q)]) > 0 {
			return "", false
		}
		ins = withValue(k, fieldID(q.Code), q.Code, values.Get(q.Code), ins)
	case models.KindNumber:
		if msgs[q.Code] != "" {
			return "", false
		}
		ins = withValue(k, fieldID(q.Code), q.Code, values.Get(q.Code), ins)
	case models.KindText:
		if msgs[q.Code] != "" {
			return "", false
		}
		return withText(k.html, fieldID(q.Code), q.Code, values.Get(q.Code))
	default:
		ticks, ok := onlyTicks(q, values, msgs)
		if !ok {
			return "", false
		}
		ins = withTicks(k, ticks)
		if other := models.OtherField(q); ins != nil && hasOther(q.Options) && values.Get(other) != "" {
			ins = withValue(k, fieldID(other, "tekst"), other, values.Get(other), ins)
		}
	}
	if ins == nil {
		return "", false
	}
	return spliced(string(k.html), ins), true
}

// insertion is text to put into kept markup at byte at.
type insertion struct {
	at   int
	text string
}

// spliced is s with every insertion made, in one copy.
func spliced(s string, ins []insertion) template.HTML {
	slices.SortFunc(ins, func(a, b insertion) int { return a.at - b.at })
	n := len(s)
	for _, in := range ins {
		n += len(in.text)
	}
	var b strings.Builder
	b.Grow(n)
	last := 0
	for _, in := range ins {
		b.WriteString(s[last:in.at])
		b.WriteString(in.text)
		last = in.at
	}
	b.WriteString(s[last:])
	return template.HTML(b.String())
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

// withValue adds to ins the value for the text input with id and name in k, in its empty
// value attribute, escaped as html/template escapes an attribute; nil when the input is not
// there once.
func withValue(k keptMarkup, id, name, value string, ins []insertion) []insertion {
	end, ok := k.after(` id="` + id + `" name="` + name + `" value=""`)
	if !ok {
		return nil
	}
	return append(ins, insertion{end - 1, htmlEscaper.Replace(value)}) // before the closing quote
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

// withTicks is what checks the inputs of ticks in a question's untouched markup k, as the
// "choices" template writes them: ` checked` right after the input's id, name and value. It
// gives up (nil) when an input is not found exactly once, for a code that is not an option
// or that the template would have escaped; the template then renders the question.
func withTicks(k keptMarkup, ticks []tick) []insertion {
	ins := make([]insertion, 0, len(ticks)+1)
	for _, t := range ticks {
		end, ok := k.after(` id="` + fieldID(t.field, t.code) + `" name="` + t.field + `" value="` + t.code + `"`)
		if !ok {
			return nil
		}
		ins = append(ins, insertion{end, " checked"})
	}
	return ins
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
