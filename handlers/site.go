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
	Surveys []models.Survey
}

func (h *Handler) showHome(c *echo.Context) error {
	ss, err := models.OpenSurveys(h.db.Read.WithContext(c.Request().Context()))
	if err != nil {
		return err
	}
	h.session(c)
	return c.Render(http.StatusOK, "site/home", homeView{Surveys: ss})
}

// SitePages are the pages the footer links to, by URL path and by file name in SiteTexts.
var SitePages = []string{"toegankelijkheid", "privacy", "contact"}

type sitePageView struct {
	Page  string
	Title string
	Text  string // the installation's own text; empty: the default
	// The default retention, which the default privacy text names.
	ContactDays, PendingDays, AnswerDays int
}

var sitePageTitles = map[string]string{
	"toegankelijkheid": "Toegankelijkheid",
	"privacy":          "Privacy",
	"contact":          "Contact",
}

// showSitePage shows one of the footer's pages, in this installation's words when it has them.
func (h *Handler) showSitePage(page string) echo.HandlerFunc {
	return func(c *echo.Context) error {
		return c.Render(http.StatusOK, "site/page", sitePageView{Page: page, Title: sitePageTitles[page], Text: h.cfg.SiteTexts[page],
			ContactDays: models.DefaultContactDays, PendingDays: models.DefaultPendingDays, AnswerDays: models.DefaultAnswerDays})
	}
}
