package handlers

import "github.com/labstack/echo/v5"

// resultsRoutes are the results, exports and API of closed surveys: researcher pages under
// a (/admin, logged in), the API and public pages on e.
func (h *Handler) resultsRoutes(e *echo.Echo, a *echo.Group) {}
