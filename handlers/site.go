package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

func (h *Handler) health(c *echo.Context) error {
	if err := h.db.Ping(c.Request().Context()); err != nil {
		return c.String(http.StatusServiceUnavailable, "database unreachable\n")
	}
	return c.String(http.StatusOK, "ok\n")
}

type homeView struct {
	Surveys []homeSurvey
}

// homeSurvey is an open survey on the home page, with its title in the visitor's language
// where it has one; Lang marks a title in another language than the page's.
type homeSurvey struct {
	Slug, Title, Lang string
}

func (h *Handler) showHome(c *echo.Context) error {
	ss, err := models.OpenSurveys(h.db.Read.WithContext(c.Request().Context()))
	if err != nil {
		return err
	}
	h.session(c)
	t := tr(c)
	var view homeView
	for _, s := range ss {
		hs := homeSurvey{Slug: s.Slug, Title: s.Title}
		if def, err := s.Def(); err == nil {
			local := localDef(c, def) // shared: read only
			hs.Title = local.Title
			if local.Lang() != t.Code() {
				hs.Lang = local.Lang()
			}
		}
		view.Surveys = append(view.Surveys, hs)
	}
	return c.Render(http.StatusOK, "site/home", view)
}

// SitePages are the pages the footer links to, by URL path and by file name in SiteTexts.
var SitePages = []string{"toegankelijkheid", "privacy", "contact"}

type sitePageView struct {
	Page     string
	Title    string
	Text     string // the installation's own text; empty: the default
	TextLang string // Text's language when it is not the page's: a Dutch text on an English page
	// The default retention, which the default privacy text names.
	ContactDays, PendingDays, AnswerDays int
}

// SiteTextNames are the names, without .txt, of the files that may hold an installation's own
// footer page texts: privacy.txt in Dutch, privacy.en.txt in English, and so on.
func SiteTextNames() []string {
	var names []string
	for _, page := range SitePages {
		names = append(names, page)
		for _, t := range catalogue.Languages()[1:] {
			names = append(names, page+"."+t.Code())
		}
	}
	return names
}

// showSitePage shows one of the footer's pages, in this installation's words when it has them:
// in the visitor's language if given, else the Dutch text, marked as Dutch.
func (h *Handler) showSitePage(page string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		t := tr(c)
		v := sitePageView{Page: page, Title: t.T("site.page." + page),
			ContactDays: models.DefaultContactDays, PendingDays: models.DefaultPendingDays, AnswerDays: models.DefaultAnswerDays}
		if text, ok := h.cfg.SiteTexts[page+"."+t.Code()]; ok {
			v.Text = text
		} else if text, ok := h.cfg.SiteTexts[page]; ok {
			v.Text = text
			if t.Code() != h.lang.Dutch().Code() {
				v.TextLang = h.lang.Dutch().Code()
			}
		}
		return c.Render(http.StatusOK, "site/page", v)
	}
}
