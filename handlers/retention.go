package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/locales"
	"peiling/models"
)

// retentionRoutes are the researcher's retention settings and the buttons that delete
// personal data of a closed survey (all under /admin).
func (h *Handler) retentionRoutes(a *echo.Group) {
	a.POST("/surveys/:slug/bewaartermijnen", h.saveRetention)
	a.POST("/surveys/:slug/opschonen", h.purgeDue)
	a.GET("/surveys/:slug/alles-verwijderen", h.confirmPurgeAll)
	a.POST("/surveys/:slug/alles-verwijderen", h.purgeAll)
}

// retentionForm is the retention settings as typed: whole days after closing.
type retentionForm struct {
	Contacts string `form:"bewaar_contacten"`
	Pending  string `form:"bewaar_concepten"`
	Answers  string `form:"bewaar_antwoorden"`
}

// retentionView is the retention part of the survey page.
type retentionView struct {
	retentionForm
	// When each category is due (closed surveys only) and when it was deleted, if it was.
	ContactsDue, PendingDue, AnswersDue             *time.Time
	ContactsDeleted, PendingDeleted, AnswersDeleted *time.Time
}

// retentionFields are the form's fields with their names (catalogue messages), in page order.
var retentionFields = []struct{ name, label string }{
	{"bewaar_contacten", "admin.retention.contacts"},
	{"bewaar_concepten", "admin.retention.pending"},
	{"bewaar_antwoorden", "admin.retention.answers"},
}

func newRetentionView(r models.Retention, closedAt *time.Time) retentionView {
	v := retentionView{retentionForm: retentionForm{strconv.Itoa(r.ContactDays), strconv.Itoa(r.PendingDays), strconv.Itoa(r.AnswerDays)},
		ContactsDeleted: r.ContactsDeletedAt, PendingDeleted: r.PendingDeletedAt, AnswersDeleted: r.AnswersDeletedAt}
	if closedAt != nil {
		c, p, a := r.Deadlines(*closedAt)
		v.ContactsDue, v.PendingDue, v.AnswersDue = &c, &p, &a
	}
	return v
}

// retentionFieldView is one field of the retention form; Label and Hint are catalogue messages.
type retentionFieldView struct {
	Name, Label, Hint, Value, Error string
	Due, Deleted                    *time.Time
}

// Fields returns the form's fields with their values, dates and the problems found.
func (v retentionView) Fields(problems map[string]string) []retentionFieldView {
	hints := []string{"admin.retention.contacts_hint", "admin.retention.pending_hint", "admin.retention.answers_hint"}
	values := []string{v.Contacts, v.Pending, v.Answers}
	due := []*time.Time{v.ContactsDue, v.PendingDue, v.AnswersDue}
	deleted := []*time.Time{v.ContactsDeleted, v.PendingDeleted, v.AnswersDeleted}
	out := make([]retentionFieldView, len(retentionFields))
	for i, f := range retentionFields {
		out[i] = retentionFieldView{Name: f.name, Label: f.label, Hint: hints[i], Value: values[i], Error: problems[f.name], Due: due[i], Deleted: deleted[i]}
	}
	return out
}

// retentionDays reads one field; the text is the problem in t's language, if any.
func retentionDays(t *locales.Translator, input, label string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(input))
	if err != nil || n < 0 || n > models.MaxRetentionDays {
		return 0, t.T("admin.retention.invalid", "Label", t.T(label), "Max", models.MaxRetentionDays)
	}
	return n, ""
}

func (h *Handler) saveRetention(c *echo.Context) error {
	var form retentionForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	days := make([]int, len(retentionFields))
	var problems []problemView
	field := map[string]string{}
	for i, input := range []string{form.Contacts, form.Pending, form.Answers} {
		n, problem := retentionDays(tr(c), input, retentionFields[i].label)
		if problem != "" {
			problems = append(problems, problemView{Href: "#" + retentionFields[i].name, Message: problem})
			field[retentionFields[i].name] = problem
		}
		days[i] = n
	}
	if len(problems) > 0 {
		view, err := h.surveyPage(c)
		if err != nil {
			return err
		}
		view.Retention.retentionForm = form
		view.Errors, view.Field = problems, field
		return c.Render(http.StatusUnprocessableEntity, "admin/survey", view)
	}
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	err = models.SaveRetention(h.db.Write.WithContext(c.Request().Context()), s.ID, days[0], days[1], days[2], models.By(researcher(c)), time.Now().UTC())
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"#bewaartermijnen", tr(c).T("admin.retention.saved"))
}

// purgeDue is "Nu verwijderen wat over tijd is": what the scheduled purge would delete.
func (h *Handler) purgeDue(c *echo.Context) error {
	return h.purge(c, models.Purge)
}

type purgeAllView struct {
	Researcher *models.Researcher
	Survey     *models.SurveyOverview
	Errors     []problemView
	Field      map[string]string
}

func (h *Handler) confirmPurgeAll(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if o.Status != models.StatusClosed {
		return models.ErrWrongStatus
	}
	return c.Render(http.StatusOK, "admin/purge", purgeAllView{Researcher: researcher(c), Survey: o})
}

// purgeAll is "Alles persoonlijks nu verwijderen", after the researcher ticked the box.
func (h *Handler) purgeAll(c *echo.Context) error {
	if c.FormValue("bevestig") != "ja" {
		o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
		if err != nil {
			return err
		}
		msg := tr(c).T("admin.purge.unticked")
		return c.Render(http.StatusUnprocessableEntity, "admin/purge", purgeAllView{Researcher: researcher(c), Survey: o,
			Errors: []problemView{{Href: "#bevestig", Message: msg}}, Field: map[string]string{"bevestig": msg}})
	}
	return h.purge(c, models.PurgeAll)
}

func (h *Handler) purge(c *echo.Context, purge func(*gorm.DB, *models.Survey, time.Time, models.Actor) (models.Purged, error)) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if s.Status != models.StatusClosed {
		return models.ErrWrongStatus
	}
	r := researcher(c)
	got, err := purge(h.db.Write.WithContext(c.Request().Context()), s, time.Now().UTC(), models.By(r))
	if err != nil {
		return err
	}
	h.log.Info("personal data purged", "survey", s.Slug, "researcher", r.ID, "contacts", got.Contacts,
		"pending", got.Pending, "answers", got.Answers+got.PendingAnswers)
	msg := tr(c).T("admin.retention.nothing_due")
	if got.Any() {
		msg = tr(c).T("admin.retention.purged", "Contacts", got.Contacts, "Pending", got.Pending, "Answers", got.Answers)
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"#bewaartermijnen", msg)
}
