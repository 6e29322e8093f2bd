package handlers

import (
	"maps"
	"net/http"
	"net/url"
	"path"
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
	// contentDefKey holds the definition whose texts a handler put on the page (frame.TextLang).
	contentDefKey = "content_def"
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

// languageLinks are the switch's links: the current page in every other language, by GET, as
// chooseLanguage takes ?lang only from a GET. A page that answered a POST links to switchPath.
func (r *Renderer) languageLinks(c *echo.Context, current *locales.Translator) []languageLink {
	var links []languageLink
	p, q := switchPath(c)
	for _, t := range r.lang.Languages() {
		if t.Code() == current.Code() {
			continue
		}
		q := maps.Clone(q)
		q.Set(langParam, t.Code())
		links = append(links, languageLink{Code: t.Code(), Name: t.Name(), URL: (&url.URL{Path: p, RawQuery: q.Encode()}).String()})
	}
	return links
}

// getTwins are the pages a POST-only address shows again, when its form came back: the
// check page after a refused /verzenden, and so on.
var getTwins = map[string]string{
	"/s/:slug/verzenden":  "/s/:slug/controleren",
	"/s/:slug/start":      "/s/:slug",
	"/s/:slug/later/mail": "/s/:slug/later",
}

// switchPath is the address (path and query) of the page on screen that answers a GET: the
// request's own after a GET; after a POST, the page its form came from (getTwins), else the
// same address if it also answers a GET, else the nearest address above it that does
// (/admin/surveys/x/email/teksten → /admin/surveys/x/email). Only a path of this site, cleaned,
// so that the switch never leads elsewhere.
func switchPath(c *echo.Context) (string, url.Values) {
	req := c.Request()
	p := path.Clean("/" + req.URL.Path)
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return p, req.URL.Query()
	}
	routes := c.Echo().Router().Routes()
	if twin, ok := getTwins[c.Path()]; ok {
		if filled, ok := fillPattern(c, twin); ok {
			return filled, url.Values{}
		}
	}
	for ; p != "/"; p = path.Dir(p) {
		for _, r := range routes {
			if r.Method == http.MethodGet && routeMatches(r.Path, p) {
				return p, url.Values{}
			}
		}
	}
	return "/", url.Values{}
}

// fillPattern puts the request's path parameters into a route pattern.
func fillPattern(c *echo.Context, pattern string) (string, bool) {
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			v := c.Param(name)
			if v == "" || strings.ContainsAny(v, "/\\") {
				return "", false
			}
			segs[i] = v
		}
	}
	return path.Clean("/" + strings.Join(segs, "/")), true
}

// routeMatches reports whether path p is one of route pattern's addresses (":name" is any one
// segment, "*" the rest).
func routeMatches(pattern, p string) bool {
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/")
	for i, seg := range ps {
		if strings.HasPrefix(seg, "*") {
			return true
		}
		if i >= len(xs) {
			return false
		}
		if strings.HasPrefix(seg, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if seg != xs[i] {
			return false
		}
	}
	return len(ps) == len(xs)
}

// hasLanguageChoice reports whether the visitor chose a language with the switch, or their
// browser named one of ours: an invitation's language then yields.
func (h *Handler) hasLanguageChoice(c *echo.Context) bool {
	if ck, err := c.Request().Cookie(langCookie); err == nil && h.lang.Translator(ck.Value) != nil {
		return true
	}
	return h.lang.Accepted(c.Request().Header.Get("Accept-Language")) != nil || strings.TrimSpace(c.QueryParam(langParam)) != ""
}
