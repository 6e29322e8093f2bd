package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// cacheQuestionMarkup is false only in TestQuestionMarkupChangesNoPage, which renders every
// section with and without the cache.
var cacheQuestionMarkup = true

// cachedQuestion is the markup kept for question code of def on a page in language lang.
func (r *Renderer) cachedQuestion(def *models.Definition, lang, code string) (template.HTML, bool) {
	html, ok := r.markups.Of(def).Load(lang + "\x00" + code)
	if !ok {
		return "", false
	}
	return html.(template.HTML), true
}

// keepQuestion renders question v, untouched, by the "question" template of the pages in
// language lang, and keeps it for def.
func (r *Renderer) keepQuestion(def *models.Definition, lang string, v *questionView) (template.HTML, error) {
	section, err := r.template(lang, "respond/section")
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := section.ExecuteTemplate(&b, "question", *v); err != nil {
		return "", err
	}
	html := template.HTML(b.String())
	r.markups.Of(def).Store(lang+"\x00"+v.Name, html)
	return html, nil
}

// tick is one ticked choice: the form field and the option's code.
type tick struct{ field, code string }

// onlyTicks returns the ticked choices of q when they are all that is the respondent's own
// on it: a single, multiple or statements question without errors and without words in its
// "other" field. Its markup is then the untouched markup with those inputs checked
// (withTicks): that is how a section with saved answers is seen again.
func onlyTicks(q *models.Question, values url.Values, msgs map[string]string) ([]tick, bool) {
	var fields []string
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		fields = []string{q.Code}
		if hasOther(q.Options) {
			for _, v := range values[models.OtherField(q)] {
				if v != "" {
					return nil, false
				}
			}
			if msgs[models.OtherField(q)] != "" {
				return nil, false
			}
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
		i := strings.Index(s, input)
		if i < 0 || strings.Contains(s[i+len(input):], input) {
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

// csrfMark stands for the CSRF token in a kept section page: letters only, so no escaper
// changes it, and found nowhere else on a page.
const csrfMark = "PEILINGCSRFTOKENMARK"

// keptSectionMain returns the "main" block of section page view when every question on it is
// untouched (kept markup) and nothing else on it is the respondent's own: the same bytes for
// every respondent who sees this section with the same steps, so it is rendered once and kept
// for def, with the CSRF token put in per request. It is empty when the page must be rendered
// as it is.
//
// key holds everything the block shows besides def's texts in the page's language: the
// survey's slug and title, which page and step of how many, the questions shown (skip logic
// may hide some), whether the respondent came from the check page, and the language of the
// survey's texts. TestQuestionMarkupChangesNoPage renders every page with and without.
func (h *Handler) keptSectionMain(c *echo.Context, def *models.Definition, view *sectionView) (template.HTML, error) {
	if !cacheQuestionMarkup || len(view.Errors) > 0 || view.Locked != "" || c.Get(previewKey) != nil {
		return "", nil
	}
	if content, _ := c.Get(contentDefKey).(*models.Definition); content != def {
		return "", nil
	}
	t := tr(c)
	f := h.render.frameOf(c, t, *view)
	var key strings.Builder
	fmt.Fprintf(&key, "main\x00%s\x00%s\x00%s\x00%s\x00%d\x00%d\x00%d\x00%v", t.Code(), f.ContentLang, view.Survey.Slug, view.Survey.Title, view.Page, view.Step, view.Steps, view.ToCheck)
	for _, q := range view.Questions {
		if !q.pristine || q.Markup == "" {
			return "", nil
		}
		key.WriteString("\x00" + q.Name)
	}
	kept := h.render.markups.Of(def)
	main, ok := kept.Load(key.String())
	if !ok {
		token := f.CSRF
		f.CSRF = csrfMark
		section, err := h.render.template(t.Code(), "respond/section")
		if err != nil {
			return "", err
		}
		var b strings.Builder
		if err := section.ExecuteTemplate(&b, "main", f); err != nil {
			return "", err
		}
		if strings.Count(b.String(), csrfMark) != 1 {
			return "", nil
		}
		main = b.String()
		kept.Store(key.String(), main)
		f.CSRF = token
	}
	return template.HTML(strings.Replace(main.(string), csrfMark, htmlEscaper.Replace(f.CSRF), 1)), nil
}
