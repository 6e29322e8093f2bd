package handlers

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// monitorView is the fieldwork monitor: who responded, when, where and how big; counts and
// names only, never what anyone answered.
type monitorView struct {
	Researcher *models.Researcher
	Survey     *models.SurveyOverview
	Chart      template.HTML // empty before the survey opened
	Days       []dayRow
	Provinces  []models.ProgressRow
	Sizes      []models.ProgressRow
	Map        template.HTML // empty when the register has no boundary file
	Submitted  []string
	Drafts     []string
	None       []string
}

type dayRow struct {
	Day        time.Time
	New        int64
	Cumulative int64
	Percent    int
}

func (h *Handler) showMonitor(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	o, err := models.FindSurveyOverview(db, c.Param("slug"))
	if err != nil {
		return err
	}
	reg, err := h.registers.Get(db, o.Register)
	if err != nil {
		return err
	}
	states, err := models.MunicipalityStates(db, o.ID)
	if err != nil {
		return err
	}
	days, err := models.SubmissionsPerDay(db, &o.Survey, amsterdam, time.Now())
	if err != nil {
		return err
	}
	view := monitorView{Researcher: researcher(c), Survey: o}
	if view.Provinces, err = models.ProgressByProvince(db, &o.Survey); err != nil {
		return err
	}
	if view.Sizes, err = models.ProgressBySize(db, &o.Survey); err != nil {
		return err
	}
	for _, m := range reg.List { // sorted by name
		switch states[m.Code] {
		case models.StateSubmitted:
			view.Submitted = append(view.Submitted, m.Name)
		case models.StateDraft:
			view.Drafts = append(view.Drafts, m.Name)
		default:
			view.None = append(view.None, m.Name)
		}
	}
	for _, d := range days {
		view.Days = append(view.Days, dayRow{Day: d.Day, New: d.New, Cumulative: d.Cumulative, Percent: percentOf(d.Cumulative, int64(len(reg.List)))})
	}
	if len(view.Days) > 0 {
		view.Chart = template.HTML(rateChart(tr(c), view.Days, len(reg.List)))
	}
	m, err := models.BoundaryMap(o.Register)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if m != nil {
		view.Map = template.HTML(statusMap(tr(c), m, states, len(view.Submitted), len(view.Drafts), len(view.None)))
	}
	return c.Render(http.StatusOK, "admin/monitor", view)
}

func percentOf(n, base int64) int {
	if base == 0 {
		return 0
	}
	return int((n*200 + base) / (base * 2))
}

// rateChart draws the response rate at the end of each day as bars.
func rateChart(t *locales.Translator, days []dayRow, population int) string {
	const width, height, left, top, plotH = 640, 250, 44, 12, 190
	plotW := width - left - 8
	top100 := 10
	for _, d := range days {
		for d.Percent > top100 {
			top100 += 10
		}
	}
	top100 = min(top100, 100)
	last := days[len(days)-1]
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="respons-t respons-d" class="chart" font-family="Fira Sans, Segoe UI, Arial, sans-serif">`, width, height, width, height)
	fmt.Fprintf(&b, `<title id="respons-t">%s</title><desc id="respons-d">%s</desc>`, esc(t.T("admin.monitor.days")), esc(t.T("admin.monitor.chart_desc",
		"From", t.Date(days[0].Day), "To", t.Date(last.Day), "Submitted", last.Cumulative, "Population", population, "Rate", last.Percent)))
	for _, p := range []int{0, top100 / 2, top100} { // grid and axis labels
		y := top + plotH - plotH*p/top100
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#b1b4b6"/>`, left, width-8, y, y)
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="13" fill="#1a1a1a" text-anchor="end">%s</text>`, left-6, y+4, esc(t.Percent(float64(p), 0)))
	}
	step := float64(plotW) / float64(len(days))
	for i, d := range days {
		h := float64(plotH) * float64(d.Cumulative) / float64(max(population, 1)) * 100 / float64(top100)
		x := float64(left) + float64(i)*step
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#01689b"/>`, x+step*0.1, float64(top+plotH)-h, step*0.8, h)
	}
	every := max(1, (len(days)+5)/6) // at most about six dates under the axis
	for i := 0; i < len(days); i += every {
		x := float64(left) + (float64(i)+0.5)*step
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="13" fill="#1a1a1a" text-anchor="middle">%d-%d</text>`, x, top+plotH+20, days[i].Day.Day(), days[i].Day.Month())
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// Map colours: blue for submitted, orange for a draft, light grey for nothing yet; the
// legend and the lists beside the map carry the same information in words.
var mapColours = map[string]string{models.StateSubmitted: "#01689b", models.StateDraft: "#e17000", models.StateNone: "#d2d2d2"}

// statusMap draws the register's municipalities coloured by their state.
func statusMap(t *locales.Translator, m *models.Map, states map[string]string, submitted, drafts, none int) string {
	groups := map[string]*strings.Builder{}
	for _, st := range []string{models.StateNone, models.StateDraft, models.StateSubmitted} {
		groups[st] = &strings.Builder{}
	}
	for _, s := range m.Shapes {
		st := states[s.Code]
		if st == "" {
			st = models.StateNone
		}
		fmt.Fprintf(groups[st], `<path d="%s"/>`, s.Path)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-labelledby="kaart-t kaart-d" class="status-map">`, m.Width, m.Height)
	fmt.Fprintf(&b, `<title id="kaart-t">%s</title><desc id="kaart-d">%s</desc>`, esc(t.T("admin.monitor.map_title")),
		esc(t.T("admin.monitor.map_desc", "Submitted", submitted, "Drafts", drafts, "None", none)))
	b.WriteString(`<g stroke="#ffffff" stroke-width="0.4" stroke-linejoin="round">`)
	for _, st := range []string{models.StateNone, models.StateDraft, models.StateSubmitted} {
		fmt.Fprintf(&b, `<g fill="%s">%s</g>`, mapColours[st], groups[st].String())
	}
	b.WriteString(`</g></svg>`)
	return b.String()
}
