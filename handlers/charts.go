package handlers

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"peiling/locales"
)

// Charts are SVG written here, server-side: they work without JavaScript, print sharply and
// download as files. Every chart has a <title> (its accessible name) and a <desc> (its
// description, read once); the card puts a table with the same numbers one click away.
//
// Charts are drawn for the width they get: there is no viewBox, so text keeps its size in CSS
// pixels (14 px on a phone as on a desk) instead of shrinking with the picture. Horizontal
// positions are percentages of the width, vertical ones pixels; labels wrap at a length that
// fits a 320 px screen, and each label has its own line above its bar.

const (
	chartWidth  = 640 // the width of a downloaded file; on the page the chart takes its column
	labelChars  = 36  // characters per label line: fits 14 px text in a 288 px column
	fontSize    = 14
	lineHeight  = 18
	barHeight   = 18
	chartMargin = 8
	plotPercent = 60 // the bar track: the left 60 % of the width, its figure beside it
)

// bar is one bar of a bar chart: a share of the respondents of one group.
type bar struct {
	Group   string // the group's name in a breakdown, empty for the total
	Percent int
	Count   int64
	Hidden  bool
	Reason  string // why hidden, in the reader's language
	Value   string // the share and count beside the bar, "12 % (3)", in the reader's language
}

// barValue words a bar's share and count in t's language: "12 % (3)" or "12% (3)".
func barValue(t *locales.Translator, percent int, count int64) string {
	return t.Percent(float64(percent), 0) + " (" + strconv.FormatInt(count, 10) + ")"
}

// barRow is one option with a bar per group.
type barRow struct {
	Label string
	Bars  []bar
}

// stackRow is one likert statement (in one group) as a 100 % stacked bar.
type stackRow struct {
	Label    string
	Percents []int // per scale point
	N        int64
	Hidden   bool
	Reason   string // why hidden, or why there is no bar, in the page's language
}

// totalColour is the bar of all respondents in a breakdown: ink, unlike every group.
const totalColour = "#383838"

// categoricalBase are the colours of unordered groups (departments, provinces, the options of
// a question), each at least 3:1 against white (WCAG 1.4.11) and apart from each other.
var categoricalBase = []string{"#01689b", "#a3174f", "#00703c", "#8a4b08", "#5b3f8c", "#b3261e", "#006d77", "#6b6b00"}

// categorical gives n colours for unordered groups, none repeated: the fixed ones first, then
// hues spread around the circle, each darkened until it reaches 3:1 against white.
func categorical(n int) []string {
	out := make([]string, 0, n)
	for i := 0; i < n && i < len(categoricalBase); i++ {
		out = append(out, categoricalBase[i])
	}
	seen := map[string]bool{}
	for _, c := range out {
		seen[c] = true
	}
	extra := n - len(out)
	for i := 0; len(out) < n; i++ {
		hue := math.Mod(15+float64(i)*360/float64(max(extra, 1))+float64(i/max(extra, 1))*7, 360)
		sat := 0.85
		if i%2 == 1 {
			sat = 0.55
		}
		c := darkEnough(hue, sat)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// sequential gives n blues from light to dark for ordered groups (size classes, the points of
// a scale), in steps of equal contrast so that each looks as far from its neighbour as the
// next. Even the lightest reaches 3:1 against white, so each segment also stands apart from
// the white separators between segments (WCAG 1.4.11); the hue turns from sky to indigo to
// tell dark steps apart.
func sequential(n int) []string {
	const lightest, darkest = 3.1, 15.0 // contrast against white
	out := make([]string, n)
	for i := range n {
		t := 0.0
		if n > 1 {
			t = float64(i) / float64(n-1)
		}
		target := lightest * math.Pow(darkest/lightest, t)
		hue := 200 + 30*t
		out[i] = withContrast(hue, 0.8-0.2*t, target)
	}
	return out
}

// darkEnough is the lightest colour of hue and saturation with 3:1 contrast against white.
func darkEnough(hue, sat float64) string { return withContrast(hue, sat, 3.1) }

// withContrast is the lightest colour of hue and saturation with at least target contrast
// against white.
func withContrast(hue, sat, target float64) string {
	lo, hi := 0.0, 1.0
	for range 30 {
		mid := (lo + hi) / 2
		if contrast(hsl(hue, sat, mid), "#ffffff") >= target {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hsl(hue, sat, lo)
}

func hsl(h, s, l float64) string {
	c := (1 - math.Abs(2*l-1)) * s
	x := c * (1 - math.Abs(math.Mod(h/60, 2)-1))
	m := l - c/2
	var r, g, b float64
	switch {
	case h < 60:
		r, g, b = c, x, 0
	case h < 120:
		r, g, b = x, c, 0
	case h < 180:
		r, g, b = 0, c, x
	case h < 240:
		r, g, b = 0, x, c
	case h < 300:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return fmt.Sprintf("#%02x%02x%02x", int(math.Round((r+m)*255)), int(math.Round((g+m)*255)), int(math.Round((b+m)*255)))
}

// luminance is the relative luminance of a #rrggbb colour (WCAG 2.1).
func luminance(hex string) float64 {
	var r, g, b int
	fmt.Sscanf(hex, "#%02x%02x%02x", &r, &g, &b)
	lin := func(v int) float64 {
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
}

// contrast is the WCAG contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// wrap breaks s into lines of at most width characters, at spaces.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" || len(lines) == 0 {
		lines = append(lines, line)
	}
	return lines
}

type svgWriter struct {
	b strings.Builder
	y int
}

func esc(s string) string { return html.EscapeString(s) }

// text writes s at x (a percentage of the width) plus dx pixels, baseline y.
func (w *svgWriter) text(x float64, dx, y int, anchor, weight, s string) {
	fmt.Fprintf(&w.b, `<text x="%s%%" y="%d" font-size="%d" fill="#1a1a1a"`, pct(x), y, fontSize)
	if dx != 0 {
		fmt.Fprintf(&w.b, ` dx="%d"`, dx)
	}
	if anchor != "" {
		fmt.Fprintf(&w.b, ` text-anchor="%s"`, anchor)
	}
	if weight != "" {
		fmt.Fprintf(&w.b, ` font-weight="%s"`, weight)
	}
	fmt.Fprintf(&w.b, `>%s</text>`, esc(s))
}

// pct writes a percentage with at most one decimal.
func pct(x float64) string { return strconv.FormatFloat(math.Round(x*10)/10, 'f', -1, 64) }

func (w *svgWriter) label(s string, bold bool) {
	weight := ""
	if bold {
		weight = "600"
	}
	for _, line := range wrap(s, labelChars) {
		w.y += lineHeight
		w.text(0, 0, w.y-4, "", weight, line)
	}
}

// document wraps the chart body in an <svg> named by its title and described by its
// description. On the page it takes the width of its column; a downloaded file (standalone)
// is chartWidth wide on white.
func document(id, title, desc string, height int, body string, standalone bool) string {
	var b strings.Builder
	width := "100%"
	if standalone {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
		width = strconv.Itoa(chartWidth)
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%s" height="%d" role="img" aria-labelledby="%s-t" aria-describedby="%s-d" class="chart" font-family="Fira Sans, Segoe UI, Arial, sans-serif">`,
		width, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	if standalone {
		b.WriteString(`<rect width="100%" height="100%" fill="#fff"/>`)
	}
	b.WriteString(body)
	b.WriteString(`</svg>`)
	return b.String()
}

// barChart draws horizontal bars for unordered groups, one row per option and one bar per
// group, no colour twice.
func barChart(id, title, desc string, rows []barRow, standalone bool) string {
	return colouredBarChart(id, title, desc, rows, false, standalone)
}

// colouredBarChart draws bars in a sequential scale when the groups are ordered, else each
// group in its own colour; the total of a breakdown is ink.
func colouredBarChart(id, title, desc string, rows []barRow, ordered, standalone bool) string {
	var colours []string
	if len(rows) > 0 {
		n := len(rows[0].Bars)
		breakdown := n > 1
		if breakdown {
			n--
		}
		if ordered {
			colours = sequential(n)
		} else {
			colours = categorical(n)
		}
		if breakdown {
			colours = append([]string{totalColour}, colours...)
		}
	}
	var w svgWriter
	for _, r := range rows {
		w.label(r.Label, true)
		for gi, b := range r.Bars {
			if b.Group != "" {
				w.y += lineHeight
				w.text(0, 0, w.y-4, "", "", b.Group)
			}
			y := w.y + 2
			if b.Hidden {
				w.text(0, 0, y+barHeight-4, "", "", b.Reason)
				w.y += barHeight + 6
				continue
			}
			fmt.Fprintf(&w.b, `<rect x="0" y="%d" width="%s%%" height="%d" fill="%s"/>`, y, pct(float64(plotPercent*b.Percent)/100), barHeight, colours[gi%len(colours)])
			fmt.Fprintf(&w.b, `<rect x="0.5" y="%d" width="%d%%" height="%d" fill="none" stroke="#767676"/>`, y, plotPercent, barHeight)
			w.text(plotPercent, 8, y+barHeight-4, "", "", b.Value)
			w.y += barHeight + 6
		}
		w.y += chartMargin
	}
	return document(id, title, desc, w.y+chartMargin, w.b.String(), standalone)
}

// stackChart draws likert statements as 100 % stacked bars in one sequential scale, aligned so
// that the middle of the scale sits on the centre line (diverging); white lines separate the
// segments.
func stackChart(id, title, desc string, scale []string, rows []stackRow, standalone bool) string {
	var w svgWriter
	colours := sequential(len(scale))
	// Legend first: a key per scale point, two to a line.
	const legendChars = 15 // half a 288 px column, less the key
	for i := 0; i < len(scale); i += 2 {
		w.y += lineHeight + 4
		lines := 1
		for j := i; j < i+2 && j < len(scale); j++ {
			x := float64(50 * (j - i))
			fmt.Fprintf(&w.b, `<rect x="%s%%" y="%d" width="14" height="14" fill="%s"/>`, pct(x), w.y-14, colours[j])
			ls := wrap(scale[j], legendChars)
			for li, line := range ls {
				w.text(x, 18, w.y-2+li*lineHeight, "", "", line)
			}
			lines = max(lines, len(ls))
		}
		w.y += (lines - 1) * lineHeight
	}
	w.y += chartMargin
	const half = 50.0
	k := len(scale)
	for _, r := range rows {
		w.label(r.Label, true)
		y := w.y + 2
		if r.Hidden || r.N == 0 {
			w.text(0, 0, y+barHeight-4, "", "", r.Reason) // the caller words why: hidden, or nobody
			w.y += barHeight + 6 + chartMargin
			continue
		}
		// Left edge: centre minus the low shares and half of the middle, in half-widths.
		var left float64
		for i := 0; i < k/2; i++ {
			left += float64(r.Percents[i])
		}
		if k%2 == 1 {
			left += float64(r.Percents[k/2]) / 2
		}
		pos := half - left*half/100
		for i, p := range r.Percents {
			width := float64(p) * half / 100
			if width > 0 {
				fmt.Fprintf(&w.b, `<rect x="%s%%" y="%d" width="%s%%" height="%d" fill="%s" stroke="#fff" stroke-width="2"/>`, pct(pos), y, pct(width), barHeight, colours[i])
			}
			pos += width
		}
		fmt.Fprintf(&w.b, `<line x1="50%%" x2="50%%" y1="%d" y2="%d" stroke="#1a1a1a"/>`, y-2, y+barHeight+2)
		w.y += barHeight + 6
		w.text(half, 0, w.y+10, "middle", "", fmt.Sprintf("n = %d", r.N))
		w.y += 14 + chartMargin
	}
	return document(id, title, desc, w.y+chartMargin, w.b.String(), standalone)
}
