package handlers

import (
	"bytes"
	"html/template"

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
	var b bytes.Buffer
	if err := r.pages[lang]["respond/section"].ExecuteTemplate(&b, "question", *v); err != nil {
		return "", err
	}
	html := template.HTML(b.String())
	r.markups.Of(def).Store(lang+"\x00"+v.Name, html)
	return html, nil
}
