package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/locales"
	"peiling/models"
)

func stepURL(slug string, n int) string { return fmt.Sprintf("/s/%s/stap/%d", slug, n) }
func checkURL(slug string) string       { return "/s/" + slug + "/controleren" }

// loadSurvey returns the survey named in the URL with its definition.
func (h *Handler) loadSurvey(c *echo.Context) (*models.Survey, *models.Definition, error) {
	s, err := h.surveys.find(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return nil, nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, nil, err
	}
	s, def = inLanguage(c, s, def)
	return s, def, nil
}

// inLanguage returns survey s and its definition def with their texts in the visitor's
// language, where the definition gives them; s is a copy with the title changed, as s itself
// may be shared. The definition returned is shared too (localDef): read it, never change it.
func inLanguage(c *echo.Context, s *models.Survey, def *models.Definition) (*models.Survey, *models.Definition) {
	def = localDef(c, def)
	c.Set(contentLangKey, def.Lang())
	c.Set(contentDefKey, def)
	if def.Title != s.Title {
		local := *s
		local.Title = def.Title
		s = &local
	}
	return s, def
}

// defFor is the definition of the version response r was started on, in the visitor's
// language where it has one; shared, as inLanguage's.
func (h *Handler) defFor(c *echo.Context, s *models.Survey, r *models.Response) (*models.Definition, error) {
	def, err := s.DefFor(h.db.Read.WithContext(c.Request().Context()), r)
	if err != nil {
		return nil, err
	}
	def = localDef(c, def)
	c.Set(contentLangKey, def.Lang())
	c.Set(contentDefKey, def)
	return def, nil
}

// localDef is def with its texts in the visitor's language where it gives them, reading and
// showing numbers with the decimal separator of its texts' language, as the catalogue gives
// it (common.format.decimal): the page's, or Dutch where the survey has no texts in the page's
// language. It is made once per definition, language and separator (models.Localized) and
// shared by every request: no caller may change it.
func localDef(c *echo.Context, def *models.Definition) *models.Definition {
	t := tr(c)
	lang := t.Code()
	if lang == "" || !def.Has(lang) { // In gives the Dutch texts then (Lang is "nl")
		t = catalogue.Dutch()
	}
	sep := t.T("common.format.decimal")
	if !shareLocalDefs {
		return def.In(lang).WithDecimal(sep)
	}
	return def.Localized(lang, sep)
}

// shareLocalDefs is off only in the test that compares every page with and without sharing.
var shareLocalDefs = true

// loadDraft returns the visitor's response to survey: the one whose private resume token
// this browser holds, whether it was started with an invitation or not. ErrNotFound when
// the session has none.
func (h *Handler) loadDraft(c *echo.Context, s *models.Survey) (*models.Response, error) {
	return models.FindResponse(h.db.Read.WithContext(c.Request().Context()), s, h.draftToken(c, s.Slug))
}

// loadOwnDraft is loadDraft for the pages of a draft in progress: without one, the visitor
// goes back to the start; a sent response goes to its confirmation; one that was set aside
// gets the page that says why. ok is false when the reply has been written.
// It also returns the definition of the version the draft was started on.
func (h *Handler) loadOwnDraft(c *echo.Context, s *models.Survey) (r *models.Response, def *models.Definition, ok bool, err error) {
	r, err = h.loadDraft(c, s)
	return h.ownDraft(c, s, r, err)
}

// loadOwnDraftAnswers is loadOwnDraft for the pages that show the draft's answers: they are
// read with it, by one statement.
func (h *Handler) loadOwnDraftAnswers(c *echo.Context, s *models.Survey) (r *models.Response, def *models.Definition, answers []models.Answer, ok bool, err error) {
	r, answers, err = h.loadDraftAnswers(c, s)
	r, def, ok, err = h.ownDraft(c, s, r, err)
	return r, def, answers, ok, err
}

// loadDraftAnswers is loadDraft with the draft's answers.
func (h *Handler) loadDraftAnswers(c *echo.Context, s *models.Survey) (*models.Response, []models.Answer, error) {
	return models.FindResponseWithAnswers(h.db.Read.WithContext(c.Request().Context()), s, h.draftToken(c, s.Slug))
}

// ownDraft sends the visitor where loadOwnDraft says, given what looking up their draft gave.
func (h *Handler) ownDraft(c *echo.Context, s *models.Survey, r *models.Response, err error) (*models.Response, *models.Definition, bool, error) {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return nil, nil, false, h.noDraft(c, s)
	case err != nil:
		return nil, nil, false, err
	case r.Submitted():
		return nil, nil, false, c.Redirect(http.StatusSeeOther, "/s/"+s.Slug+"/bevestiging")
	case r.SetAside():
		return nil, nil, false, h.showSetAside(c, s, r)
	}
	def, err := h.defFor(c, s, r)
	if err != nil {
		return nil, nil, false, err
	}
	return r, def, true, nil
}

// continueAt is where response r picks up, by the version it was started on.
func (h *Handler) continueAt(c *echo.Context, s *models.Survey, r *models.Response) (string, error) {
	def, err := h.defFor(c, s, r)
	if err != nil {
		return "", err
	}
	return continueURL(s.Slug, r, len(def.Sections)), nil
}

type setAsideView struct {
	Survey       *models.Survey
	Reason       string
	Municipality string
	Sent         bool // the respondent pressed Verzenden
	Organisation string
}

// showSetAside tells a respondent that their answers were kept but do not count, and why.
func (h *Handler) showSetAside(c *echo.Context, s *models.Survey, r *models.Response) error {
	view := setAsideView{Survey: s, Reason: r.SetAsideReason, Municipality: h.municipalityName(c, s, r), Sent: r.SubmittedAt != nil}
	if def, err := s.Def(); err == nil {
		view.Organisation = localDef(c, def).Organisation
	}
	return c.Render(http.StatusConflict, "respond/setaside", view)
}

// noDraft sends a visitor without a (valid) draft back to the start page.
func (h *Handler) noDraft(c *echo.Context, s *models.Survey) error {
	if err := h.flash(c, tr(c).T("respond.flash.no_draft")); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug)
}

type startView struct {
	Survey       *models.Survey
	Def          *models.Definition
	Steps        int
	ContinueURL  string // set when this browser has a draft
	Submitted    *models.Response
	Municipality string
	Accepting    bool
	ClosedReason string
	Invited      string // the municipality of the invitation link this browser followed
	Reached      int    // steps of the draft saved so far
}

func (h *Handler) showStart(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	view := startView{Survey: s, Def: def, Steps: len(def.Sections), Accepting: s.Accepting() == nil}
	status := http.StatusOK
	switch s.Status {
	case models.StatusClosed:
		status = http.StatusGone
	case models.StatusDraft:
		return models.ErrSurveyNotOpen
	}
	r, err := h.loadDraft(c, s)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	inv, err := h.invitation(c, s)
	if err != nil {
		return err
	}
	if inv != nil {
		view.Invited = h.codeName(s, inv.MunicipalityCode)
		r = nil // the link starts its own response, whatever else this browser has
	}
	if r == nil && inv == nil && s.AccessMode == models.AccessInvitation && s.Status == models.StatusOpen {
		return invitationOnly(c, s)
	}
	switch {
	case r == nil:
	case r.Submitted():
		view.Submitted = r
		view.Municipality = h.municipalityName(c, s, r)
	case r.SetAside():
		if view.Accepting {
			return h.showSetAside(c, s, r)
		}
	default:
		if view.ContinueURL, err = h.continueAt(c, s, r); err != nil {
			return err
		}
		view.Municipality = h.municipalityName(c, s, r)
		view.Reached = r.Reached
	}
	return c.Render(status, "respond/start", view)
}

// continueURL is where a draft picks up: the first section not yet saved, or the check page.
func continueURL(slug string, r *models.Response, steps int) string {
	if r.Reached >= steps {
		return checkURL(slug)
	}
	return stepURL(slug, r.Reached+1)
}

// municipalityName is the name of response r's municipality, or "" before it has one.
func (h *Handler) municipalityName(c *echo.Context, s *models.Survey, r *models.Response) string {
	if r.MunicipalityCode == nil {
		return ""
	}
	return h.codeName(s, *r.MunicipalityCode)
}

func (h *Handler) startDraft(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	inv, err := h.invitation(c, s)
	if err != nil {
		return err
	}
	if inv != nil {
		return h.startInvited(c, s, inv)
	}
	// A double click on Start, or Start after Back, continues the draft this browser has.
	r, err := h.loadDraft(c, s)
	if err == nil && r.Status == models.ResponseDraft {
		to, err := h.continueAt(c, s, r)
		if err != nil {
			return err
		}
		return c.Redirect(http.StatusSeeOther, to)
	}
	if s.AccessMode == models.AccessInvitation { // a new draft needs an invitation
		return invitationOnly(c, s)
	}
	var token string
	err = h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) (err error) {
		_, token, err = models.StartDraft(tx, s, tr(c).Code())
		return err
	})
	if err != nil {
		return err
	}
	if err := h.setDraftToken(c, s.Slug, token); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, stepURL(s.Slug, 1))
}

type sectionView struct {
	Survey  *models.Survey
	Section models.Section
	Page    int // the page's number in the definition: its URL
	// Step of Steps count the pages this respondent is shown (skip logic leaves some out).
	Step      int
	Steps     int
	Questions []questionView
	Errors    []problemView
	ToCheck   bool // came from the check page: Volgende goes back there
	BackURL   string
	// Locked is the invited municipality: its question shows the name, not a picker.
	Locked, LockedCode string
	// Main is the page's main block as kept for every respondent (keptSectionMain), if so.
	Main template.HTML
}

// step reads the section number from the URL.
func step(c *echo.Context, def *models.Definition) (int, error) {
	n, err := strconv.Atoi(c.Param("n"))
	if err != nil || n < 1 || n > len(def.Sections) {
		return 0, models.ErrNotFound
	}
	return n, nil
}

func (h *Handler) showSection(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	if _, err := step(c, def); err != nil { // before any lookup: a bad URL is a 404
		return err
	}
	r, def, answers, ok, err := h.loadOwnDraftAnswers(c, s)
	if !ok {
		return err
	}
	n, err := step(c, def) // by the draft's own version
	if err != nil {
		return err
	}
	if n > r.Reached+1 { // no skipping past unanswered pages
		return c.Redirect(http.StatusSeeOther, stepURL(s.Slug, r.Reached+1))
	}
	vis := def.Visible(answers)
	if !vis.Section(n - 1) { // skipped by an earlier answer
		return c.Redirect(http.StatusSeeOther, nextURL(s.Slug, n, vis, "volgende", false))
	}
	return h.renderSection(c, http.StatusOK, s, def, r, n, vis, def.Values(answers), nil)
}

func (h *Handler) renderSection(c *echo.Context, status int, s *models.Survey, def *models.Definition, r *models.Response, n int, vis models.Visibility, values url.Values, problems []models.Problem) error {
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return err
	}
	lang := tr(c).Code()
	var cached func(string) (keptMarkup, bool)
	if cacheQuestionMarkup {
		cached = func(code string) (keptMarkup, bool) { return h.render.cachedQuestion(def, lang, code, reg) }
	}
	all, summary := buildQuestions(tr(c), def, n-1, values, wordProblems(tr(c), problems), reg, cached)
	qs := all[:0]
	for _, q := range all {
		if vis.Question(q.Name) {
			qs = append(qs, q)
		}
	}
	for i := range qs { // seen for the first time untouched: kept for the next respondent
		if qs[i].pristine && qs[i].Markup == "" && cacheQuestionMarkup {
			if qs[i].Markup, err = h.render.keepQuestion(def, lang, &qs[i], reg); err != nil {
				return err
			}
		}
	}
	view := sectionView{Survey: s, Section: def.Sections[n-1], Page: n, Questions: qs, Errors: summary,
		ToCheck: c.QueryParam("terug") == "controleren" || c.FormValue("terug") == "controleren", BackURL: "/s/" + s.Slug}
	view.Step, view.Steps = vis.Position(n - 1)
	if p := vis.Prev(n - 1); p >= 0 {
		view.BackURL = stepURL(s.Slug, p+1)
	}
	if r.Invited() && r.MunicipalityCode != nil {
		view.Locked, view.LockedCode = h.codeName(s, *r.MunicipalityCode), *r.MunicipalityCode
	}
	if view.Main, err = h.keptSectionMain(c, def, &view, reg); err != nil {
		return err
	}
	return c.Render(status, "respond/section", view)
}

func (h *Handler) saveSection(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	if _, err := step(c, def); err != nil { // before any lookup: a bad URL is a 404
		return err
	}
	r, def, ok, err := h.loadOwnDraft(c, s)
	if !ok {
		return err
	}
	n, err := step(c, def) // by the draft's own version
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	action := form.Get("actie")
	if r.Invited() && r.MunicipalityCode != nil {
		form.Set(def.MunicipalityQuestion().Code, *r.MunicipalityCode) // whatever else was sent
	}
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return err
	}
	var stored []models.Answer // only skip logic needs the other pages' answers
	if def.HasConditions() {
		if stored, err = models.AnswersOf(h.db.Read.WithContext(c.Request().Context()), r.ID); err != nil {
			return err
		}
	}
	vis := def.Visible(stored)
	if !vis.Section(n - 1) { // skipped by an earlier answer: nothing here to save
		return c.Redirect(http.StatusSeeOther, nextURL(s.Slug, n, vis, "volgende", false))
	}
	answers, problems := def.ReadShown(n-1, form, reg, action == "volgende", &vis)
	if len(problems) > 0 {
		return h.renderSection(c, http.StatusUnprocessableEntity, s, def, r, n, vis, form, problems)
	}
	err = h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) error { return models.SaveSection(tx, s, r, n-1, answers) })
	var invited *models.InvitedError
	if errors.As(err, &invited) {
		return h.renderSection(c, http.StatusConflict, s, def, r, n, vis, form, []models.Problem{h.invitedProblem(def, s, invited)})
	}
	if errors.Is(err, models.ErrSetAside) { // set aside while this page was open
		return h.showSetAside(c, s, r)
	}
	if notStored(err) {
		h.log.ErrorContext(c.Request().Context(), "save section not stored", "survey", s.Slug, "response", r.ID, "err", err)
		return h.renderSection(c, http.StatusServiceUnavailable, s, def, r, n, vis, form, []models.Problem{{Message: notStoredMessage(c)}})
	}
	if err != nil {
		return err
	}
	if def.HasConditions() { // this page's answers may show or skip later pages
		vis = def.Visible(append(otherPages(def, n-1, stored), answers...))
	}
	return c.Redirect(http.StatusSeeOther, nextURL(s.Slug, n, vis, action, form.Get("terug") == "controleren"))
}

// otherPages returns the stored answers that are not on page si.
func otherPages(def *models.Definition, si int, stored []models.Answer) []models.Answer {
	here := map[string]bool{}
	for _, q := range def.Sections[si].Questions {
		here[q.Code] = true
	}
	var out []models.Answer
	for _, a := range stored {
		if !here[a.Question] {
			out = append(out, a)
		}
	}
	return out
}

// invitedProblem tells an anonymous respondent that their municipality answers through its
// invitation link. It says nothing about whether anyone has started or sent.
func (h *Handler) invitedProblem(def *models.Definition, s *models.Survey, invited *models.InvitedError) models.Problem {
	return models.Problem{Field: def.MunicipalityQuestion().Code, Code: "municipality_invited", Args: []any{"Municipality", h.codeName(s, invited.Code)}}
}

// nextURL is where a saved page n leads, by the button that was pressed, along the pages vis
// shows.
func nextURL(slug string, n int, vis models.Visibility, action string, toCheck bool) string {
	switch {
	case action == "later":
		return "/s/" + slug + "/later"
	case action == "vorige":
		if p := vis.Prev(n - 1); p >= 0 {
			return stepURL(slug, p+1)
		}
		return "/s/" + slug
	case toCheck:
		return checkURL(slug)
	}
	if next := vis.Next(n - 1); next >= 0 {
		return stepURL(slug, next+1)
	}
	return checkURL(slug)
}

type checkView struct {
	Survey       *models.Survey
	Sections     []summarySection
	Errors       []problemView
	Unanswered   []problemView // optional questions without an answer, linked
	SubmissionID string
	Steps        int
}

func (h *Handler) showCheck(c *echo.Context) error {
	return h.renderCheck(c, http.StatusOK)
}

// renderCheck shows the check page; problems go first in its error summary.
func (h *Handler) renderCheck(c *echo.Context, status int, problems ...problemView) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	r, def, answers, ok, err := h.loadOwnDraftAnswers(c, s)
	if !ok {
		return err
	}
	if r.Reached < len(def.Sections) {
		return c.Redirect(http.StatusSeeOther, stepURL(s.Slug, r.Reached+1))
	}
	view := newCheckView(tr(c), s, def, answers, problems)
	if len(view.Errors) > 0 && status == http.StatusOK && c.Request().Method == http.MethodPost {
		status = http.StatusUnprocessableEntity
	}
	return c.Render(status, "respond/check", view)
}

// newCheckView is the check page of answers, for the live survey and its preview alike.
func newCheckView(t *locales.Translator, s *models.Survey, def *models.Definition, answers []models.Answer, problems []problemView) checkView {
	view := checkView{Survey: s, Sections: summarise(t, def, s.Slug, answers), SubmissionID: models.NewToken(), Steps: len(def.Sections), Errors: problems}
	if last := def.Visible(answers).Prev(len(def.Sections)); last >= 0 { // "Vorige": the last page shown
		view.Steps = last + 1
	}
	for _, sec := range view.Sections {
		for _, row := range sec.Rows {
			if row.Missing {
				view.Errors = append(view.Errors, problemView{Href: row.EditURL, Message: t.T("respond.check.missing", "Question", row.Question)})
			} else if len(row.Answers) == 0 {
				view.Unanswered = append(view.Unanswered, problemView{Href: row.EditURL, Message: row.Question})
			}
		}
	}
	return view
}

var submissionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

func (h *Handler) submitResponse(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	r, err := h.loadDraft(c, s)
	if errors.Is(err, models.ErrNotFound) {
		return h.noDraft(c, s)
	}
	if err != nil {
		return err
	}
	id := c.FormValue("inzending")
	if !submissionIDPattern.MatchString(id) {
		return echo.ErrBadRequest
	}
	err = h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) error { return models.Submit(tx, s, r, id, tr(c).Code()) })
	if errors.Is(err, models.ErrIncomplete) {
		return h.renderCheck(c, http.StatusUnprocessableEntity)
	}
	if errors.Is(err, models.ErrSetAside) {
		return h.showSetAside(c, s, r)
	}
	if notStored(err) {
		h.log.ErrorContext(c.Request().Context(), "submit not stored", "survey", s.Slug, "response", r.ID, "err", err)
		return h.renderCheck(c, http.StatusServiceUnavailable, problemView{Message: notStoredMessage(c)})
	}
	if err != nil {
		return err
	}
	if r.SetAside() { // kept, not counted: the page says why
		h.log.Info("response set aside", "survey", s.Slug, "response", r.ID, "reason", r.SetAsideReason)
		return h.showSetAside(c, s, r)
	}
	h.log.Info("response submitted", "survey", s.Slug, "response", r.ID)
	return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug+"/bevestiging")
}

type confirmView struct {
	Survey       *models.Survey
	Reference    string
	Municipality string
	SubmittedAt  time.Time
	Sections     []summarySection
}

func (h *Handler) showConfirmation(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	r, answers, err := h.loadDraftAnswers(c, s)
	if errors.Is(err, models.ErrNotFound) {
		return h.noDraft(c, s)
	}
	if err != nil {
		return err
	}
	if r.SetAside() {
		return h.showSetAside(c, s, r)
	}
	if def, err = h.defFor(c, s, r); err != nil {
		return err
	}
	if !r.Submitted() {
		return c.Redirect(http.StatusSeeOther, continueURL(s.Slug, r, len(def.Sections)))
	}
	view := confirmView{Survey: s, Reference: *r.Reference, Municipality: h.municipalityName(c, s, r), SubmittedAt: *r.SubmittedAt,
		Sections: summarise(tr(c), def, s.Slug, answers)}
	return c.Render(http.StatusOK, "respond/confirmation", view)
}

type resumeView struct {
	Survey      *models.Survey
	Link        string
	ContinueURL string
	MailEnabled bool   // offer to e-mail the link (resumemail.go)
	Email       string // the address typed, shown again with MailError
	MailError   string
	Errors      []problemView
}

func (h *Handler) showResumeLink(c *echo.Context) error {
	s, def, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	r, def, ok, err := h.loadOwnDraft(c, s)
	if !ok {
		return err
	}
	// The private link of this response, also when it was started with an invitation: that
	// link is bound to this browser and leads nobody else to these answers.
	link := "/s/" + s.Slug + "/hervat/" + h.draftToken(c, s.Slug)
	view := resumeView{Survey: s, Link: h.absURL(c, link), ContinueURL: continueURL(s.Slug, r, len(def.Sections)), MailEnabled: h.cfg.Mail.Enabled()}
	return c.Render(http.StatusOK, "respond/resume", view)
}

// absURL makes a link that works outside this browser.
func (h *Handler) absURL(c *echo.Context, path string) string {
	if h.cfg.BaseURL != "" {
		return h.cfg.BaseURL + path
	}
	return c.Scheme() + "://" + c.Request().Host + path
}

func (h *Handler) resumeDraft(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	token := c.Param("token")
	r, err := models.FindResponse(h.db.Read.WithContext(c.Request().Context()), s, token)
	if errors.Is(err, models.ErrNotFound) {
		// Only wrong links count towards the limit, so guessing cannot lock out valid ones.
		if err := h.badLink(c); err != nil {
			return err
		}
		return c.Render(http.StatusNotFound, "respond/badlink", s)
	}
	if err != nil {
		return err
	}
	delete(h.session(c).Values, inviteKey(s.Slug)) // this response, not a link followed before
	if err := h.setDraftToken(c, s.Slug, token); err != nil {
		return err
	}
	if r.Submitted() {
		return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug+"/bevestiging")
	}
	if r.SetAside() {
		return h.showSetAside(c, s, r)
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	to, err := h.continueAt(c, s, r)
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, to)
}
