package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"peiling/locales"
	"peiling/models"
)

// errorView is the error page.
type errorView struct {
	Status   int
	Heading  string
	Message  string
	Back     string    // a link to go on from, if any
	BackText string    // the link's text; the survey's start page when empty
	key      string    // the messages error.KEY.heading and error.KEY.message
	at       time.Time // the moment a message names, if any
}

const errorHandledKey = "error_handled"

// handleError is the only place where an error becomes a page.
func (h *Handler) handleError(c *echo.Context, err error) {
	// echo calls this twice for one error: from the request logger (HandleError) and again
	// when the error reaches the top. The second call must not log it again.
	if c.Get(errorHandledKey) != nil {
		return
	}
	c.Set(errorHandledKey, true)
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		// The status line is sent, so no error page can follow and the client sees a cut-off
		// download at most: the log is the only place the cause is kept.
		level := slog.LevelError
		if errors.Is(err, context.Canceled) {
			level = slog.LevelWarn // the client went away
		}
		h.log.Log(c.Request().Context(), level, "response failed after it started", "path", c.Path(), "status", r.Status, "err", err)
		return
	}
	view := describeError(tr(c), err)
	if errors.Is(err, errStillComputing) {
		c.Response().Header().Set("Retry-After", "30")
	} else if view.Status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "request failed", "path", c.Path(), "err", err)
	}
	if view.Status == http.StatusTooManyRequests {
		if rl := (*retryAfterError)(nil); errors.As(err, &rl) {
			c.Response().Header().Set("Retry-After", rl.seconds())
		}
	}
	if slug := c.Param("slug"); slug != "" && view.Back == "" && view.Status < 500 {
		view.Back = "/s/" + slug
		if strings.HasPrefix(c.Request().URL.Path, "/admin/") {
			view.Back, view.BackText = "/admin/surveys/"+slug, tr(c).T("error.back_to_survey")
		}
	}
	if rerr := c.Render(view.Status, "site/error", view); rerr != nil {
		h.log.Error("render error page", "err", rerr)
		_ = c.String(view.Status, http.StatusText(view.Status))
	}
}

// describeError words err for its page in the visitor's language.
func describeError(t *locales.Translator, err error) errorView {
	v := errorPage(err)
	v.Heading, v.Message = t.T("error."+v.key+".heading"), t.T("error."+v.key+".message", "At", t.DateTime(v.at))
	if v.BackText != "" {
		v.BackText = t.T(v.BackText)
	}
	return v
}

// errorPage picks the status and the messages (error.KEY.heading and .message) of err.
func errorPage(err error) errorView {
	page := func(status int, key string) errorView { return errorView{Status: status, key: key} }
	switch {
	case errors.Is(err, models.ErrNotFound):
		return page(http.StatusNotFound, "not_found")
	case errors.Is(err, models.ErrSurveyClosed):
		return page(http.StatusGone, "survey_closed")
	case errors.Is(err, models.ErrSurveyNotOpen):
		return page(http.StatusForbidden, "survey_not_open")
	case errors.Is(err, models.ErrAlreadySubmitted):
		return page(http.StatusConflict, "already_submitted")
	case errors.Is(err, models.ErrWrongStatus):
		return page(http.StatusConflict, "wrong_status")
	case errors.Is(err, models.ErrBadSetupLink):
		v := page(http.StatusNotFound, "bad_setup_link")
		v.Back, v.BackText = "/admin/login", "error.bad_setup_link.back"
		return v
	case errors.Is(err, models.ErrNotStored), errors.Is(err, models.ErrClosed):
		return page(http.StatusServiceUnavailable, "not_stored")
	case errors.Is(err, errStillComputing):
		return page(http.StatusServiceUnavailable, "still_computing")
	case errors.Is(err, middleware.ErrCSRFInvalid):
		return page(http.StatusForbidden, "csrf")
	}
	var deleted *models.AnswersDeletedError
	if errors.As(err, &deleted) {
		v := page(http.StatusGone, "answers_deleted")
		v.at = deleted.At
		return v
	}
	var tooMany *retryAfterError
	if errors.As(err, &tooMany) {
		if tooMany.key != "" {
			return page(http.StatusTooManyRequests, tooMany.key)
		}
		return page(http.StatusTooManyRequests, "too_many_links")
	}
	status := echo.StatusCode(err)
	switch status {
	case 0:
		status = http.StatusInternalServerError
	case http.StatusNotFound:
		return errorPage(models.ErrNotFound)
	case http.StatusMethodNotAllowed:
		return page(status, "method")
	case http.StatusRequestEntityTooLarge:
		return page(status, "too_large")
	}
	if status >= 500 {
		return page(status, "ours")
	}
	return page(status, "bad_request")
}

// notStored reports whether a respondent's write failed for a reason of ours (a storage error
// such as a full disk, or anything else unexpected) rather than a rule about their answers:
// their form is then shown again, with their input and notStoredMessage, as a 503.
func notStored(err error) bool {
	return err != nil && errorPage(err).Status >= http.StatusInternalServerError
}

// notStoredMessage tells a respondent that what they just sent is not stored, and that it is
// not their doing: the disk is full, or some other storage failure.
func notStoredMessage(c *echo.Context) string { return tr(c).T("error.not_stored.message") }
