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
		v.HiddenAny = v.HiddenAny || g.Hidden && g.Reason != models.HiddenEmpty
		value := strconv.FormatInt(g.N, 10)
		if g.Hidden {
			value = models.HiddenLabel(g.Reason, rep.MinGroupSize)
		}
		v.GroupRows = append(v.GroupRows, tableRow{Label: g.Label, Cells: []string{value}})
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
		qv, err := h.questionResults(db, s, rep, qr, chartBase, v.ShowAnswers, public, v.AnswersDeleted != "")
		if err != nil {
			return nil, err
		}
		current.Questions = append(current.Questions, qv)
		if rep.Profile == qr {
			pv := qv
			if pv.Chart != "" {
				pv.Chart = template.HTML(choiceChartNamed("profiel-"+chartID(qr.Q.Code), rep, qr, false))
			}
			v.Profile = &pv
		}
	}
	keepSlice(v)
	if v.Story, err = storyOf(db, s, rep, v); err != nil {
		return nil, err
	}
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
		qv.Base = baseSentence(qr, total.N)
	}
	switch {
	case qv.Nobody:
		qv.N, qv.Base = "", ""
	case q.Kind == models.KindSingle || q.Kind == models.KindMulti:
		qv.Chart = template.HTML(choiceChart(rep, qr, false))
		qv.Table = choiceTable(rep, qr)
	case q.Kind == models.KindLikert:
		qv.Base = "Percentages van " + qr.BaseLabel() + "; n per stelling in de tabel."
		qv.Chart = template.HTML(likertChart(rep, qr, false))
		qv.Table = likertTable(rep, qr)
	case q.Kind == models.KindNumber:
		qv.Base = fmt.Sprintf("Gemiddelde, mediaan, laagste en hoogste van de respondenten die een getal invulden (n = %d).", total.N)
		qv.Table = numberTable(rep, qr)
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
		qv.ThemeChart = themeChart(q, themes, qr.Cells[0].N)
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
func baseSentence(qr *models.QuestionResult, n int64) string {
	return fmt.Sprintf("Percentages van %s (n = %d).", qr.BaseLabel(), n)
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

// numberTable is a number question's n, mean, median, minimum and maximum per cell.
func numberTable(rep *models.Report, qr *models.QuestionResult) *tableView {
	caption := qr.Q.Text
	if qr.Q.Unit != "" {
		caption += " (" + qr.Q.Unit + ")"
	}
	t := &tableView{Caption: caption, Head: append([]string{"Maat"}, cellHeads(rep, qr.Cells)...)}
	stats := []struct {
		label string
		value func(models.Figures) string
	}{
		{"Aantal antwoorden (n)", func(f models.Figures) string { return strconv.FormatInt(f.N, 10) }},
		{"Gemiddelde", func(f models.Figures) string { return oneDecimal(f.Mean) }},
		{"Mediaan", func(f models.Figures) string { return oneDecimal(f.Median) }},
		{"Laagste", func(f models.Figures) string { return oneDecimal(f.Min) }},
		{"Hoogste", func(f models.Figures) string { return oneDecimal(f.Max) }},
	}
	for _, st := range stats {
		row := tableRow{Label: st.label}
		for _, f := range qr.Cells {
			switch {
			case f.Hidden:
				row.Cells = append(row.Cells, "–")
			case f.N == 0 && st.label != stats[0].label:
				row.Cells = append(row.Cells, "geen antwoorden")
			case !f.Stats && rep.Sliced && st.label != stats[0].label && st.label != stats[1].label:
				row.Cells = append(row.Cells, "alleen zonder filter of indeling naar een vraag")
			case !f.Stats && st.label != stats[0].label && st.label != stats[1].label:
				row.Cells = append(row.Cells, "onbekend: sluit de peiling opnieuw")
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
func cellHeads(rep *models.Report, cells []models.Figures) []string {
	heads := []string{fmt.Sprintf("Totaal (n = %d)", cells[0].N)}
	for i, g := range rep.Groups {
		if g.Hidden {
			heads = append(heads, g.Label+": "+models.HiddenLabel(g.Reason, rep.MinGroupSize))
		} else {
			heads = append(heads, fmt.Sprintf("%s (n = %d)", g.Label, cells[i+1].N))
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
	t := &tableView{Caption: qr.Q.Text + " – " + baseSentence(qr, qr.Cells[0].N), Head: append([]string{"Antwoord"}, cellHeads(rep, qr.Cells)...)}
	for i, o := range qr.Cells[0].Options {
		row := tableRow{Label: o.Label}
		for _, f := range qr.Cells {
			row.Cells = append(row.Cells, shareCell(f, i))
		}
		t.Rows = append(t.Rows, row)
	}
	if qr.Base == models.BaseShown {
		t.Rows = append(t.Rows, countRow("Respondenten aan wie de vraag is gesteld (n)", qr.Cells, func(f models.Figures) int64 { return f.N }),
			countRow("Van hen iets aangekruist", qr.Cells, func(f models.Figures) int64 { return f.Answered }))
	} else {
		t.Rows = append(t.Rows, countRow("Beantwoord (n)", qr.Cells, func(f models.Figures) int64 { return f.N }))
	}
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
	// The scale's answers, then the shares taken together, grouped under two headers; the
	// middle of the scale is not repeated as a total of itself.
	t := &tableView{Caption: qr.Q.Text + " – percentages van " + qr.BaseLabel() + " (n per stelling)"}
	for _, o := range qr.Q.ScaleOptions {
		t.Head = append(t.Head, o.Label)
	}
	low, _, high, _ := models.ScaleSummary(qr.Q.ScaleOptions)
	t.Head = append(t.Head, "Samen: "+low, "Samen: "+high)
	t.Groups = []headGroup{{Label: "Stelling", Rowspan: true}, {Label: "Per antwoord", Span: len(qr.Q.ScaleOptions)},
		{Label: "Samen", Span: 2}, {Label: "n", Rowspan: true}, {Label: "Weet niet", Rowspan: true}}
	columns := len(t.Head) + 2
	for _, st := range qr.Statements {
		for ci, f := range st.Cells {
			label := st.Text
			if ci > 0 {
				g := rep.Groups[ci-1]
				label = st.Text + " – " + g.Label
				if g.Hidden {
					label += " (" + models.HiddenLabel(g.Reason, rep.MinGroupSize) + ")"
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
				row.Cells = append(row.Cells, fmt.Sprintf("%d %% (%d)", o.Percent, o.Count))
			}
			row.Cells = append(row.Cells, fmt.Sprintf("%d %%", f.Disagree))
			row.Cells = append(row.Cells, fmt.Sprintf("%d %%", f.Agree), strconv.FormatInt(f.N, 10), strconv.FormatInt(f.DontKnow, 10))
			t.Rows = append(t.Rows, row)
		}
	}
	return t
}

func chartID(code string) string { return "grafiek-" + code }

// choiceChart is a single or multi question as horizontal bars, a bar per group.
func choiceChart(rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	return choiceChartNamed(chartID(qr.Q.Code), rep, qr, standalone)
}

// choiceChartNamed is choiceChart under another id: the profile card draws the profile
// question's chart a second time on the page.
func choiceChartNamed(id string, rep *models.Report, qr *models.QuestionResult, standalone bool) string {
	var rows []barRow
	for i, o := range qr.Cells[0].Options {
		r := barRow{Label: o.Label}
		for ci, f := range qr.Cells {
			b := bar{Hidden: f.Hidden, Reason: models.HiddenLabel(f.Reason, rep.MinGroupSize)}
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
	desc := fmt.Sprintf("Staafdiagram: percentage per antwoord van %s (n = %d)", qr.BaseLabel(), qr.Cells[0].N)
	if rep.Dimension != "" {
		desc += ", uitgesplitst naar " + strings.ToLower(models.BreakdownLabel(rep.Def, rep.Dimension))
	}
	var parts []string
	for _, o := range qr.Cells[0].Options {
		parts = append(parts, fmt.Sprintf("%s: %d %%", o.Label, o.Percent))
	}
	desc += ". Totaal: " + strings.Join(parts, "; ") + "."
	return colouredBarChart(id, qr.Q.Text, desc, rows, rep.Dimension == models.DimSize, standalone)
}

// likertChart is a likert block as diverging 100 % stacked bars, one per statement and group.
func likertChart(rep *models.Report, qr *models.QuestionResult, standalone bool) string {
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
				label = rep.Groups[ci-1].Label + ": " + st.Text
			}
			r := stackRow{Label: label, N: f.N, Hidden: f.Hidden, Reason: models.HiddenLabel(f.Reason, rep.MinGroupSize)}
			for _, o := range f.Options {
				r.Percents = append(r.Percents, o.Percent)
			}
			rows = append(rows, r)
		}
		f := st.Cells[0]
		if f.N == 0 {
			parts = append(parts, st.Text+": niemand heeft deze stelling beoordeeld")
			continue
		}
		part := fmt.Sprintf("%s: %d %% %s", st.Text, f.Agree, strings.ToLower(high))
		if hasMiddle {
			part += fmt.Sprintf(", %d %% %s", f.Neutral, strings.ToLower(middle))
		}
		n := fmt.Sprintf("n = %d", f.N)
		if qr.Q.DontKnow {
			n += ", zonder ‘weet niet’"
		}
		parts = append(parts, part+fmt.Sprintf(", %d %% %s (%s)", f.Disagree, strings.ToLower(low), n))
	}
	centre := "het midden van de schaal"
	if hasMiddle {
		centre = strings.ToLower(middle)
	}
	desc := fmt.Sprintf("Gestapelde staven per stelling, van %s (links) tot %s (rechts), gecentreerd op %s. ", strings.ToLower(scale[0]), strings.ToLower(scale[len(scale)-1]), centre) + strings.Join(parts, ". ") + "."
	return stackChart(chartID(qr.Q.Code), qr.Q.Text, desc, scale, rows, standalone)
}

type resultSettingsForm struct {
	MinGroupSize    string   `form:"min_groep"`
	AnonymousExport bool     `form:"anoniem"`
	MultiBase       string   `form:"basis"`
	AnsweredOnly    []string `form:"basis_vraag"`
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
		MinGroupSize: size, AnonymousExport: form.AnonymousExport, MultiBase: form.MultiBase, AnsweredOnly: strings.Join(form.AnsweredOnly, " ")})
	if errors.Is(err, models.ErrPublicGroupTooSmall) {
		return h.refuseResultSettings(c, s, form, fmt.Sprintf("Een openbare pagina toont geen groepen kleiner dan %d, anders is een gemeente te herkennen, en deze uitkomsten zijn openbaar. Vul bij ‘Kleinste groep’ %d of meer in, of haal de openbare pagina eerst offline", models.MinPublicGroupSize, models.MinPublicGroupSize))
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
		msg := "Vink aan dat u de uitkomsten openbaar wilt maken"
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
		msg := fmt.Sprintf("Een openbare pagina toont geen groepen kleiner dan %d: anders is een gemeente te herkennen. Zet bij de uitkomsten ‘Kleinste groep’ op %d of meer en publiceer dan", models.MinPublicGroupSize, models.MinPublicGroupSize)
		v.OpenAnswers, v.Errors, v.Field = openAnswers, []problemView{{Href: "#bevestig", Message: msg}}, map[string]string{"bevestig": msg}
		return c.Render(http.StatusUnprocessableEntity, "results/publish", v)
	}
	if err != nil {
		return err
	}
	h.log.Info("results published", "survey", s.Slug, "published", on, "open_answers", openAnswers, "researcher", r.ID)
	msg := "De openbare pagina is offline gehaald."
	if on {
		msg = "De uitkomsten zijn openbaar."
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
