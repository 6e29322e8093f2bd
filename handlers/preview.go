package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// A preview shows a survey as a respondent sees it, with the respondent's own templates,
// view builders and answer rules, in any status, and stores nothing in the database: the
// answers live in memory under a random key in the visitor's session, for a few hours.
// Researchers preview at /admin/surveys/{slug}/preview; a colleague without an account
// follows a signed link, /voorbeeld/{token}, that works while the survey is a draft.

const (
	previewKey      = "preview"
	previewLifetime = 8 * time.Hour
	maxPreviews     = 2000     // previews kept in memory at once; the oldest go first
	maxPreviewBytes = 32 << 20 // and the texts of all their answers together, roughly
)

func (h *Handler) previewRoutes(e *echo.Echo, a *echo.Group) {
	for _, g := range []*echo.Group{a.Group("/surveys/:slug/preview", h.researcherPreview), e.Group("/voorbeeld/:token", h.sharedPreview)} {
		g.GET("", h.previewStart)
		g.POST("/start", h.previewBegin)
		g.GET("/stap/:n", h.previewSection)
		g.POST("/stap/:n", h.previewSaveSection)
		g.GET("/controleren", h.previewCheck)
		g.POST("/verzenden", h.previewSubmit)
		g.GET("/bevestiging", h.previewConfirmation)
		g.GET("/later", h.previewLater)
		g.POST("/opnieuw", h.previewRestart)
	}
}

// previewFrame is what the layout and the renderer need to show a page as a preview: the
// banner, and the address that stands in for /s/{slug} in every link.
type previewFrame struct {
	Base      string // e.g. /admin/surveys/klantcontact-2019/preview
	EditorURL string // empty for a colleague without an account
	Status    statusView
	survey    *models.Survey
	def       *models.Definition
	links     *regexp.Regexp
}

// rewrite points the respondent's links at the preview.
func (p *previewFrame) rewrite(page []byte) []byte {
	return p.links.ReplaceAll(page, []byte(`"`+p.Base+`$1`))
}

func newPreviewFrame(s *models.Survey, base, editor string) (*previewFrame, error) {
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	return &previewFrame{Base: base, EditorURL: editor, Status: statusViews[s.Status], survey: s, def: def,
		links: regexp.MustCompile(`"/s/` + regexp.QuoteMeta(s.Slug) + `(["/?#])`)}, nil
}

func (h *Handler) researcherPreview(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
		if err != nil {
			return err
		}
		p, err := newPreviewFrame(s, "/admin/surveys/"+s.Slug+"/preview", editorURL(s.Slug))
		if err != nil {
			return err
		}
		p.survey, p.def = inLanguage(c, p.survey, p.def) // as a respondent in the researcher's language sees it
		c.Set(previewKey, p)
		return next(c)
	}
}

func (h *Handler) sharedPreview(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		token := c.Param("token")
		id, ok := h.checkPreviewToken(token)
		if !ok {
			return models.ErrNotFound
		}
		s, err := models.FindSurveyByID(h.db.Read.WithContext(c.Request().Context()), id)
		if err != nil {
			return err
		}
		if s.Status != models.StatusDraft { // opening the survey ends the shared preview
			return previewEnded
		}
		p, err := newPreviewFrame(s, previewShareURL(token), "")
		if err != nil {
			return err
		}
		p.survey, p.def = inLanguage(c, p.survey, p.def) // as a respondent in the researcher's language sees it
		c.Set(previewKey, p)
		return next(c)
	}
}

var previewEnded = echo.NewHTTPError(http.StatusGone, "preview ended")

func previewShareURL(token string) string { return "/voorbeeld/" + token }

// previewToken signs a share link for survey s: its id, and a MAC over it and the slug.
func (h *Handler) previewToken(s *models.Survey) string {
	return strconv.FormatUint(uint64(s.ID), 10) + "-" + h.previewMAC(s.ID)
}

func (h *Handler) previewMAC(id uint) string {
	m := hmac.New(sha256.New, h.cfg.SessionKey)
	fmt.Fprintf(m, "peiling preview link\x00%d", id)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (h *Handler) checkPreviewToken(token string) (uint, bool) {
	idText, mac, ok := strings.Cut(token, "-")
	id, err := strconv.ParseUint(idText, 10, 32)
	if !ok || err != nil {
		return 0, false
	}
	return uint(id), hmac.Equal([]byte(mac), []byte(h.previewMAC(uint(id))))
}

func previewOf(c *echo.Context) *previewFrame {
	p, _ := c.Get(previewKey).(*previewFrame)
	return p
}

// previewAnswers are one visitor's answers in one preview.
type previewAnswers struct {
	sections  map[int][]models.Answer
	reached   int
	submitted *time.Time
	touched   time.Time
	size      int // bytes of its answers, roughly
}

// all returns the answers in the order of the sections (a definition has at most 50).
func (pa *previewAnswers) all() []models.Answer {
	previews.mu.Lock()
	defer previews.mu.Unlock()
	var out []models.Answer
	for si := range 50 {
		out = append(out, pa.sections[si]...)
	}
	return out
}

// save keeps the answers of page si, removes those of questions the new answers hide, as
// models.SaveSection does, and returns what is shown now. A shared link lets anyone save
// answers, so the store keeps their size within maxPreviewBytes, dropping the oldest previews.
func (pa *previewAnswers) save(def *models.Definition, si int, answers []models.Answer) models.Visibility {
	previews.mu.Lock()
	defer previews.mu.Unlock()
	pa.sections[si] = answers
	pa.reached = max(pa.reached, si+1)
	var all []models.Answer
	for i := range 50 {
		all = append(all, pa.sections[i]...)
	}
	vis := def.Visible(all)
	for pa.reached < len(def.Sections) && !vis.Section(pa.reached) { // skipped pages count as reached
		pa.reached++
	}
	size := 0
	for i, as := range pa.sections {
		kept := as[:0:0]
		for _, a := range as {
			if vis.Question(a.Question) {
				kept = append(kept, a)
				size += 64 + len(a.Text)
			}
		}
		pa.sections[i] = kept
	}
	previews.bytes += size - pa.size
	pa.size = size
	for previews.bytes > maxPreviewBytes && len(previews.byID) > 1 {
		previews.dropOldest(pa)
	}
	return vis
}

// previewStore holds the answers of every preview in memory.
type previewStore struct {
	mu    sync.Mutex
	byID  map[string]*previewAnswers
	bytes int // the size of every preview's answers
}

// dropOldest forgets the preview touched longest ago, other than keep; ps.mu is held.
func (ps *previewStore) dropOldest(keep *previewAnswers) {
	oldest := ""
	for k, v := range ps.byID {
		if v != keep && (oldest == "" || v.touched.Before(ps.byID[oldest].touched)) {
			oldest = k
		}
	}
	ps.bytes -= ps.byID[oldest].size
	delete(ps.byID, oldest)
}

func (ps *previewStore) get(id string) *previewAnswers {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	pa := ps.byID[id]
	if pa == nil || time.Since(pa.touched) > previewLifetime {
		return nil
	}
	pa.touched = time.Now()
	return pa
}

func (ps *previewStore) put(id string, pa *previewAnswers) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.byID == nil {
		ps.byID = map[string]*previewAnswers{}
	}
	if len(ps.byID) >= maxPreviews {
		ps.dropOldest(nil)
	}
	pa.touched = time.Now()
	ps.byID[id] = pa
}

var previews previewStore

func previewSessionKey(p *previewFrame) string { return "preview:" + p.survey.Slug }

// previewDraft returns this browser's preview answers, nil when it has none.
func (h *Handler) previewDraft(c *echo.Context, p *previewFrame) *previewAnswers {
	id, _ := h.session(c).Values[previewSessionKey(p)].(string)
	if id == "" {
		return nil
	}
	return previews.get(id)
}

func (h *Handler) previewStart(c *echo.Context) error {
	p := previewOf(c)
	view := startView{Survey: p.survey, Def: p.def, Steps: len(p.def.Sections), Accepting: true}
	if pa := h.previewDraft(c, p); pa != nil && pa.submitted == nil {
		view.ContinueURL = continueURL(p.survey.Slug, &models.Response{Reached: pa.reached}, len(p.def.Sections))
		view.Reached = pa.reached
	}
	return c.Render(http.StatusOK, "respond/start", view)
}

func (h *Handler) previewBegin(c *echo.Context) error {
	p := previewOf(c)
	if pa := h.previewDraft(c, p); pa != nil && pa.submitted == nil {
		return c.Redirect(http.StatusSeeOther, p.local(continueURL(p.survey.Slug, &models.Response{Reached: pa.reached}, len(p.def.Sections))))
	}
	id := models.NewToken()
	previews.put(id, &previewAnswers{sections: map[int][]models.Answer{}})
	h.session(c).Values[previewSessionKey(p)] = id
	if err := h.saveSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Base+"/stap/1")
}

// previewOwn is loadOwnDraft for a preview: without answers, back to the start.
func (h *Handler) previewOwn(c *echo.Context, p *previewFrame) (*previewAnswers, bool, error) {
	pa := h.previewDraft(c, p)
	switch {
	case pa == nil:
		return nil, false, c.Redirect(http.StatusSeeOther, p.Base)
	case pa.submitted != nil:
		return nil, false, c.Redirect(http.StatusSeeOther, p.Base+"/bevestiging")
	}
	return pa, true, nil
}

func (h *Handler) previewSection(c *echo.Context) error {
	p := previewOf(c)
	n, err := step(c, p.def)
	if err != nil {
		return err
	}
	pa, ok, err := h.previewOwn(c, p)
	if !ok {
		return err
	}
	if n > pa.reached+1 {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s/stap/%d", p.Base, pa.reached+1))
	}
	all := pa.all()
	vis := p.def.Visible(all)
	if !vis.Section(n - 1) { // skipped by an earlier answer
		return c.Redirect(http.StatusSeeOther, p.local(nextURL(p.survey.Slug, n, vis, "volgende", false)))
	}
	return h.renderSection(c, http.StatusOK, p.survey, p.def, &models.Response{}, n, vis, p.def.Values(all), nil)
}

func (h *Handler) previewSaveSection(c *echo.Context) error {
	p := previewOf(c)
	n, err := step(c, p.def)
	if err != nil {
		return err
	}
	pa, ok, err := h.previewOwn(c, p)
	if !ok {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	action := form.Get("actie")
	reg, err := h.registers.Get(h.db.Read, p.survey.Register)
	if err != nil {
		return err
	}
	vis := p.def.Visible(pa.all())
	if !vis.Section(n - 1) {
		return c.Redirect(http.StatusSeeOther, p.local(nextURL(p.survey.Slug, n, vis, "volgende", false)))
	}
	answers, problems := p.def.ReadShown(n-1, form, reg, action == "volgende", &vis)
	if len(problems) > 0 {
		return h.renderSection(c, http.StatusUnprocessableEntity, p.survey, p.def, &models.Response{}, n, vis, form, problems)
	}
	vis = pa.save(p.def, n-1, answers)
	return c.Redirect(http.StatusSeeOther, p.local(nextURL(p.survey.Slug, n, vis, action, form.Get("terug") == "controleren")))
}

// local turns a respondent's address into the same page of the preview.
func (p *previewFrame) local(u string) string {
	return p.Base + strings.TrimPrefix(u, "/s/"+p.survey.Slug)
}

// previewCheck builds the check page as renderCheck does, from the answers in memory.
func (h *Handler) previewCheck(c *echo.Context) error { return h.renderPreviewCheck(c, http.StatusOK) }

func (h *Handler) renderPreviewCheck(c *echo.Context, status int) error {
	p := previewOf(c)
	pa, ok, err := h.previewOwn(c, p)
	if !ok {
		return err
	}
	if pa.reached < len(p.def.Sections) {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s/stap/%d", p.Base, pa.reached+1))
	}
	all := pa.all()
	return c.Render(status, "respond/check", newCheckView(tr(c), p.survey, p.def, all, nil))
}

func (h *Handler) previewSubmit(c *echo.Context) error {
	p := previewOf(c)
	pa, ok, err := h.previewOwn(c, p)
	if !ok {
		return err
	}
	if !submissionIDPattern.MatchString(c.FormValue("inzending")) {
		return echo.ErrBadRequest
	}
	if len(p.def.Missing(pa.all())) > 0 || pa.reached < len(p.def.Sections) {
		return h.renderPreviewCheck(c, http.StatusUnprocessableEntity)
	}
	now := time.Now().UTC()
	previews.mu.Lock()
	pa.submitted = &now
	previews.mu.Unlock()
	return c.Redirect(http.StatusSeeOther, p.Base+"/bevestiging")
}

func (h *Handler) previewConfirmation(c *echo.Context) error {
	p := previewOf(c)
	pa := h.previewDraft(c, p)
	if pa == nil || pa.submitted == nil {
		return c.Redirect(http.StatusSeeOther, p.Base)
	}
	all := pa.all()
	municipality := ""
	if q := p.def.MunicipalityQuestion(); q != nil {
		for _, a := range all {
			if a.Question == q.Code {
				municipality = a.Text
			}
		}
	}
	view := confirmView{Survey: p.survey, Reference: "VOORBEELD", Municipality: municipality, SubmittedAt: *pa.submitted,
		Sections: summarise(tr(c), p.def, p.survey.Slug, all)}
	// A next preview starts afresh.
	delete(h.session(c).Values, previewSessionKey(p))
	if err := h.saveSession(c); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "respond/confirmation", view)
}

// previewLater shows the page of "Opslaan en later verder"; its link leads back to this
// preview, which keeps the answers in this browser for a few hours.
func (h *Handler) previewLater(c *echo.Context) error {
	p := previewOf(c)
	pa, ok, err := h.previewOwn(c, p)
	if !ok {
		return err
	}
	view := resumeView{Survey: p.survey, Link: h.absURL(c, p.Base), ContinueURL: continueURL(p.survey.Slug, &models.Response{Reached: pa.reached}, len(p.def.Sections))}
	return c.Render(http.StatusOK, "respond/resume", view)
}

// previewRestart forgets this browser's preview answers, as after a change in the editor.
func (h *Handler) previewRestart(c *echo.Context) error {
	p := previewOf(c)
	delete(h.session(c).Values, previewSessionKey(p))
	if err := h.saveSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Base)
}
