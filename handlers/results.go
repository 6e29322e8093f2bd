package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"
	"gorm.io/gorm"

	"peiling/locales"
	"peiling/models"
)

// resultsRoutes are the results, exports and API of closed surveys: researcher pages under
// a (/admin, logged in), the API and public pages on e.
func (h *Handler) resultsRoutes(e *echo.Echo, a *echo.Group) {
	r := a.Group("/surveys/:slug", h.closedSurvey)
	r.GET("/results", h.showResults)
	r.POST("/results/settings", h.saveResultSettings)
	r.GET("/results/publiceren", h.showPublish)
	r.POST("/results/publiceren", h.publishResults)
	r.GET("/results/chart/:chart", h.downloadChart)
	h.openAnswerRoutes(r)
	h.sliceRoutes(r)
	r.GET("/downloads", h.showDownloads)
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

// statusLabel names a status in a sentence: a catalogue message.
func statusLabel(status string) string {
	switch status {
	case models.StatusDraft:
		return "results.embargo.draft"
	case models.StatusOpen:
		return "results.embargo.open"
	}
	return "results.embargo.closed"
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
	GroupRows   []tableRow // per group: its respondents, or why it has no figures
	HiddenAny   bool
	Profile     *questionResultView
	Sections    []sectionResultsView
	PublicURL   string
	ShowAnswers bool // open answers on the page itself (public, when chosen)
	Saved       bool
	Errors      []problemView
	MinGroup    string // what the researcher typed, kept when it is refused
	MinGroupErr string
	Versions    []models.VersionCount // sent responses per questionnaire version
	// AnswersDeleted says when the raw answers were deleted under the retention setting;
	// the figures come from the aggregates and stay the same.
	AnswersDeleted string
	// Slice is the breakdown by a question and the filter (slice.go).
	Slice      sliceView
	MultiBases []baseChoice // the multi questions and whether each counts only who ticked
	// Story is the summary at the top: response, key figures, table of contents (summary.go).
	Story *storyView
}

// baseChoice is one multi question in the settings: tick it to count only who ticked something.
type baseChoice struct {
	Code, Text   string
	AnsweredOnly bool
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
	// Groups, when set, is a header row above Head: columns that belong together under one
	// name, and columns that span both rows (Head then names only the grouped columns).
	Groups []headGroup
}

// headGroup is one cell of a table's upper header row.
type headGroup struct {
	Label   string
	Span    int  // grouped columns below it
	Rowspan bool // a single column named in both header rows
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
	Base        string // whom the percentages are of, with n
	Nobody      bool   // nobody answered: no chart, no table, a sentence
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

func kindLabel(tl *locales.Translator, kind string) string {
	switch kind {
	case models.KindSingle, models.KindMulti, models.KindLikert, models.KindText:
		return tl.T("results.kind." + kind)
	}
	return ""
}

// baseLabel says whom a question's figures are of, in tl's language: models' BaseLabel.
func baseLabel(tl *locales.Translator, qr *models.QuestionResult) string {
	key := "results.base." + qr.Base
	switch qr.Q.Kind {
	case models.KindMulti:
		if qr.Base == models.BaseAnswered {
			key = "results.base.multi_answered"
		}
	case models.KindLikert, models.KindNumber, models.KindText:
		key = "results.base." + qr.Q.Kind
	}
	label := tl.T(key)
	if qr.Q.DontKnow {
		label += tl.T("results.base.without_dont_know")
	}
	return label
}

// hiddenLabel says why a group has no figures, in tl's language: models' HiddenLabel.
func hiddenLabel(tl *locales.Translator, reason string, minSize int) string {
	switch reason {
	case models.HiddenTooSmall, models.HiddenComplement, models.HiddenEmpty:
		return tl.T("results.hidden."+reason, "Min", minSize)
	}
	return ""
}

// groupLabel names group g of rep's breakdown in tl's language: a size class by its
// message, a province or an answer as it is.
func groupLabel(tl *locales.Translator, rep *models.Report, g models.Group) string {
	if g.Key == "" { // the respondents in no group: not in the register, or skipped the question
		if isStoredDim(rep.Dimension) {
			return tl.T("results.group.unknown")
		}
		return tl.T("results.group.no_answer")
	}
	if rep.Dimension == models.DimSize && isSizeClass(g.Key) {
		return tl.T("admin.size." + g.Key)
	}
	return g.Label
}

func isSizeClass(key string) bool {
	for _, c := range models.SizeClasses {
		if c.Key == key {
			return true
		}
	}
	return false
}

// sliceIn words the filter's choices in tl's language: each dimension's name and the size
// groups (sliceOptions, slice.go, names them in Dutch).
func sliceIn(tl *locales.Translator, def *models.Definition, view *sliceView) {
	for i := range view.Breakdowns {
		view.Breakdowns[i].Label = breakdownLabel(tl, def, view.Breakdowns[i].Value)
	}
	for i := range view.Filters {
		g := &view.Filters[i]
		for j := range g.Options {
			d, key, _ := strings.Cut(g.Options[j].Value, ":")
			g.Label = breakdownLabel(tl, def, d)
			if d == models.DimSize && isSizeClass(key) {
				g.Options[j].Label = tl.T("admin.size." + key)
			}
		}
	}
}

// dimensionLabel names a breakdown that is not a question, in tl's language.
func dimensionLabel(tl *locales.Translator, dim string) string {
	switch dim {
	case models.DimDepartment, models.DimProvince, models.DimSize, models.DimLanguage:
		return tl.T("results.dimension." + dim)
	}
	return tl.T("results.dimension.all")
}

// breakdownLabel is models' BreakdownLabel in tl's language: a question's own text, else
// the dimension's name.
func breakdownLabel(tl *locales.Translator, def *models.Definition, dim string) string {
	label := models.BreakdownLabel(def, dim)
	if label == models.DimensionLabel(dim) {
		return dimensionLabel(tl, dim)
	}
	return label
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
	tl := tr(c)
	sliceIn(tl, rep.Def, &slice)
	v := &resultsView{Researcher: researcher(c), Public: public, Report: rep, Slug: s.Slug, Dim: dim,
		DimLabel: breakdownLabel(tl, rep.Def, dim), Settings: settings, Slice: slice, Groups: rep.Groups,
		ShowAnswers: public && settings.PublicOpenAnswers, PublicURL: h.absURL(c, "/r/"+s.Slug)}
	for _, g := range rep.Groups {
		v.HiddenAny = v.HiddenAny || g.Hidden && g.Reason != models.HiddenEmpty
		value := strconv.FormatInt(g.N, 10)
		if g.Hidden {
			value = hiddenLabel(tl, g.Reason, rep.MinGroupSize)
		}
		v.GroupRows = append(v.GroupRows, tableRow{Label: groupLabel(tl, rep, g), Cells: []string{value}})
	}
	retention, err := models.RetentionOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	if retention.AnswersDeletedAt != nil {
		v.AnswersDeleted = tl.DateTime(*retention.AnswersDeletedAt)
		v.ShowAnswers = false
	}
	if v.Versions, err = models.ResponsesPerVersion(db, s.ID); err != nil {
		return nil, err
	}
	v.DimOptions = append(v.DimOptions, dimOption{Value: "", Label: tl.T("results.page.no_breakdown"), Selected: dim == ""})
	for _, d := range models.Dimensions {
		v.DimOptions = append(v.DimOptions, dimOption{Value: d, Label: dimensionLabel(tl, d), Selected: d == dim})
	}
	if rep.OpenedAt != nil && rep.ClosedAt != nil {
		v.Period = tl.T("results.page.period", "From", tl.Date(*rep.OpenedAt), "To", tl.Date(*rep.ClosedAt))
	}
	if !public {
		for _, q := range rep.Def.Questions() {
			if q.Kind == models.KindMulti {
				v.MultiBases = append(v.MultiBases, baseChoice{Code: q.Code, Text: q.Text, AnsweredOnly: settings.AnsweredOnlyHas(q.Code)})
			}
		}
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
		qv, err := h.questionResults(tl, db, s, rep, qr, chartBase, v.ShowAnswers, public, v.AnswersDeleted != "")
		if err != nil {
			return nil, err
		}
		current.Questions = append(current.Questions, qv)
		if rep.Profile == qr {
			pv := qv
			if pv.Chart != "" {
				pv.Chart = template.HTML(choiceChartNamed(tl, "profiel-"+chartID(qr.Q.Code), rep, qr, false))
			}
			v.Profile = &pv
		}
	}
	keepSlice(v)
	if v.Story, err = storyOf(tl, db, s, rep, v); err != nil {
		return nil, err
	}
	return v, nil
}

// questionResults builds one question's chart, table and answers.
func (h *Handler) questionResults(tl *locales.Translator, db *gorm.DB, s *models.Survey, rep *models.Report, qr *models.QuestionResult, chartBase string, withAnswers, public, deleted bool) (questionResultView, error) {
	q := qr.Q
	qv := questionResultView{Code: q.Code, Text: q.Text, Kind: q.Kind, KindLabel: kindLabel(tl, q.Kind)}
	if rep.Dimension != "" {
		qv.ChartURL = chartBase + q.Code + ".svg?indeling=" + url.QueryEscape(rep.Dimension)
	} else {
		qv.ChartURL = chartBase + q.Code + ".svg"
	}
	var total models.Figures
	if len(qr.Cells) > 0 {
		total = qr.Cells[0]
	}
	if q.Kind == models.KindLikert {
		for _, st := range qr.Statements {
			total.Answered += st.Cells[0].Answered
		}
	}
	qv.Nobody = total.Nobody() && q.Kind != models.KindText
	if q.Kind != models.KindText && q.Kind != models.KindLikert {
		qv.N = fmt.Sprintf("n = %d", total.N)
		qv.Base = baseSentence(tl, qr, total.N)
	}
	switch {
	case qv.Nobody:
		qv.N, qv.Base = "", ""
	case q.Kind == models.KindSingle || q.Kind == models.KindMulti:
		qv.Chart = template.HTML(choiceChart(tl, rep, qr, false))
		qv.Table = choiceTable(tl, rep, qr)
	case q.Kind == models.KindLikert:
		qv.Base = tl.T("results.page.likert_base", "Base", baseLabel(tl, qr))
		qv.Chart = template.HTML(likertChart(tl, rep, qr, false))
		qv.Table = likertTable(tl, rep, qr)
	case q.Kind == models.KindNumber:
		qv.Base = tl.T("results.page.number_base", "N", total.N)
		qv.Table = numberTable(tl, rep, qr)
	}
	if hasOtherOption(q) && !deleted && (!public || withAnswers) && !qv.Nobody {
		others, err := models.OpenAnswers(db, s, q.Code, "", 0, 100)
		if err != nil {
			return qv, err
		}
		qv.Others, qv.OthersTotal = others, otherCount(q, qr.Cells[0])
		qv.OpenURL = "/admin/surveys/" + s.Slug + "/results/open/" + q.Code
	}
	// The count of an open question stays after the raw answers were deleted (it comes from
	// the aggregates); the texts and their themes are gone.
	if q.Kind == models.KindText {
		qv.OpenCount = qr.Cells[0].N
	}
	if q.Kind == models.KindText && !deleted {
		qv.OpenURL = "/admin/surveys/" + s.Slug + "/results/open/" + q.Code
		themes, err := models.Themes(db, s.ID, q.Code)
		if err != nil {
			return qv, err
		}
		qv.Themes = themes
		qv.ThemeChart = themeChart(tl, q, themes, qr.Cells[0].N)
		if withAnswers {
			answers, err := models.OpenAnswers(db, s, q.Code, "", 0, 1000)
			if err != nil {
				return qv, err
			}
			qv.Answers = answers
		}
	}
	return qv, nil
}

// baseSentence says whom a question's percentages are of, and how many they are.
func baseSentence(tl *locales.Translator, qr *models.QuestionResult, n int64) string {
	return tl.T("results.page.base", "Base", baseLabel(tl, qr), "N", n)
}

// oneDecimal writes x rounded to one decimal the Dutch way, half away from zero:
// −2.615 → "−2,6" (not truncated toward zero).
func oneDecimal(x float64) string {
	r := math.Round(x*10) / 10
	if r == 0 {
		r = 0 // no "-0"
	}
	return strings.Replace(models.FormatNumber(r), "-", "−", 1)
}

// oneDecimalIn is oneDecimal with tl's decimal separator.
func oneDecimalIn(tl *locales.Translator, x float64) string {
	return strings.Replace(oneDecimal(x), ",", tl.T("common.format.decimal"), 1)
}

// numberTable is a number question's n, mean, median, minimum and maximum per cell.
func numberTable(tl *locales.Translator, rep *models.Report, qr *models.QuestionResult) *tableView {
	caption := qr.Q.Text
	if qr.Q.Unit != "" {
		caption += " (" + qr.Q.Unit + ")"
	}
	t := &tableView{Caption: caption, Head: append([]string{tl.T("results.table.measure")}, cellHeads(tl, rep, qr.Cells)...)}
	stats := []struct {
		label string
		value func(models.Figures) string
	}{
		{tl.T("results.table.n"), func(f models.Figures) string { return strconv.FormatInt(f.N, 10) }},
		{tl.T("results.table.mean"), func(f models.Figures) string { return oneDecimalIn(tl, f.Mean) }},
		{tl.T("results.table.median"), func(f models.Figures) string { return oneDecimalIn(tl, f.Median) }},
		{tl.T("results.table.min"), func(f models.Figures) string { return oneDecimalIn(tl, f.Min) }},
		{tl.T("results.table.max"), func(f models.Figures) string { return oneDecimalIn(tl, f.Max) }},
	}
	for _, st := range stats {
		row := tableRow{Label: st.label}
		for _, f := range qr.Cells {
			switch {
			case f.Hidden:
				row.Cells = append(row.Cells, "–")
			case f.N == 0 && st.label != stats[0].label:
				row.Cells = append(row.Cells, tl.T("results.table.no_answers"))
			case !f.Stats && rep.Sliced && st.label != stats[0].label && st.label != stats[1].label:
				row.Cells = append(row.Cells, tl.T("results.table.unsliced_only"))
			case !f.Stats && st.label != stats[0].label && st.label != stats[1].label:
				row.Cells = append(row.Cells, tl.T("results.table.unknown"))
			default:
				row.Cells = append(row.Cells, st.value(f))
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
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

// cellHeads names the columns of a question's table: the total, then each group, each with
// the n its percentages are of; a hidden group says why it has no figures.
func cellHeads(tl *locales.Translator, rep *models.Report, cells []models.Figures) []string {
	heads := []string{tl.T("results.table.total", "N", cells[0].N)}
	for i, g := range rep.Groups {
		if g.Hidden {
			heads = append(heads, groupLabel(tl, rep, g)+": "+hiddenLabel(tl, g.Reason, rep.MinGroupSize))
		} else {
			heads = append(heads, tl.T("results.table.group", "Group", groupLabel(tl, rep, g), "N", cells[i+1].N))
		}
	}
	return heads
}

func shareCell(tl *locales.Translator, f models.Figures, i int) string {
	if f.Hidden {
		return "–"
	}
	return tl.T("results.table.share", "Percent", tl.Percent(float64(f.Options[i].Percent), 0), "Count", f.Options[i].Count)
}

func choiceTable(tl *locales.Translator, rep *models.Report, qr *models.QuestionResult) *tableView {
	t := &tableView{Caption: qr.Q.Text + " – " + baseSentence(tl, qr, qr.Cells[0].N), Head: append([]string{tl.T("results.table.answer")}, cellHeads(tl, rep, qr.Cells)...)}
	for i, o := range qr.Cells[0].Options {
		row := tableRow{Label: o.Label}
		for _, f := range qr.Cells {
			row.Cells = append(row.Cells, shareCell(tl, f, i))
		}
		t.Rows = append(t.Rows, row)
	}
	if qr.Base == models.BaseShown {
		t.Rows = append(t.Rows, countRow(tl.T("results.table.shown"), qr.Cells, func(f models.Figures) int64 { return f.N }),
			countRow(tl.T("results.table.ticked"), qr.Cells, func(f models.Figures) int64 { return f.Answered }))
	} else {
		t.Rows = append(t.Rows, countRow(tl.T("results.table.answered"), qr.Cells, func(f models.Figures) int64 { return f.N }))
	}
	if qr.Q.DontKnow {
		t.Rows = append(t.Rows, countRow(tl.T("results.table.dont_know"), qr.Cells, func(f models.Figures) int64 { return f.DontKnow }))
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

func likertTable(tl *locales.Translator, rep *models.Report, qr *models.QuestionResult) *tableView {
	// The scale's answers, then the shares taken together, grouped under two headers; the
	// middle of the scale is not repeated as a total of itself.
	t := &tableView{Caption: tl.T("results.table.likert_caption", "Text", qr.Q.Text, "Base", baseLabel(tl, qr))}
	for _, o := range qr.Q.ScaleOptions {
		t.Head = append(t.Head, o.Label)
	}
	low, _, high, _ := models.ScaleSummary(qr.Q.ScaleOptions)
	t.Head = append(t.Head, tl.T("results.table.together_label", "Label", low), tl.T("results.table.together_label", "Label", high))
	t.Groups = []headGroup{{Label: tl.T("results.table.statement"), Rowspan: true}, {Label: tl.T("results.table.per_answer"), Span: len(qr.Q.ScaleOptions)},
		{Label: tl.T("results.table.together"), Span: 2}, {Label: "n", Rowspan: true}, {Label: tl.T("results.table.dont_know_head"), Rowspan: true}}
	columns := len(t.Head) + 2
	for _, st := range qr.Statements {
		for ci, f := range st.Cells {
			label := st.Text
			if ci > 0 {
				g := rep.Groups[ci-1]
				label = st.Text + " – " + groupLabel(tl, rep, g)
				if g.Hidden {
					label += " (" + hiddenLabel(tl, g.Reason, rep.MinGroupSize) + ")"
				}
			}
			row := tableRow{Label: label}
			if f.Hidden {
				for range columns {
					row.Cells = append(row.Cells, "–")
				}
				t.Rows = append(t.Rows, row)
				continue
			}
			for _, o := range f.Options {
				row.Cells = append(row.Cells, tl.T("results.table.share", "Percent", tl.Percent(float64(o.Percent), 0), "Count", o.Count))
			}
			row.Cells = append(row.Cells, tl.Percent(float64(f.Disagree), 0))
			row.Cells = append(row.Cells, tl.Percent(float64(f.Agree), 0), strconv.FormatInt(f.N, 10), strconv.FormatInt(f.DontKnow, 10))
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func chartID(code string) string { return "grafiek-" + code }

// choiceChart is a single or multi question as horizontal bars, a bar per group.
func choiceChart(tl *locales.Translator, rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	return choiceChartNamed(tl, chartID(qr.Q.Code), rep, qr, standalone)
}

// choiceChartNamed is choiceChart under another id: the profile card draws the profile
// question's chart a second time on the page.
func choiceChartNamed(tl *locales.Translator, id string, rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	var rows []barRow
	for i, o := range qr.Cells[0].Options {
		r := barRow{Label: o.Label}
		for ci, f := range qr.Cells {
			b := bar{Hidden: f.Hidden, Reason: hiddenLabel(tl, f.Reason, rep.MinGroupSize)}
			if ci > 0 {
				b.Group = groupLabel(tl, rep, rep.Groups[ci-1])
			} else if len(qr.Cells) > 1 {
				b.Group = tl.T("results.chart.total")
			}
			if !f.Hidden {
				b.Percent, b.Count = f.Options[i].Percent, f.Options[i].Count
				b.Value = barValue(tl, b.Percent, b.Count)
			}
			r.Bars = append(r.Bars, b)
		}
		rows = append(rows, r)
	}
	desc := tl.T("results.chart.bars", "Base", baseLabel(tl, qr), "N", qr.Cells[0].N)
	if rep.Dimension != "" {
		desc += tl.T("results.chart.by", "Breakdown", strings.ToLower(breakdownLabel(tl, rep.Def, rep.Dimension)))
	}
	var parts []string
	for _, o := range qr.Cells[0].Options {
		parts = append(parts, o.Label+": "+tl.Percent(float64(o.Percent), 0))
	}
	desc += tl.T("results.chart.totals", "Parts", strings.Join(parts, "; "))
	return colouredBarChart(id, qr.Q.Text, desc, rows, rep.Dimension == models.DimSize, standalone)
}

// likertChart is a likert block as diverging 100 % stacked bars, one per statement and group.
func likertChart(tl *locales.Translator, rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	var scale []string
	for _, o := range qr.Q.ScaleOptions {
		scale = append(scale, o.Label)
	}
	low, middle, high, hasMiddle := models.ScaleSummary(qr.Q.ScaleOptions)
	var rows []stackRow
	var parts []string
	for _, st := range qr.Statements {
		for ci, f := range st.Cells {
			label := st.Text
			if ci > 0 {
				label = groupLabel(tl, rep, rep.Groups[ci-1]) + ": " + st.Text
			}
			r := stackRow{Label: label, N: f.N, Hidden: f.Hidden, Reason: hiddenLabel(tl, f.Reason, rep.MinGroupSize)}
			if !f.Hidden && f.N == 0 {
				r.Reason = tl.T("results.chart.nobody")
			}
			for _, o := range f.Options {
				r.Percents = append(r.Percents, o.Percent)
			}
			rows = append(rows, r)
		}
		f := st.Cells[0]
		if f.N == 0 {
			parts = append(parts, st.Text+": "+tl.T("results.chart.nobody"))
			continue
		}
		part := st.Text + ": " + tl.Percent(float64(f.Agree), 0) + " " + strings.ToLower(high)
		if hasMiddle {
			part += ", " + tl.Percent(float64(f.Neutral), 0) + " " + strings.ToLower(middle)
		}
		n := fmt.Sprintf("n = %d", f.N)
		if qr.Q.DontKnow {
			n += tl.T("results.base.without_dont_know")
		}
		parts = append(parts, part+", "+tl.Percent(float64(f.Disagree), 0)+" "+strings.ToLower(low)+" ("+n+")")
	}
	centre := tl.T("results.chart.centre")
	if hasMiddle {
		centre = strings.ToLower(middle)
	}
	desc := tl.T("results.chart.stacked", "Low", strings.ToLower(scale[0]), "High", strings.ToLower(scale[len(scale)-1]), "Centre", centre) + " " + strings.Join(parts, ". ") + "."
	return stackChart(chartID(qr.Q.Code), qr.Q.Text, desc, scale, rows, standalone)
}

type resultSettingsForm struct {
	MinGroupSize    string   `form:"min_groep"`
	AnonymousExport bool     `form:"anoniem"`
	MultiBase       string   `form:"basis"`
	AnsweredOnly    []string `form:"basis_vraag"`
}

// minGroupSize reads the smallest group shown; the text is the Dutch problem, if any.
func minGroupSize(tl *locales.Translator, input string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(input))
	if err != nil || n < 1 || n > 1000 {
		return 0, tl.T("results.settings.min_group_invalid")
	}
	return n, ""
}

func (h *Handler) saveResultSettings(c *echo.Context) error {
	var form resultSettingsForm
	if err := c.Bind(&form); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	s := surveyOf(c)
	size, problem := minGroupSize(tr(c), form.MinGroupSize)
	if problem != "" {
		return h.refuseResultSettings(c, s, form, problem)
	}
	err := models.SaveSettings(h.db.Write.WithContext(c.Request().Context()), s, models.ResultSettings{
		MinGroupSize: size, AnonymousExport: form.AnonymousExport, MultiBase: form.MultiBase, AnsweredOnly: strings.Join(form.AnsweredOnly, " ")})
	if errors.Is(err, models.ErrPublicGroupTooSmall) {
		return h.refuseResultSettings(c, s, form, tr(c).T("results.settings.public_too_small", "Min", models.MinPublicGroupSize))
	}
	if err != nil {
		return err
	}
	h.log.Info("result settings saved", "survey", s.Slug, "min_group", size)
	return c.Redirect(http.StatusSeeOther, "/admin/surveys/"+s.Slug+"/results?opgeslagen=1")
}

// refuseResultSettings shows the results page again with the researcher's settings form as
// sent and problem beside the minimum group.
func (h *Handler) refuseResultSettings(c *echo.Context, s *models.Survey, form resultSettingsForm, problem string) error {
	view, err := h.resultsPage(c, h.db.Read.WithContext(c.Request().Context()), s, models.DimAll, false)
	if err != nil {
		return err
	}
	view.Settings.AnonymousExport, view.Settings.MultiBase = form.AnonymousExport, form.MultiBase
	for i := range view.MultiBases {
		view.MultiBases[i].AnsweredOnly = slices.Contains(form.AnsweredOnly, view.MultiBases[i].Code)
	}
	view.MinGroup, view.MinGroupErr = form.MinGroupSize, problem
	view.Errors = []problemView{{Href: "#min_groep", Message: problem}}
	return c.Render(http.StatusUnprocessableEntity, "results/page", view)
}

// publishView is the page that publishes the results of a survey, or takes them offline.
type publishView struct {
	Researcher  *models.Researcher
	Survey      *models.Survey
	Settings    models.ResultSettings
	PublicURL   string
	OpenAnswers bool // what the researcher ticked, kept when the confirmation is missing
	Errors      []problemView
	Field       map[string]string
}

func (h *Handler) publishPage(c *echo.Context) (*publishView, error) {
	s := surveyOf(c)
	settings, err := models.SettingsOf(h.db.Read.WithContext(c.Request().Context()), s.ID)
	if err != nil {
		return nil, err
	}
	return &publishView{Researcher: researcher(c), Survey: s, Settings: settings, PublicURL: h.absURL(c, "/r/"+s.Slug)}, nil
}

func (h *Handler) showPublish(c *echo.Context) error {
	v, err := h.publishPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "results/publish", v)
}

// publishResults publishes after an explicit confirmation; taking the page offline needs none.
func (h *Handler) publishResults(c *echo.Context) error {
	s := surveyOf(c)
	on, openAnswers := c.FormValue("actie") != "offline", c.FormValue("open_antwoorden") == "true"
	if on && c.FormValue("bevestig") != "ja" {
		v, err := h.publishPage(c)
		if err != nil {
			return err
		}
		msg := tr(c).T("results.publish.unticked")
		v.OpenAnswers, v.Errors, v.Field = openAnswers, []problemView{{Href: "#bevestig", Message: msg}}, map[string]string{"bevestig": msg}
		return c.Render(http.StatusUnprocessableEntity, "results/publish", v)
	}
	r := researcher(c)
	err := models.SetPublished(h.db.Write.WithContext(c.Request().Context()), s, on, openAnswers, models.By(r), time.Now().UTC())
	if errors.Is(err, models.ErrPublicGroupTooSmall) {
		v, err := h.publishPage(c)
		if err != nil {
			return err
		}
		msg := tr(c).T("results.publish.group_too_small", "Min", models.MinPublicGroupSize)
		v.OpenAnswers, v.Errors, v.Field = openAnswers, []problemView{{Href: "#bevestig", Message: msg}}, map[string]string{"bevestig": msg}
		return c.Render(http.StatusUnprocessableEntity, "results/publish", v)
	}
	if err != nil {
		return err
	}
	h.log.Info("results published", "survey", s.Slug, "published", on, "open_answers", openAnswers, "researcher", r.ID)
	msg := tr(c).T("results.publish.off_flash")
	if on {
		msg = tr(c).T("results.publish.on_flash")
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/results/publiceren", msg)
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
	rep, slice, err := h.sliceReport(c, s, dimParam(c), strings.HasPrefix(c.Request().URL.Path, "/r/"))
	if err != nil {
		return err
	}
	if slice.Computing != "" {
		return errStillComputing // not the chart of everyone under the breakdown's name
	}
	for i := range rep.Questions {
		qr := &rep.Questions[i]
		if qr.Q.Code != code {
			continue
		}
		var svg string
		switch qr.Q.Kind {
		case models.KindSingle, models.KindMulti:
			svg = choiceChart(tr(c), rep, qr, true)
		case models.KindLikert:
			svg = likertChart(tr(c), rep, qr, true)
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
