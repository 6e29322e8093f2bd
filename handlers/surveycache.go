package handlers

import (
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/models"
)

// surveyTTL is how long a respondent's request may use a survey row read by an earlier one.
// Every respondent request needs the row, and reading it was an eighth of the server's work
// under load. A second of staleness shows at most a page: each write checks the survey's
// status again inside its transaction (models.checkWritable), and the researcher's own
// changes clear the cache at once.
const surveyTTL = time.Second

type surveyCache struct {
	mu   sync.Mutex
	rows map[string]cachedSurvey
}

type cachedSurvey struct {
	survey models.Survey
	read   time.Time
}

// find returns the survey with slug, from the cache when it is fresh.
func (sc *surveyCache) find(db *gorm.DB, slug string) (*models.Survey, error) {
	sc.mu.Lock()
	c, ok := sc.rows[slug]
	sc.mu.Unlock()
	// Only an open survey is served from the cache: a survey another instance has just reopened
	// must not be refused for a second, and pages of a survey that is not open are few.
	if ok && time.Since(c.read) < surveyTTL && c.survey.Status == models.StatusOpen {
		s := c.survey // a copy: callers may change theirs
		return &s, nil
	}
	s, err := models.FindSurvey(db, slug)
	if err != nil {
		return nil, err
	}
	sc.mu.Lock()
	if sc.rows == nil {
		sc.rows = map[string]cachedSurvey{}
	}
	sc.rows[slug] = cachedSurvey{survey: *s, read: time.Now()}
	sc.mu.Unlock()
	return s, nil
}

// forget drops every cached survey, after a change to one.
func (sc *surveyCache) forget() {
	sc.mu.Lock()
	sc.rows = nil
	sc.mu.Unlock()
}

// forgetSurveysAfterChanges clears the survey cache after every researcher's POST: opening,
// closing, a closing time, the access mode, and anything else that changes a survey row.
func (h *Handler) forgetSurveysAfterChanges(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		err := next(c)
		if c.Request().Method == http.MethodPost {
			h.surveys.forget()
		}
		return err
	}
}
