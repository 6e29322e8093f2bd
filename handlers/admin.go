package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// fieldworkRoutes are the researcher's pages for running surveys (all under /admin). During
// fieldwork they show counts and who responded, never what anyone answered.
func (h *Handler) fieldworkRoutes(a *echo.Group) {
	a.GET("", h.showDashboard)
	a.GET("/surveys/:slug", h.showSurvey)
	a.POST("/surveys/:slug/openen", h.openSurvey)
	a.GET("/surveys/:slug/heropenen", h.confirmReopen)
	a.GET("/surveys/:slug/sluiten", h.confirmClose)
	a.POST("/surveys/:slug/sluiten", h.closeSurvey)
	a.POST("/surveys/:slug/sluittijd", h.setClosingTime)
	a.GET("/surveys/:slug/definitie.yaml", h.downloadDefinition)
}

// downloadDefinition sends the current version of the survey as a definition file, which
// peiling import reads back to the same survey.
func (h *Handler) downloadDefinition(c *echo.Context) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	body, err := models.MarshalDefinition(def)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Content-Disposition", `attachment; filename="`+s.Slug+`.yaml"`)
	return c.Blob(http.StatusOK, "application/yaml; charset=utf-8", body)
}

// statusView is a survey status as the researcher reads it: Key is its catalogue message,
// Label its Dutch, kept for pages not yet translated.
type statusView struct {
	Label, Class, Key string
}

var statusViews = map[string]statusView{
	models.StatusDraft:  {"concept", "tag--draft", "admin.status.draft"},
	models.StatusOpen:   {"open", "tag--open", "admin.status.open"},
	models.StatusClosed: {"gesloten", "tag--closed", "admin.status.closed"},
}

type surveyRow struct {
	models.SurveyOverview
	State statusView
	URL   string
}

type dashboardView struct {
	Researcher *models.Researcher
	Surveys    []surveyRow
	Accounts   []auditRow // the latest changes to researcher accounts
}

func (h *Handler) showDashboard(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	list, err := models.SurveyOverviews(db)
	if err != nil {
		return err
	}
	accounts, err := models.AccountAudit(db, 10)
	if err != nil {
		return err
	}
	rows := make([]surveyRow, len(list))
	for i, o := range list {
		rows[i] = surveyRow{SurveyOverview: o, State: statusViews[o.Status], URL: "/admin/surveys/" + o.Slug}
	}
	return c.Render(http.StatusOK, "admin/dashboard", dashboardView{Researcher: researcher(c), Surveys: rows, Accounts: auditRows(tr(c), accounts)})
}

// closingTimeForm sets or clears the moment a survey closes by itself.
type closingTimeForm struct {
	ClosesAt string `form:"sluittijd" validate:"max=32"`
	Action   string `form:"actie" validate:"omitempty,oneof=opslaan wissen"`
}

// surveyView is the survey's fieldwork page: counts, who responded, and the audit log.
type surveyView struct {
	Researcher *models.Researcher
	Survey     *models.SurveyOverview
	State      statusView
	Provinces  []models.ProvinceProgress
	Audit      []auditRow
	ClosesAt   string // the closing time as the datetime-local input shows it
	Retention  retentionView
	Errors     []problemView
	Field      map[string]string
}

type auditRow struct {
	At   time.Time
	Who  string
	What string
}

func (h *Handler) showSurvey(c *echo.Context) error {
	view, err := h.surveyPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/survey", view)
}

// surveyPage reads everything the survey page shows.
func (h *Handler) surveyPage(c *echo.Context) (*surveyView, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	o, err := models.FindSurveyOverview(db, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	reg, err := h.registers.Get(db, o.Register)
	if err != nil {
		return nil, err
	}
	codes, err := models.RespondedCodes(db, o.ID)
	if err != nil {
		return nil, err
	}
	entries, err := models.SurveyAudit(db, o.ID)
	if err != nil {
		return nil, err
	}
	retention, err := models.RetentionOf(db, o.ID)
	if err != nil {
		return nil, err
	}
	view := &surveyView{Researcher: researcher(c), Survey: o, State: statusViews[o.Status],
		Provinces: models.ByProvince(reg, codes), Audit: auditRows(tr(c), entries), Retention: newRetentionView(retention, o.ClosedAt)}
	if o.ClosesAt != nil {
		view.ClosesAt = o.ClosesAt.In(amsterdam).Format(localInputLayout)
	}
	return view, nil
}

// confirmReopen asks before a closed survey is reopened: its results disappear until it is
// closed again, and a published results page goes offline.
func (h *Handler) confirmReopen(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if o.Status != models.StatusClosed {
		return models.ErrWrongStatus
	}
	return c.Render(http.StatusOK, "admin/reopen", closeView{Researcher: researcher(c), Survey: o})
}

// openSurvey opens a draft, or reopens a closed survey once the researcher confirmed it.
func (h *Handler) openSurvey(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	s := &o.Survey
	if s.Status == models.StatusClosed && c.FormValue("bevestig") != "ja" {
		msg := tr(c).T("admin.reopen.unticked")
		return c.Render(http.StatusUnprocessableEntity, "admin/reopen", closeView{Researcher: researcher(c), Survey: o,
			Errors: []problemView{{Href: "#bevestig", Message: msg}}, Field: map[string]string{"bevestig": msg}})
	}
	r := researcher(c)
	if err := models.OpenSurvey(h.db.Write.WithContext(c.Request().Context()), s.ID, models.By(r), time.Now().UTC()); err != nil {
		return err
	}
	msg := tr(c).T("admin.survey.opened_flash")
	if s.Status == models.StatusClosed {
		msg = tr(c).T("admin.survey.reopened_flash")
	}
	h.log.Info("survey opened", "survey", s.Slug, "researcher", r.ID, "was", s.Status)
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug, msg)
}

type closeView struct {
	Researcher *models.Researcher
	Survey     *models.SurveyOverview
	Errors     []problemView
	Field      map[string]string
}

func (h *Handler) confirmClose(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if o.Status != models.StatusOpen {
		return models.ErrWrongStatus
	}
	return c.Render(http.StatusOK, "admin/close", closeView{Researcher: researcher(c), Survey: o})
}

func (h *Handler) closeSurvey(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if o.Status != models.StatusOpen {
		return models.ErrWrongStatus
	}
	if c.FormValue("bevestig") != "ja" {
		msg := tr(c).T("admin.close.unticked")
		return c.Render(http.StatusUnprocessableEntity, "admin/close", closeView{Researcher: researcher(c), Survey: o,
			Errors: []problemView{{Href: "#bevestig", Message: msg}}, Field: map[string]string{"bevestig": msg}})
	}
	r := researcher(c)
	if err := models.CloseSurvey(h.db.Write.WithContext(c.Request().Context()), o.ID, models.By(r), time.Now().UTC()); err != nil {
		return err
	}
	h.log.Info("survey closed", "survey", o.Slug, "researcher", r.ID, "responses", o.Submitted)
	// Count the breakdowns by a question now, in the background, after the close committed.
	if s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), o.Slug); err == nil {
		h.startSlices(s)
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+o.Slug, tr(c).T("admin.survey.closed_flash"))
}

func (h *Handler) setClosingTime(c *echo.Context) error {
	var form closingTimeForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	var closesAt *time.Time
	problem := ""
	if err := c.Validate(&form); err != nil {
		problem = tr(c).T("admin.closing.invalid")
	} else if form.Action != "wissen" {
		closesAt, problem = parseClosingTime(tr(c), form.ClosesAt)
	}
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if problem == "" {
		err = models.SetClosingTime(h.db.Write.WithContext(c.Request().Context()), s.ID, closesAt, models.By(researcher(c)), time.Now().UTC())
		if errors.Is(err, models.ErrClosingTimePast) {
			problem = tr(c).T("admin.closing.past")
		} else if err != nil {
			return err
		}
	}
	if problem != "" {
		return h.renderClosingTimeProblem(c, form, problem)
	}
	msg := tr(c).T("admin.closing.cleared")
	if closesAt != nil {
		msg = tr(c).T("admin.closing.set", "At", tr(c).DateTime(*closesAt))
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug, msg)
}

func (h *Handler) renderClosingTimeProblem(c *echo.Context, form closingTimeForm, problem string) error {
	view, err := h.surveyPage(c)
	if err != nil {
		return err
	}
	view.ClosesAt = form.ClosesAt
	view.Errors = []problemView{{Href: "#sluittijd", Message: problem}}
	view.Field = map[string]string{"sluittijd": problem}
	return c.Render(http.StatusUnprocessableEntity, "admin/survey", view)
}

// localInputLayout is how an <input type="datetime-local"> sends its value.
const localInputLayout = "2006-01-02T15:04"

// parseClosingTime reads a datetime-local value as Amsterdam time; browsers without the
// input type let people type, so a Dutch "31-03-2018 17:00" is read too.
func parseClosingTime(tl *locales.Translator, v string) (*time.Time, string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, tl.T("admin.closing.missing")
	}
	for _, layout := range []string{localInputLayout, "2006-01-02T15:04:05", "2-1-2006 15:04", "2-1-2006 15.04"} {
		if t, err := time.ParseInLocation(layout, v, amsterdam); err == nil {
			t = t.UTC()
			return &t, ""
		}
	}
	return nil, tl.T("admin.closing.invalid")
}

// auditWords says what each audit action did: catalogue messages.
var auditWords = map[string]string{
	models.ActionOpened:             "admin.audit.opened",
	models.ActionReopened:           "admin.audit.reopened",
	models.ActionClosed:             "admin.audit.closed",
	models.ActionAutoClosed:         "admin.audit.auto_closed",
	models.ActionClosingTimeSet:     "admin.audit.closing_time_set",
	models.ActionClosingTimeCleared: "admin.audit.closing_time_cleared",
	models.ActionResearcherCreated:  "admin.audit.researcher_created",
	models.ActionPasswordSet:        "admin.audit.password_set",
	models.ActionResearcherRemoved:  "admin.audit.researcher_removed",
	// Invitations and the report per municipality (invitations.go).
	models.ActionAccessOpen:         "admin.audit.access_open",
	models.ActionAccessInvitation:   "admin.audit.access_invitation",
	models.ActionInvitationsCreated: "admin.audit.invitations_created",
	models.ActionInvitationRevoked:  "admin.audit.invitation_revoked",
	models.ActionInvitationReissued: "admin.audit.invitation_reissued",
	models.ActionDraftDiscarded:     "admin.audit.draft_discarded",
	models.ActionResponseWithdrawn:  "admin.audit.response_withdrawn",
	models.ActionBenchmarkOn:        "admin.audit.benchmark_on",
	models.ActionPublished:          "admin.audit.published",
	models.ActionUnpublished:        "admin.audit.unpublished",
	models.ActionBenchmarkOff:       "admin.audit.benchmark_off",
	// The editor (editor.go).
	models.ActionSurveyCreated:  "admin.audit.survey_created",
	models.ActionSurveyUploaded: "admin.audit.survey_uploaded",
	models.ActionWaveCreated:    "admin.audit.wave_created",
	// Definitions (models/versions.go): the editor's changes before opening are replacements.
	models.ActionDefinitionReplaced: "admin.audit.definition_replaced",
	models.ActionTextsCorrected:     "admin.audit.texts_corrected",
	models.ActionVersionCreated:     "admin.audit.version_created",
	// Retention (retention.go).
	models.ActionRetentionSet:    "admin.audit.retention_set",
	models.ActionContactsDeleted: "admin.audit.contacts_deleted",
	models.ActionPendingDeleted:  "admin.audit.pending_deleted",
	models.ActionAnswersDeleted:  "admin.audit.answers_deleted",
}

// countedSubjects are the audit actions whose subject models writes as Dutch words around
// counts; they are worded again in the reader's language from the counts, in the same order
// (which also words the entries written before there was English).
var countedSubjects = map[string]struct {
	key   string
	names []string
}{
	models.ActionRetentionSet:       {"admin.audit.subject.retention_set", []string{"Contacts", "Pending", "Answers"}},
	models.ActionContactsDeleted:    {"admin.audit.subject.contacts_deleted", []string{"Count"}},
	models.ActionPendingDeleted:     {"admin.audit.subject.pending_deleted", []string{"Count", "Answers"}},
	models.ActionAnswersDeleted:     {"admin.audit.subject.answers_deleted", []string{"Count"}},
	models.ActionInvitationsCreated: {"admin.audit.subject.invitations_created", []string{"New", "Updated"}},
}

var auditCount = regexp.MustCompile(`\d+`)

// auditSubject is what an audit entry was about, in t's language where it is counts.
func auditSubject(t *locales.Translator, e models.AuditEntry) string {
	cs, ok := countedSubjects[e.Action]
	if !ok {
		return e.Subject // a name: a survey's title, an account, a municipality
	}
	counts := auditCount.FindAllString(e.Subject, -1)
	if len(counts) != len(cs.names) {
		return e.Subject
	}
	args := []any{"Tables", strings.Join(models.ContactTables(), ", ")}
	for i, name := range cs.names {
		n, _ := strconv.Atoi(counts[i])
		args = append(args, name, n)
	}
	return t.T(cs.key, args...)
}

func auditRows(t *locales.Translator, entries []models.AuditEntry) []auditRow {
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		what := e.Action
		if key := auditWords[e.Action]; key != "" {
			what = t.T(key)
		}
		if e.ClosesAt != nil && (e.Action == models.ActionClosingTimeSet || e.Action == models.ActionAutoClosed) {
			what += fmt.Sprintf(" (%s)", t.DateTime(*e.ClosesAt))
		}
		if e.Subject != "" {
			what += ": " + auditSubject(t, e)
		}
		who := e.Actor
		if who == models.SystemName { // stored as a code; shown in the reader's language
			who = t.T("admin.audit.system")
		}
		rows[i] = auditRow{At: e.At, Who: who, What: what}
	}
	return rows
}
