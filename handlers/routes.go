package handlers

import (
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// routes lists Peiling's whole URL space.
func (h *Handler) routes(e *echo.Echo) {
	e.Use(middleware.Recover(), h.logRequests(), h.securityHeaders, h.chooseLanguage, middleware.BodyLimit(maxBodyBytes), h.csrf())

	e.GET("/healthz", h.health)
	e.StaticFS("/static", h.cfg.Static, cacheStatic)
	e.GET("/", h.showHome)
	for _, page := range SitePages {
		e.GET("/"+page, h.showSitePage(page))
	}

	// Respondents: one questionnaire per municipality.
	s := e.Group("/s/:slug")
	s.GET("", h.showStart)
	s.POST("/start", h.startDraft)
	s.GET("/stap/:n", h.showSection)
	s.POST("/stap/:n", h.saveSection)
	s.GET("/controleren", h.showCheck)
	s.POST("/verzenden", h.submitResponse)
	s.GET("/bevestiging", h.showConfirmation)
	s.GET("/later", h.showResumeLink)
	s.POST("/later/mail", h.mailResumeLink)
	s.GET("/hervat/:token", h.resumeDraft)
	s.GET("/uitnodiging/:token", h.followInvitation)
	s.GET("/rapport/:code", h.showBenchmark)

	// Researchers: fieldwork, and results once a survey is closed.
	e.GET("/admin/login", h.showLogin)
	e.POST("/admin/login", h.login)
	e.POST("/admin/logout", h.logout)
	e.GET("/admin/setup/:token", h.showSetup)
	e.POST("/admin/setup/:token", h.createFirstResearcher)
	a := e.Group("/admin", h.requireResearcher, h.forgetSurveysAfterChanges)
	h.fieldworkRoutes(a)
	h.invitationRoutes(a)
	h.draftRoutes(a)
	h.editorRoutes(a)
	h.previewRoutes(e, a)
	h.retentionRoutes(a)
	h.resultsRoutes(e, a)
}
