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
