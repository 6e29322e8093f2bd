package handlers

import (
	"bytes"
	"html/template"
	"runtime"
	"sync"
	"weak"

	"peiling/models"
)

// questionMarkups holds, per survey definition as the respondent's pages show it (in one
// language, with one decimal separator: a *models.Definition that the handlers reuse for every
// request), the markup of each question as nobody has answered it yet, per page language.
// A section page is mostly its questions, and a question's markup is the same for every
// respondent until they type, tick or get an error: html/template spent most of a section page
// on it, calling its escapers through reflection six times per radio button.
//
// The key is a weak pointer, so that a definition that is replaced (a survey reloaded, a new
// version, a preview of the editor's draft) takes its markup with it when it is collected.
// Each Renderer has its own (Renderer.markups): the markup is its templates' output.
type questionMarkups struct {
	defs sync.Map // weak.Pointer[models.Definition] → *sync.Map (lang + "\x00" + question code → template.HTML)
}

// cacheQuestionMarkup is false only in TestQuestionMarkupChangesNoPage, which renders every
// section with and without the cache.
var cacheQuestionMarkup = true

// of is the markup kept for def, per page language and question.
func (qm *questionMarkups) of(def *models.Definition) *sync.Map {
	key := weak.Make(def)
	m, ok := qm.defs.Load(key)
	if !ok {
		var loaded bool
		if m, loaded = qm.defs.LoadOrStore(key, &sync.Map{}); !loaded {
			runtime.AddCleanup(def, func(k weak.Pointer[models.Definition]) { qm.defs.Delete(k) }, key)
		}
	}
	return m.(*sync.Map)
}

// cachedQuestion is the markup kept for question code of def on a page in language lang.
func (r *Renderer) cachedQuestion(def *models.Definition, lang, code string) (template.HTML, bool) {
	html, ok := r.markups.of(def).Load(lang + "\x00" + code)
	if !ok {
		return "", false
	}
	return html.(template.HTML), true
}

// keepQuestion renders question v, untouched, by the "question" template of the pages in
// language lang, and keeps it for def.
func (r *Renderer) keepQuestion(def *models.Definition, lang string, v *questionView) (template.HTML, error) {
	var b bytes.Buffer
	if err := r.pages[lang]["respond/section"].ExecuteTemplate(&b, "question", *v); err != nil {
		return "", err
	}
	html := template.HTML(b.String())
	r.markups.of(def).Store(lang+"\x00"+v.Name, html)
	return html, nil
}
