package handlers

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestQuestionMarkupChangesNoPage renders every section of the reference survey, in Dutch and
// in English, untouched, half answered and with errors, once with the questions' cached markup
// (questionMarkup) and once through the "question" template on every request. The pages must
// be the same bytes; and an untouched page must actually use the cache.
func TestQuestionMarkupChangesNoPage(t *testing.T) {
	app := newTestApp(t)
	defer func() { cacheQuestionMarkup = true }()
	both := func(c *client, get func() *page) *page {
		cacheQuestionMarkup = true
		cached := get()
		cacheQuestionMarkup = false
		plain := get()
		cacheQuestionMarkup = true
		// A check page reached by sending the last section carries a fresh submission token.
		samePages(t, "cached/plain", []*page{cached}, []*page{plain}, submission)
		return cached
	}
	for _, lang := range []string{"nl", "en"} {
		c := app.newClient()
		c.get("/s/" + refSlug + "?lang=" + lang)
		c.start()
		for step := 1; step <= 5; step++ {
			u := "/s/" + refSlug + "/stap/" + string(rune('0'+step))
			both(c, func() *page { return c.get(u) })
			// Sent without answers: every required question gets its error.
			both(c, func() *page { return c.post(u, url.Values{"actie": {"volgende"}}) })
		}
		c.fillAll("Ede")
		for step := 1; step <= 5; step++ {
			u := "/s/" + refSlug + "/stap/" + string(rune('0'+step))
			both(c, func() *page { return c.get(u) }) // answered: from the template
		}
		// One answer wrong, the rest as saved: errors beside cached neighbours.
		both(c, func() *page {
			return c.post("/s/"+refSlug+"/stap/2", url.Values{"kc_concreet": {strings.Repeat("x", 5000)}, "actie": {"volgende"}})
		})
	}
	if app.h.render.markups.Len() == 0 {
		t.Error("no question markup was cached: an untouched section page did not use the cache")
	}
}

var submission = regexp.MustCompile(`name="inzending" value="[^"]*"`)
