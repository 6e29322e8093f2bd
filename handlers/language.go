package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v5"

	"peiling/locales"
)

const (
	langKey    = "lang"
	langCookie = "peiling_lang"
	langParam  = "lang"
	// contentLangKey holds the language of the survey texts a handler put on the page.
	contentLangKey = "content_lang"
)

// chooseLanguage picks the language of every page and message of the request: a choice made
// with the switch (?lang=en, then kept in a cookie), else the browser's Accept-Language, else
// the language of the invitation the visitor followed (kept in the same cookie by
// followInvitation only when the browser named none of ours), else Dutch.
func (h *Handler) chooseLanguage(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		t := h.languageOf(c)
		c.Set(langKey, t)
		c.Response().Header().Set("Content-Language", t.Code())
		return next(c)
	}
}

func (h *Handler) languageOf(c *echo.Context) *locales.Translator {
	req := c.Request()
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		if t := h.lang.Translator(c.QueryParam(langParam)); t != nil {
			h.keepLanguage(c, t)
			return t
		}
	}
	if ck, err := req.Cookie(langCookie); err == nil {
		if t := h.lang.Translator(ck.Value); t != nil {
			return t
		}
	}
	if t := h.lang.Accepted(req.Header.Get("Accept-Language")); t != nil {
		return t
	}
	return h.lang.Dutch()
}

// keepLanguage remembers a chosen language for a year.
func (h *Handler) keepLanguage(c *echo.Context, t *locales.Translator) {
	c.SetCookie(&http.Cookie{Name: langCookie, Value: t.Code(), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure(c)})
}

// tr is the request's translator; Dutch before chooseLanguage ran.
func tr(c *echo.Context) *locales.Translator {
	if t, ok := c.Get(langKey).(*locales.Translator); ok {
		return t
	}
	return catalogue.Dutch()
}

// catalogue is every language's messages, embedded and never changed: one for the process.
var catalogue = mustCatalogue()

func mustCatalogue() *locales.Catalogue {
	c, err := locales.Load()
	if err != nil {
		panic(err) // the catalogue is embedded: TestEveryLanguageHasEveryKey keeps it loadable
	}
	return c
}

// languageLinks are the switch's links: the current page in every other language. A page
// that answered a POST links to its own address, which every such form also serves by GET.
func (r *Renderer) languageLinks(c *echo.Context, current *locales.Translator) []languageLink {
	var links []languageLink
	for _, t := range r.lang.Languages() {
		if t.Code() == current.Code() {
			continue
		}
		u := *c.Request().URL
		q := u.Query()
		q.Set(langParam, t.Code())
		links = append(links, languageLink{Code: t.Code(), Name: t.Name(), URL: (&url.URL{Path: u.Path, RawQuery: q.Encode()}).String()})
	}
	return links
}

// hasLanguageChoice reports whether the visitor chose a language with the switch, or their
// browser named one of ours: an invitation's language then yields.
func (h *Handler) hasLanguageChoice(c *echo.Context) bool {
	if ck, err := c.Request().Cookie(langCookie); err == nil && h.lang.Translator(ck.Value) != nil {
		return true
	}
	return h.lang.Accepted(c.Request().Header.Get("Accept-Language")) != nil || strings.TrimSpace(c.QueryParam(langParam)) != ""
}
