package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/models"
)

// A preview shows a survey as a respondent sees it, with the respondent's own templates,
// view builders and answer rules, in any status, and stores no response: the answers are kept
// apart (models.Preview) under a random key in the visitor's session, for a few hours, in the
// database so that every instance serving it sees them.
// Researchers preview at /admin/surveys/{slug}/preview; a colleague without an account
// follows a signed link, /voorbeeld/{token}, that works while the survey is a draft.

const previewKey = "preview"

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

// previewAnswers are one visitor's answers in one preview, as stored (models.Preview).
type previewAnswers struct {
	id        string // the key in the visitor's session
	Sections  map[int][]models.Answer
	Reached   int
	Submitted *time.Time
}

// all returns the answers in the order of the sections (a definition has at most 50).
func (pa *previewAnswers) all() []models.Answer {
	var out []models.Answer
	for si := range 50 {
		out = append(out, pa.Sections[si]...)
	}
	return out
}

// save keeps the answers of page si, removes those of questions the new answers hide, as
// models.SaveSection does, and returns what is shown now.
func (pa *previewAnswers) save(def *models.Definition, si int, answers []models.Answer) models.Visibility {
	pa.Sections[si] = answers
	pa.Reached = max(pa.Reached, si+1)
	vis := def.Visible(pa.all())
	for pa.Reached < len(def.Sections) && !vis.Section(pa.Reached) { // skipped pages count as reached
		pa.Reached++
	}
	for i, as := range pa.Sections {
		kept := as[:0:0]
		for _, a := range as {
			if vis.Question(a.Question) {
				kept = append(kept, a)
			}
		}
		pa.Sections[i] = kept
	}
	return vis
}

// storePreview saves pa for every instance to find. The store keeps all previews together
// within models.MaxPreviewBytes, dropping the oldest, since a shared link lets anyone save.
func (h *Handler) storePreview(c *echo.Context, pa *previewAnswers) error {
	data, err := json.Marshal(pa)
	if err != nil {
		return err
	}
	at := time.Now()
	return h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) error {
		return models.SavePreview(tx, pa.id, string(data), at)
	})
}

func previewSessionKey(p *previewFrame) string { return "preview:" + p.survey.Slug }

// previewDraft returns this browser's preview answers, nil when it has none.
func (h *Handler) previewDraft(c *echo.Context, p *previewFrame) (*previewAnswers, error) {
	id, _ := h.session(c).Values[previewSessionKey(p)].(string)
	if id == "" {
		return nil, nil
	}
	data, err := models.LoadPreview(h.db.Read.WithContext(c.Request().Context()), id, time.Now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pa := &previewAnswers{id: id}
	if err := json.Unmarshal([]byte(data), pa); err != nil {
		return nil, fmt.Errorf("preview answers: %w", err)
	}
	if pa.Sections == nil {
		pa.Sections = map[int][]models.Answer{}
	}
	return pa, nil
}

func (h *Handler) previewStart(c *echo.Context) error {
	p := previewOf(c)
	view := startView{Survey: p.survey, Def: p.def, Steps: len(p.def.Sections), Accepting: true}
	pa, err := h.previewDraft(c, p)
	if err != nil {
		return err
	}
	if pa != nil && pa.Submitted == nil {
		view.ContinueURL = continueURL(p.survey.Slug, &models.Response{Reached: pa.Reached}, len(p.def.Sections))
		view.Reached = pa.Reached
	}
	return c.Render(http.StatusOK, "respond/start", view)
}

func (h *Handler) previewBegin(c *echo.Context) error {
	p := previewOf(c)
	pa, err := h.previewDraft(c, p)
	if err != nil {
		return err
	}
	if pa != nil && pa.Submitted == nil {
		return c.Redirect(http.StatusSeeOther, p.local(continueURL(p.survey.Slug, &models.Response{Reached: pa.Reached}, len(p.def.Sections))))
	}
	pa = &previewAnswers{id: models.NewToken(), Sections: map[int][]models.Answer{}}
	if err := h.storePreview(c, pa); err != nil {
		return err
	}
	h.session(c).Values[previewSessionKey(p)] = pa.id
	if err := h.saveSession(c); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Base+"/stap/1")
}

// previewOwn is loadOwnDraft for a preview: without answers, back to the start.
func (h *Handler) previewOwn(c *echo.Context, p *previewFrame) (*previewAnswers, bool, error) {
	pa, err := h.previewDraft(c, p)
	switch {
	case err != nil:
		return nil, false, err
	case pa == nil:
		return nil, false, c.Redirect(http.StatusSeeOther, p.Base)
	case pa.Submitted != nil:
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
	if n > pa.Reached+1 {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s/stap/%d", p.Base, pa.Reached+1))
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
	if err := h.storePreview(c, pa); err != nil {
		return err
	}
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
	if pa.Reached < len(p.def.Sections) {
		return c.Redirect(http.StatusSeeOther, fmt.Sprintf("%s/stap/%d", p.Base, pa.Reached+1))
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
	if len(p.def.Missing(pa.all())) > 0 || pa.Reached < len(p.def.Sections) {
		return h.renderPreviewCheck(c, http.StatusUnprocessableEntity)
	}
	now := time.Now().UTC()
	pa.Submitted = &now
	if err := h.storePreview(c, pa); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, p.Base+"/bevestiging")
}

func (h *Handler) previewConfirmation(c *echo.Context) error {
	p := previewOf(c)
	pa, err := h.previewDraft(c, p)
	if err != nil {
		return err
	}
	if pa == nil || pa.Submitted == nil {
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
	view := confirmView{Survey: p.survey, Reference: "VOORBEELD", Municipality: municipality, SubmittedAt: *pa.Submitted,
		Sections: summarise(tr(c), p.def, p.survey.Slug, all)}
	// A next preview starts afresh.
	if err := h.db.GroupWrite(c.Request().Context(), func(tx *gorm.DB) error { return models.DeletePreview(tx, pa.id) }); err != nil {
		return err
	}
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
	view := resumeView{Survey: p.survey, Link: h.absURL(c, p.Base), ContinueURL: continueURL(p.survey.Slug, &models.Response{Reached: pa.Reached}, len(p.def.Sections))}
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
