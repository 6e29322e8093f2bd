package handlers

import (
	"net/http"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// fieldworkRoutes are the researcher's pages for running surveys (all under /admin).
func (h *Handler) fieldworkRoutes(a *echo.Group) {
	a.GET("", h.showDashboard)
}

type dashboardView struct {
	Researcher *models.Researcher
	Surveys    []models.SurveyOverview
}

func (h *Handler) showDashboard(c *echo.Context) error {
	list, err := models.SurveyOverviews(h.db.Read.WithContext(c.Request().Context()))
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/dashboard", dashboardView{Researcher: researcher(c), Surveys: list})
}
