package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/models"
)

// resultsRoutes are the results, exports and API of closed surveys: researcher pages under
// a (/admin, logged in), the API and public pages on e.
func (h *Handler) resultsRoutes(e *echo.Echo, a *echo.Group) {
	r := a.Group("/surveys/:slug", h.closedSurvey)
	r.GET("/results", h.showResults)
	r.POST("/results/settings", h.saveResultSettings)
	r.GET("/results/chart/:chart", h.downloadChart)
	h.openAnswerRoutes(r)
	h.sliceRoutes(r)
	r.GET("/export/:file", h.exportFile)

	a.GET("/tokens", h.showTokens)
	a.POST("/tokens", h.createToken)
	a.POST("/tokens/:id/revoke", h.revokeToken)

	api := e.Group("/api/v1", h.apiErrors, h.requireToken)
	api.GET("/surveys/:slug/results", h.apiResults, h.closedSurvey)
	api.GET("/surveys/:slug/responses", h.apiResponses, h.closedSurvey)

	e.GET("/r/:slug", h.showPublicResults)
	e.GET("/r/:slug/chart/:chart", h.downloadPublicChart)
}

const surveyKey = "survey"

// embargoView explains why results are not there yet.
type embargoView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Status     string
}

// closedSurvey loads the survey of the URL and lets the request through only when the survey
// is closed: during fieldwork nobody sees results, exports or answer content. The API gets
// its 403 as JSON (apiErrors).
func (h *Handler) closedSurvey(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
		if err != nil {
			return err
		}
		if err := models.CheckReportable(s); err != nil {
			if strings.HasPrefix(c.Request().URL.Path, "/api/") {
				return err
			}
			return c.Render(http.StatusForbidden, "results/embargo", embargoView{Researcher: researcher(c), Survey: s, Status: statusLabel(s.Status)})
		}
		c.Set(surveyKey, s)
		return next(c)
	}
}

// dutchDate writes t as "3 januari 2018" in Amsterdam time.
func dutchDate(t time.Time) string {
	t = t.In(amsterdam)
	return fmt.Sprintf("%d %s %d", t.Day(), dutchMonths[t.Month()-1], t.Year())
}

func statusLabel(status string) string {
	switch status {
	case models.StatusDraft:
		return "in voorbereiding"
	case models.StatusOpen:
		return "open voor antwoorden"
	}
	return "gesloten"
}

func surveyOf(c *echo.Context) *models.Survey {
	s, _ := c.Get(surveyKey).(*models.Survey)
	return s
}

// dimOption is one choice of the breakdown selector.
type dimOption struct {
	Value, Label string
	Selected     bool
}

// resultsView is the results page, for the researcher and, published, for everyone.
type resultsView struct {
	Researcher  *models.Researcher
	Public      bool
	Report      *models.Report
	Slug        string
	Dim         string
	DimLabel    string
	DimOptions  []dimOption
	Settings    models.ResultSettings
	Period      string
	Groups      []models.Group
	HiddenAny   bool
	Profile     *questionResultView
	Sections    []sectionResultsView
	PublicURL   string
	ShowAnswers bool // open answers on the page itself (public, when chosen)
	Exports     []exportLink
	Saved       bool
	Errors      []problemView
	MinGroup    string // what the researcher typed, kept when it is refused
	MinGroupErr string
	Versions    []models.VersionCount // sent responses per questionnaire version
	// AnswersDeleted says when the raw answers were deleted under the retention setting;
	// the figures come from the aggregates and stay the same.
	AnswersDeleted string
	// Slice is the breakdown by a question and the filter (slice.go).
	Slice sliceView
}

type sectionResultsView struct {
	Title     string
	Questions []questionResultView
}

// tableView is the table beside a chart: the same numbers, readable without the picture.
type tableView struct {
	Caption string
	Head    []string
	Rows    []tableRow
}

type tableRow struct {
	Label string
	Cells []string
}

type questionResultView struct {
	Code        string
	Text        string
	Kind        string
	KindLabel   string
	N           string
	Chart       template.HTML
	ChartURL    string
	Table       *tableView
	Others      []models.OpenAnswer
	OthersTotal int64
	OpenCount   int64
	OpenURL     string
	Themes      []models.ThemeCount
	Answers     []models.OpenAnswer // public page with open answers
	Mean        string
	// ThemeChart is an open question's themes (openanswers.go).
	ThemeChart *themeChartView
}

func kindLabel(kind string) string {
	switch kind {
	case models.KindSingle:
		return "één antwoord mogelijk"
	case models.KindMulti:
		return "meerdere antwoorden mogelijk; percentages tellen op tot meer dan 100"
	case models.KindLikert:
		return "stellingen; ‘weet niet’ telt niet mee in de percentages"
	case models.KindText:
		return "open vraag"
	}
	return ""
}

// dimParam reads the breakdown from the query string: a dimension or a question's code,
// checked against the survey by sliceReport (slice.go).
func dimParam(c *echo.Context) string {
	return strings.TrimSpace(c.QueryParam("indeling"))
}

func (h *Handler) showResults(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	s := surveyOf(c)
	view, err := h.resultsPage(c, db, s, dimParam(c), false)
	if err != nil {
		return err
	}
	view.Saved = c.QueryParam("opgeslagen") == "1"
	return c.Render(http.StatusOK, "results/page", view)
}

// resultsPage builds the results page of s for breakdown dim.
func (h *Handler) resultsPage(c *echo.Context, db *gorm.DB, s *models.Survey, dim string, public bool) (*resultsView, error) {
	rep, slice, err := h.sliceReport(c, s, dim, public)
	if err != nil {
		return nil, err
	}
	dim = rep.Dimension
	settings, err := models.SettingsOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	v := &resultsView{Researcher: researcher(c), Public: public, Report: rep, Slug: s.Slug, Dim: dim,
		DimLabel: models.BreakdownLabel(rep.Def, dim), Settings: settings, Slice: slice, Groups: rep.Groups,
		ShowAnswers: public && settings.PublicOpenAnswers, PublicURL: h.absURL(c, "/r/"+s.Slug)}
	for _, g := range rep.Groups {
		v.HiddenAny = v.HiddenAny || g.Hidden
	}
	retention, err := models.RetentionOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	if retention.AnswersDeletedAt != nil {
		v.AnswersDeleted = dutchTime(*retention.AnswersDeletedAt)
		v.ShowAnswers = false
	}
	if v.Versions, err = models.ResponsesPerVersion(db, s.ID); err != nil {
		return nil, err
	}
	v.DimOptions = append(v.DimOptions, dimOption{Value: "", Label: "Geen uitsplitsing", Selected: dim == ""})
	for _, d := range models.Dimensions {
		v.DimOptions = append(v.DimOptions, dimOption{Value: d, Label: models.DimensionLabel(d), Selected: d == dim})
	}
	if rep.OpenedAt != nil && rep.ClosedAt != nil {
		v.Period = dutchDate(*rep.OpenedAt) + " tot en met " + dutchDate(*rep.ClosedAt)
	}
	if !public {
		v.Exports = exportLinks(s.Slug)
	}
	chartBase := "/admin/surveys/" + s.Slug + "/results/chart/"
	if public {
		chartBase = "/r/" + s.Slug + "/chart/"
	}
	var current *sectionResultsView
	for i := range rep.Questions {
		qr := &rep.Questions[i]
		if current == nil || current.Title != qr.Section {
			v.Sections = append(v.Sections, sectionResultsView{Title: qr.Section})
			current = &v.Sections[len(v.Sections)-1]
		}
		qv, err := h.questionResults(db, s, rep, qr, chartBase, v.ShowAnswers, public, v.AnswersDeleted != "")
		if err != nil {
			return nil, err
		}
		current.Questions = append(current.Questions, qv)
		if rep.Profile == qr {
			pv := qv
			v.Profile = &pv
		}
	}
	keepSlice(v)
	return v, nil
}

// questionResults builds one question's chart, table and answers.
func (h *Handler) questionResults(db *gorm.DB, s *models.Survey, rep *models.Report, qr *models.QuestionResult, chartBase string, withAnswers, public, deleted bool) (questionResultView, error) {
	q := qr.Q
	qv := questionResultView{Code: q.Code, Text: q.Text, Kind: q.Kind, KindLabel: kindLabel(q.Kind)}
	if rep.Dimension != "" {
		qv.ChartURL = chartBase + q.Code + ".svg?indeling=" + url.QueryEscape(rep.Dimension)
	} else {
		qv.ChartURL = chartBase + q.Code + ".svg"
	}
	switch q.Kind {
	case models.KindSingle, models.KindMulti:
		qv.N = fmt.Sprintf("n = %d", qr.Cells[0].N)
		qv.Chart = template.HTML(choiceChart(rep, qr, false))
		qv.Table = choiceTable(rep, qr)
		if hasOtherOption(q) && !deleted && (!public || withAnswers) {
			others, err := models.OpenAnswers(db, s, q.Code, "", 0, 100)
			if err != nil {
				return qv, err
			}
			qv.Others, qv.OthersTotal = others, otherCount(q, qr.Cells[0])
			qv.OpenURL = "/admin/surveys/" + s.Slug + "/results/open/" + q.Code
		}
	case models.KindLikert:
		qv.Chart = template.HTML(likertChart(rep, qr, false))
		qv.Table = likertTable(rep, qr)
	case models.KindText:
		qv.OpenCount = qr.Cells[0].N
		if deleted {
			break // the count stays, from the aggregates; the texts and their themes are gone
		}
		qv.OpenURL = "/admin/surveys/" + s.Slug + "/results/open/" + q.Code
		themes, err := models.Themes(db, s.ID, q.Code)
		if err != nil {
			return qv, err
		}
		qv.Themes = themes
		qv.ThemeChart = themeChart(q, themes, qr.Cells[0].N)
		if withAnswers {
			answers, err := models.OpenAnswers(db, s, q.Code, "", 0, 1000)
			if err != nil {
				return qv, err
			}
			qv.Answers = answers
		}
	case models.KindNumber:
		qv.N = fmt.Sprintf("n = %d", qr.Cells[0].N)
		qv.Mean = models.FormatNumber(float64(int64(qr.Cells[0].Mean*10+0.5)) / 10)
	}
	return qv, nil
}

// otherCount is how many respondents wrote an "anders, namelijk" text: everyone who ticked
// that option had to, so the aggregates know it without reading the answers.
func otherCount(q *models.Question, f models.Figures) int64 {
	var n int64
	for _, o := range q.Options {
		for _, share := range f.Options {
			if o.Other && share.Code == o.Code {
				n += share.Count
			}
		}
	}
	return n
}

func hasOtherOption(q *models.Question) bool {
	for _, o := range q.Options {
		if o.Other {
			return true
		}
	}
	return false
}

// cellHeads names the columns of a table: the total, then each group with its size.
func cellHeads(rep *models.Report) []string {
	heads := []string{fmt.Sprintf("Totaal (n = %d)", rep.Respondents)}
	for _, g := range rep.Groups {
		if g.Hidden {
			heads = append(heads, g.Label+" (te klein)")
		} else {
			heads = append(heads, fmt.Sprintf("%s (n = %d)", g.Label, g.N))
		}
	}
	return heads
}

func shareCell(f models.Figures, i int) string {
	if f.Hidden {
		return "–"
	}
	return fmt.Sprintf("%d %% (%d)", f.Options[i].Percent, f.Options[i].Count)
}

func choiceTable(rep *models.Report, qr *models.QuestionResult) *tableView {
	t := &tableView{Caption: qr.Q.Text, Head: append([]string{"Antwoord"}, cellHeads(rep)...)}
	for i, o := range qr.Cells[0].Options {
		row := tableRow{Label: o.Label}
		for _, f := range qr.Cells {
			row.Cells = append(row.Cells, shareCell(f, i))
		}
		t.Rows = append(t.Rows, row)
	}
	t.Rows = append(t.Rows, countRow("Beantwoord (n)", qr.Cells, func(f models.Figures) int64 { return f.N }))
	if qr.Q.DontKnow {
		t.Rows = append(t.Rows, countRow("Weet niet (niet in %)", qr.Cells, func(f models.Figures) int64 { return f.DontKnow }))
	}
	return t
}

func countRow(label string, cells []models.Figures, n func(models.Figures) int64) tableRow {
	row := tableRow{Label: label}
	for _, f := range cells {
		if f.Hidden {
			row.Cells = append(row.Cells, "–")
		} else {
			row.Cells = append(row.Cells, strconv.FormatInt(n(f), 10))
		}
	}
	return row
}

func likertTable(rep *models.Report, qr *models.QuestionResult) *tableView {
	t := &tableView{Caption: qr.Q.Text, Head: []string{"Stelling"}}
	for _, o := range qr.Q.ScaleOptions {
		t.Head = append(t.Head, o.Label)
	}
	t.Head = append(t.Head, "(Helemaal) niet eens", "Neutraal", "(Helemaal) eens", "n", "Weet niet")
	for _, st := range qr.Statements {
		for ci, f := range st.Cells {
			label := st.Text
			if ci > 0 {
				g := rep.Groups[ci-1]
				label = st.Text + " – " + g.Label
			}
			row := tableRow{Label: label}
			if f.Hidden {
				for range len(t.Head) - 1 {
					row.Cells = append(row.Cells, "–")
				}
				t.Rows = append(t.Rows, row)
				continue
			}
			for _, o := range f.Options {
				row.Cells = append(row.Cells, fmt.Sprintf("%d %% (%d)", o.Percent, o.Count))
			}
			row.Cells = append(row.Cells, fmt.Sprintf("%d %%", f.Disagree), fmt.Sprintf("%d %%", f.Neutral), fmt.Sprintf("%d %%", f.Agree),
				strconv.FormatInt(f.N, 10), strconv.FormatInt(f.DontKnow, 10))
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func chartID(code string) string { return "grafiek-" + code }

// choiceChart is a single or multi question as horizontal bars, a bar per group.
func choiceChart(rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	var rows []barRow
	for i, o := range qr.Cells[0].Options {
		r := barRow{Label: o.Label}
		for ci, f := range qr.Cells {
			b := bar{Hidden: f.Hidden}
			if ci > 0 {
				b.Group = rep.Groups[ci-1].Label
			} else if len(qr.Cells) > 1 {
				b.Group = "Totaal"
			}
			if !f.Hidden {
				b.Percent, b.Count = f.Options[i].Percent, f.Options[i].Count
			}
			r.Bars = append(r.Bars, b)
		}
		rows = append(rows, r)
	}
	desc := fmt.Sprintf("Staafdiagram: percentage van de %d respondenten die de vraag beantwoordden, per antwoord", qr.Cells[0].N)
	if rep.Dimension != "" {
		desc += ", uitgesplitst naar " + strings.ToLower(models.BreakdownLabel(rep.Def, rep.Dimension))
	}
	var parts []string
	for _, o := range qr.Cells[0].Options {
		parts = append(parts, fmt.Sprintf("%s: %d %%", o.Label, o.Percent))
	}
	desc += ". Totaal: " + strings.Join(parts, "; ") + "."
	return barChart(chartID(qr.Q.Code), qr.Q.Text, desc, rows, standalone)
}

// likertChart is a likert block as diverging 100 % stacked bars, one per statement and group.
func likertChart(rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	var scale []string
	for _, o := range qr.Q.ScaleOptions {
		scale = append(scale, o.Label)
	}
	var rows []stackRow
	var parts []string
	for _, st := range qr.Statements {
		for ci, f := range st.Cells {
			label := st.Text
			if ci > 0 {
				label = rep.Groups[ci-1].Label + ": " + st.Text
			}
			r := stackRow{Label: label, N: f.N, Hidden: f.Hidden}
			for _, o := range f.Options {
				r.Percents = append(r.Percents, o.Percent)
			}
			rows = append(rows, r)
		}
		f := st.Cells[0]
		parts = append(parts, fmt.Sprintf("%s: %d %% (helemaal) eens, %d %% neutraal, %d %% (helemaal) niet eens (n = %d)", st.Text, f.Agree, f.Neutral, f.Disagree, f.N))
	}
	desc := "Gestapelde staven per stelling, van helemaal niet eens (links) tot helemaal eens (rechts), gecentreerd op neutraal. " + strings.Join(parts, ". ") + "."
	return stackChart(chartID(qr.Q.Code), qr.Q.Text, desc, scale, rows, standalone)
}

type resultSettingsForm struct {
	MinGroupSize      string `form:"min_groep"`
	Published         bool   `form:"publiceren"`
	PublicOpenAnswers bool   `form:"open_antwoorden"`
	AnonymousExport   bool   `form:"anoniem"`
}

// minGroupSize reads the smallest group shown; the text is the Dutch problem, if any.
func minGroupSize(input string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(input))
	if err != nil || n < 1 || n > 1000 {
		return 0, "Vul bij ‘Kleinste groep’ een heel getal in van 1 tot en met 1000"
	}
	return n, ""
}

func (h *Handler) saveResultSettings(c *echo.Context) error {
	var form resultSettingsForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	s := surveyOf(c)
	size, problem := minGroupSize(form.MinGroupSize)
	if problem != "" {
		return h.refuseResultSettings(c, s, form, problem)
	}
	err := models.SaveSettings(h.db.Write.WithContext(c.Request().Context()), s, models.ResultSettings{
		MinGroupSize: size, Published: form.Published, PublicOpenAnswers: form.PublicOpenAnswers,
		AnonymousExport: form.AnonymousExport})
	if errors.Is(err, models.ErrPublicGroupTooSmall) {
		return h.refuseResultSettings(c, s, form, fmt.Sprintf("Een openbare pagina toont geen groepen kleiner dan %d, anders is een gemeente te herkennen. Vul bij ‘Kleinste groep’ %d of meer in, of publiceer niet", models.MinPublicGroupSize, models.MinPublicGroupSize))
	}
	if err != nil {
		return err
	}
	h.log.Info("result settings saved", "survey", s.Slug, "published", form.Published, "min_group", size)
	return c.Redirect(http.StatusSeeOther, "/admin/surveys/"+s.Slug+"/results?opgeslagen=1")
}

// refuseResultSettings shows the results page again with the researcher's settings form as
// sent and problem beside the minimum group.
func (h *Handler) refuseResultSettings(c *echo.Context, s *models.Survey, form resultSettingsForm, problem string) error {
	view, err := h.resultsPage(c, h.db.Read.WithContext(c.Request().Context()), s, models.DimAll, false)
	if err != nil {
		return err
	}
	view.Settings.Published, view.Settings.PublicOpenAnswers, view.Settings.AnonymousExport = form.Published, form.PublicOpenAnswers, form.AnonymousExport
	view.MinGroup, view.MinGroupErr = form.MinGroupSize, problem
	view.Errors = []problemView{{Href: "#min_groep", Message: problem}}
	return c.Render(http.StatusUnprocessableEntity, "results/page", view)
}

// chartParam reads "code.svg" from the URL.
func chartParam(c *echo.Context) (string, error) {
	code, ok := strings.CutSuffix(c.Param("chart"), ".svg")
	if !ok {
		return "", models.ErrNotFound
	}
	return code, nil
}

func (h *Handler) downloadChart(c *echo.Context) error {
	return h.serveChart(c, surveyOf(c))
}

// serveChart answers one chart as an SVG file.
func (h *Handler) serveChart(c *echo.Context, s *models.Survey) error {
	code, err := chartParam(c)
	if err != nil {
		return err
	}
	rep, _, err := h.sliceReport(c, s, dimParam(c), strings.HasPrefix(c.Request().URL.Path, "/r/"))
	if err != nil {
		return err
	}
	for i := range rep.Questions {
		qr := &rep.Questions[i]
		if qr.Q.Code != code {
			continue
		}
		var svg string
		switch qr.Q.Kind {
		case models.KindSingle, models.KindMulti:
			svg = choiceChart(rep, qr, true)
		case models.KindLikert:
			svg = likertChart(rep, qr, true)
		default:
			return models.ErrNotFound
		}
		c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-%s.svg"`, s.Slug, code))
		return c.Blob(http.StatusOK, "image/svg+xml; charset=utf-8", []byte(svg))
	}
	return models.ErrNotFound
}

// publishedSurvey is the survey of /r/:slug when its results are published; anything else
// is not found, so unpublishing takes the page down at once.
func (h *Handler) publishedSurvey(c *echo.Context) (*models.Survey, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	settings, err := models.SettingsOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	if s.Status != models.StatusClosed || !settings.Published {
		return nil, models.ErrNotFound
	}
	return s, nil
}

func (h *Handler) showPublicResults(c *echo.Context) error {
	s, err := h.publishedSurvey(c)
	if err != nil {
		return err
	}
	view, err := h.resultsPage(c, h.db.Read.WithContext(c.Request().Context()), s, dimParam(c), true)
	if err != nil {
		return err
	}
	view.Researcher = nil
	return c.Render(http.StatusOK, "results/page", view)
}

func (h *Handler) downloadPublicChart(c *echo.Context) error {
	s, err := h.publishedSurvey(c)
	if err != nil {
		return err
	}
	return h.serveChart(c, s)
}
