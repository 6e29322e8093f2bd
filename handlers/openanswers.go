package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// openAnswerRoutes are the coding of open answers and "anders, namelijk" texts: read, filter,
// make, rename and merge themes, and tag answers one by one or many at once.
func (h *Handler) openAnswerRoutes(r *echo.Group) {
	r.GET("/results/open/:question", h.showOpenAnswers)
	r.POST("/results/open/:question/themes", h.createTheme)
	r.POST("/results/open/:question/themes/:theme/naam", h.renameTheme)
	r.POST("/results/open/:question/themes/:theme/samenvoegen", h.mergeThemes)
	r.POST("/results/open/:question/tags", h.tagAnswers)
}

// openAnswersView is every written answer to one question, filtered, with themes.
type openAnswersView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Question   *models.Question
	Query      string
	Filter     string // "", filterUncoded or a theme id
	FilterName string // what the filter keeps, in words
	Filtered   bool
	Answers    []openAnswerView
	Total      int64
	Shown      int
	More       bool // more answers match than the page shows
	Themes     []themeView
	Errors     []problemView
	NameErr    string // the new theme's name was refused
	Name       string
	Action     string
	PageURL    string // this page with its filter: where the forms come back to
	ResultsURL string
}

// themeView is one theme in the list of themes, with the others it can be merged into.
type themeView struct {
	models.ThemeCount
	Others    []models.ThemeCount
	RenameErr string
	Selected  bool // the filter shows this theme
}

type openAnswerView struct {
	models.OpenAnswer
	Nr          int // position on the page, 1-based: names each control after its answer
	OptionLabel string
	Tagged      []models.ThemeCount
}

const (
	openAnswersPerPage = 500
	filterUncoded      = "geen"
)

// answerFilter reads the filter of the open answers page from its query string (GET) or the
// hidden fields of its forms (POST).
func answerFilter(query, theme string) (models.AnswerFilter, error) {
	f := models.AnswerFilter{Query: strings.TrimSpace(query)}
	switch theme {
	case "":
	case filterUncoded:
		f.Uncoded = true
	default:
		id, err := strconv.ParseUint(theme, 10, 32)
		if err != nil || id == 0 {
			return f, echo.ErrBadRequest
		}
		f.Theme = uint(id)
	}
	return f, nil
}

func (h *Handler) showOpenAnswers(c *echo.Context) error {
	return h.renderOpenAnswers(c, http.StatusOK, c.QueryParam("q"), c.QueryParam("thema"), nil)
}

// renderOpenAnswers shows the page for the filter query and theme, with problems (a refused
// form) if any.
func (h *Handler) renderOpenAnswers(c *echo.Context, status int, query, theme string, problems func(*openAnswersView)) error {
	db := h.db.Read.WithContext(c.Request().Context())
	s := surveyOf(c)
	q, err := writtenQuestion(s, c.Param("question"))
	if err != nil {
		return err
	}
	f, err := answerFilter(query, theme)
	if err != nil {
		return err
	}
	answers, err := models.FilterOpenAnswers(db, s, q.Code, f, 0, openAnswersPerPage)
	if err != nil {
		return err
	}
	total, err := models.CountFilteredAnswers(db, s, q.Code, f)
	if err != nil {
		return err
	}
	themes, err := models.Themes(db, s.ID, q.Code)
	if err != nil {
		return err
	}
	action := "/admin/surveys/" + s.Slug + "/results/open/" + q.Code
	v := openAnswersView{Researcher: researcher(c), Survey: s, Question: q, Query: f.Query, Filter: theme, Total: total,
		Shown: len(answers), More: total > int64(len(answers)), Filtered: f != (models.AnswerFilter{}),
		Action: action, PageURL: openAnswersURL(s.Slug, q.Code, f.Query, theme, ""), ResultsURL: "/admin/surveys/" + s.Slug + "/results"}
	if f.Uncoded {
		v.FilterName = tr(c).T("results.open.filter_uncoded")
	}
	for _, t := range themes {
		tv := themeView{ThemeCount: t, Selected: f.Theme == t.ID}
		for _, o := range themes {
			if o.ID != t.ID {
				tv.Others = append(tv.Others, o)
			}
		}
		if tv.Selected {
			v.FilterName = tr(c).T("results.open.filter_theme", "Name", t.Name)
		}
		v.Themes = append(v.Themes, tv)
	}
	for i, a := range answers {
		v.Answers = append(v.Answers, answerView(q, themes, a, i+1))
	}
	if problems != nil {
		problems(&v)
	}
	return c.Render(status, "results/open", v)
}

func answerView(q *models.Question, themes []models.ThemeCount, a models.OpenAnswer, nr int) openAnswerView {
	av := openAnswerView{OpenAnswer: a, Nr: nr}
	for _, o := range q.Options {
		if o.Code == a.Option {
			av.OptionLabel = o.Label
		}
	}
	on := map[uint]bool{}
	for _, id := range a.Themes {
		on[id] = true
	}
	for _, t := range themes {
		if on[t.ID] {
			av.Tagged = append(av.Tagged, t)
		}
	}
	return av
}

// writtenQuestion is a question of s that can have written answers: open, or with "anders".
func writtenQuestion(s *models.Survey, code string) (*models.Question, error) {
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	for _, q := range def.Questions() {
		if q.Code == code && (q.Kind == models.KindText || hasOtherOption(q)) {
			return q, nil
		}
	}
	return nil, models.ErrNotFound
}

func badThemeName(tl *locales.Translator) string {
	return tl.T("results.open.bad_name", "Max", models.MaxThemeName)
}

func (h *Handler) createTheme(c *echo.Context) error {
	s := surveyOf(c)
	q, err := writtenQuestion(s, c.Param("question"))
	if err != nil {
		return err
	}
	name := c.FormValue("naam")
	err = models.CreateTheme(h.db.Write.WithContext(c.Request().Context()), s, q.Code, name)
	if errors.Is(err, models.ErrBadThemeName) {
		return h.renderOpenAnswers(c, http.StatusUnprocessableEntity, c.FormValue("q"), c.FormValue("filter"), func(v *openAnswersView) {
			v.NameErr, v.Name = badThemeName(tr(c)), name
			v.Errors = []problemView{{Href: "#naam", Message: v.NameErr}}
		})
	}
	if err != nil {
		return err
	}
	msg := tr(c).T("results.open.added", "Name", strings.Join(strings.Fields(name), " "))
	return h.redirectWithFlash(c, openAnswersURL(s.Slug, q.Code, c.FormValue("q"), c.FormValue("filter"), ""), msg)
}

// themeParam reads the theme of the URL.
func themeParam(c *echo.Context) (uint, error) {
	id, err := strconv.ParseUint(c.Param("theme"), 10, 32)
	if err != nil {
		return 0, models.ErrNotFound
	}
	return uint(id), nil
}

func (h *Handler) renameTheme(c *echo.Context) error {
	s := surveyOf(c)
	q, err := writtenQuestion(s, c.Param("question"))
	if err != nil {
		return err
	}
	id, err := themeParam(c)
	if err != nil {
		return err
	}
	name := strings.Join(strings.Fields(c.FormValue("naam")), " ")
	err = models.RenameTheme(h.db.Write.WithContext(c.Request().Context()), s, q.Code, id, name)
	problem := ""
	switch {
	case errors.Is(err, models.ErrBadThemeName):
		problem = badThemeName(tr(c))
	case errors.Is(err, models.ErrThemeExists):
		problem = tr(c).T("results.open.name_taken", "Name", name)
	case err != nil:
		return err
	}
	if problem != "" {
		return h.renderOpenAnswers(c, http.StatusUnprocessableEntity, c.FormValue("q"), c.FormValue("filter"), func(v *openAnswersView) {
			for i := range v.Themes {
				if v.Themes[i].ID == id {
					v.Themes[i].RenameErr = problem
				}
			}
			v.Errors = []problemView{{Href: fmt.Sprintf("#naam-%d", id), Message: problem}}
		})
	}
	return h.redirectWithFlash(c, openAnswersURL(s.Slug, q.Code, c.FormValue("q"), c.FormValue("filter"), ""), tr(c).T("results.open.renamed", "Name", name))
}

func (h *Handler) mergeThemes(c *echo.Context) error {
	s := surveyOf(c)
	q, err := writtenQuestion(s, c.Param("question"))
	if err != nil {
		return err
	}
	from, err := themeParam(c)
	if err != nil {
		return err
	}
	into, err := strconv.ParseUint(c.FormValue("met"), 10, 32)
	if err != nil {
		return echo.ErrBadRequest
	}
	db := h.db.Write.WithContext(c.Request().Context())
	if err := models.MergeThemes(db, s, q.Code, from, uint(into)); err != nil {
		return err
	}
	themes, err := models.Themes(db, s.ID, q.Code)
	if err != nil {
		return err
	}
	msg := tr(c).T("results.open.merged")
	for _, t := range themes {
		if t.ID == uint(into) {
			msg = tr(c).T("results.open.merged_into", "Name", t.Name, "Answers", answersCount(tr(c), t.Count))
		}
	}
	filter := c.FormValue("filter")
	if filter == strconv.FormatUint(uint64(from), 10) { // the filtered theme is gone: show where its answers went
		filter = strconv.FormatUint(into, 10)
	}
	return h.redirectWithFlash(c, openAnswersURL(s.Slug, q.Code, c.FormValue("q"), filter, ""), msg)
}

func answersCount(tl *locales.Translator, n int64) string {
	return tl.T("results.open.answers", "Count", n)
}

func openAnswersURL(slug, question, query, theme, anchor string) string {
	u := "/admin/surveys/" + slug + "/results/open/" + question
	v := url.Values{}
	if query != "" {
		v.Set("q", query)
	}
	if theme != "" {
		v.Set("thema", theme)
	}
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	if anchor != "" {
		u += "#" + anchor
	}
	return u
}

// tagRequest is one press in the answers form: a theme given to or taken from the chosen
// answers, or one tag removed with its own button ("verwijder" = "theme-answer").
type tagRequest struct {
	theme   uint
	answers []uint
	on      bool
}

func readTagRequest(c *echo.Context) (tagRequest, error) {
	form, err := c.FormValues()
	if err != nil {
		return tagRequest{}, echo.ErrBadRequest.Wrap(err)
	}
	if one := form.Get("verwijder"); one != "" {
		t, a, ok := strings.Cut(one, "-")
		theme, err1 := strconv.ParseUint(t, 10, 32)
		answer, err2 := strconv.ParseUint(a, 10, 32)
		if !ok || err1 != nil || err2 != nil {
			return tagRequest{}, echo.ErrBadRequest
		}
		return tagRequest{theme: uint(theme), answers: []uint{uint(answer)}}, nil
	}
	theme, err := strconv.ParseUint(form.Get("thema"), 10, 32)
	if err != nil {
		return tagRequest{}, echo.ErrBadRequest
	}
	r := tagRequest{theme: uint(theme), on: form.Get("actie") != "verwijderen"}
	for _, a := range form["antwoord"] {
		id, err := strconv.ParseUint(a, 10, 32)
		if err != nil {
			return tagRequest{}, echo.ErrBadRequest
		}
		r.answers = append(r.answers, uint(id))
	}
	return r, nil
}

// tagResult is what a page that tagged without reloading needs to update itself.
type tagResult struct {
	Message string       `json:"message"`
	Answers []taggedJSON `json:"answers"`
	Themes  []themeJSON  `json:"themes"`
	Error   bool         `json:"error,omitempty"`
}

type taggedJSON struct {
	ID     uint        `json:"id"`
	Themes []themeJSON `json:"themes"`
}

type themeJSON struct {
	ID    uint   `json:"id"`
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

// wantsJSON tells the page's script (fetch) from a plain form post.
func wantsJSON(c *echo.Context) bool {
	return strings.Contains(c.Request().Header.Get("Accept"), "application/json")
}

const noAnswersChosen = "results.open.none_chosen"

func (h *Handler) tagAnswers(c *echo.Context) error {
	s := surveyOf(c)
	q, err := writtenQuestion(s, c.Param("question"))
	if err != nil {
		return err
	}
	req, err := readTagRequest(c)
	if err != nil {
		return err
	}
	if c.FormValue("actie") == "alle" { // every answer the page shows, with its filter and search
		if req.answers, err = h.shownAnswers(c, s, q.Code); err != nil {
			return err
		}
	}
	if len(req.answers) == 0 {
		if wantsJSON(c) {
			return c.JSON(http.StatusUnprocessableEntity, tagResult{Message: tr(c).T(noAnswersChosen), Error: true})
		}
		return h.renderOpenAnswers(c, http.StatusUnprocessableEntity, c.FormValue("q"), c.FormValue("filter"), func(v *openAnswersView) {
			v.Errors = []problemView{{Href: "#antwoorden", Message: tr(c).T(noAnswersChosen)}}
		})
	}
	db := h.db.Write.WithContext(c.Request().Context())
	changed, err := models.TagAnswers(db, s, q.Code, req.theme, req.answers, req.on)
	if err != nil {
		return err
	}
	themes, err := models.Themes(db, s.ID, q.Code)
	if err != nil {
		return err
	}
	msg := tagMessage(tr(c), themes, req, changed)
	if !wantsJSON(c) {
		anchor := ""
		if len(req.answers) == 1 {
			anchor = fmt.Sprintf("antwoord-%d", req.answers[0])
		}
		return h.redirectWithFlash(c, openAnswersURL(s.Slug, q.Code, c.FormValue("q"), c.FormValue("filter"), anchor), msg)
	}
	tags, err := models.AnswerThemes(db, req.answers)
	if err != nil {
		return err
	}
	res := tagResult{Message: msg}
	for _, t := range themes {
		res.Themes = append(res.Themes, themeJSON{ID: t.ID, Name: t.Name, Count: t.Count})
	}
	for _, id := range req.answers {
		a := taggedJSON{ID: id, Themes: []themeJSON{}}
		for _, t := range tags[id] {
			a.Themes = append(a.Themes, themeJSON{ID: t.ID, Name: t.Name})
		}
		res.Answers = append(res.Answers, a)
	}
	return c.JSON(http.StatusOK, res)
}

// shownAnswers are the ids of the answers the page shows for the filter and search posted
// with the form: what "aan alle getoonde antwoorden" tags.
func (h *Handler) shownAnswers(c *echo.Context, s *models.Survey, question string) ([]uint, error) {
	f, err := answerFilter(c.FormValue("q"), c.FormValue("filter"))
	if err != nil {
		return nil, err
	}
	answers, err := models.FilterOpenAnswers(h.db.Read.WithContext(c.Request().Context()), s, question, f, 0, openAnswersPerPage)
	if err != nil {
		return nil, err
	}
	ids := make([]uint, len(answers))
	for i, a := range answers {
		ids[i] = a.ID
	}
	return ids, nil
}

// tagMessage confirms what a press did, in words a screen reader can announce.
func tagMessage(tl *locales.Translator, themes []models.ThemeCount, req tagRequest, changed int64) string {
	name := ""
	for _, t := range themes {
		if t.ID == req.theme {
			name = t.Name
		}
	}
	if req.on {
		already := ""
		if rest := int64(len(req.answers)) - changed; rest > 0 {
			already = " " + tl.T("results.open.already", "Count", rest)
		}
		return tl.T("results.open.assigned", "Name", name, "Answers", answersCount(tl, changed), "Already", already, "Total", countOf(tl, themes, req.theme))
	}
	return tl.T("results.open.removed", "Name", name, "Answers", answersCount(tl, changed), "Total", countOf(tl, themes, req.theme))
}

func countOf(tl *locales.Translator, themes []models.ThemeCount, id uint) string {
	for _, t := range themes {
		if t.ID == id {
			return answersCount(tl, t.Count)
		}
	}
	return answersCount(tl, 0)
}

// themeChartView is the themes of an open question on the results page: a bar per theme,
// with a table of the same numbers.
type themeChartView struct {
	Chart template.HTML
	Table *tableView
	N     int64
}

// themeChart draws the themes of q with their shares of the base respondents who answered q;
// nil without themes.
func themeChart(tl *locales.Translator, q *models.Question, themes []models.ThemeCount, base int64) *themeChartView {
	if len(themes) == 0 {
		return nil
	}
	shares := models.ThemeShares(themes, base)
	t := &tableView{Caption: tl.T("results.themes.table_caption", "Text", q.Text), Head: []string{tl.T("results.themes.theme"), tl.T("results.themes.answers"), tl.T("results.themes.share", "N", base)}}
	var rows []barRow
	var parts []string
	for _, s := range shares {
		t.Rows = append(t.Rows, tableRow{Label: s.Name, Cells: []string{strconv.FormatInt(s.Count, 10), tl.Percent(float64(s.Percent), 0)}})
		rows = append(rows, barRow{Label: s.Name, Bars: []bar{{Percent: s.Percent, Count: s.Count, Value: barValue(tl, s.Percent, s.Count)}}})
		parts = append(parts, fmt.Sprintf("%s: %s (%d)", s.Name, tl.Percent(float64(s.Percent), 0), s.Count))
	}
	desc := tl.T("results.themes.desc", "N", base, "Parts", strings.Join(parts, "; "))
	return &themeChartView{Chart: template.HTML(barChart("themas-"+q.Code, tl.T("results.themes.title", "Text", q.Text), desc, rows, false)), Table: t, N: base}
}
