package handlers

import (
	"fmt"
	"html"
	"strings"
	"unicode/utf8"
)

// Charts are SVG written here, server-side: they work without JavaScript, print sharply and
// download as files. Every chart has a <title> and a <desc>; the page puts a table with the
// same numbers beside it. Colours meet 3:1 against white (WCAG 1.4.11).

const (
	chartWidth  = 640
	labelChars  = 70 // characters per label line
	lineHeight  = 18
	barHeight   = 18
	chartMargin = 8
)

// bar is one bar of a bar chart: a share of the respondents of one group.
type bar struct {
	Group   string // the group's name in a breakdown, empty for the total
	Percent int
	Count   int64
	Hidden  bool
	Reason  string // why hidden, in Dutch
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
	Reason   string // why hidden, in Dutch
}

var groupColours = []string{"#01689b", "#5b3f8c", "#8a4b08", "#00703c", "#a3174f", "#3d5a80"}

// scaleColours diverge around neutral: reds for disagreement, grey, blues for agreement.
var scaleColours = map[int][]string{
	3: {"#b3261e", "#767676", "#01689b"},
	4: {"#b3261e", "#e07a6f", "#6aa6cf", "#01689b"},
	5: {"#b3261e", "#e07a6f", "#949494", "#6aa6cf", "#01689b"},
}

func scaleColour(i, n int) string {
	if cs, ok := scaleColours[n]; ok {
		return cs[i]
	}
	return groupColours[i%len(groupColours)]
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
	b      strings.Builder
	y      int
	height int
}

func esc(s string) string { return html.EscapeString(s) }

func (w *svgWriter) text(x, y int, anchor, weight, s string) {
	fmt.Fprintf(&w.b, `<text x="%d" y="%d" font-size="14" fill="#1a1a1a"`, x, y)
	if anchor != "" {
		fmt.Fprintf(&w.b, ` text-anchor="%s"`, anchor)
	}
	if weight != "" {
		fmt.Fprintf(&w.b, ` font-weight="%s"`, weight)
	}
	fmt.Fprintf(&w.b, `>%s</text>`, esc(s))
}

func (w *svgWriter) label(s string, bold bool) {
	weight := ""
	if bold {
		weight = "600"
	}
	for _, line := range wrap(s, labelChars) {
		w.y += lineHeight
		w.text(0, w.y-4, "", weight, line)
	}
}

// document wraps the chart body in an <svg> with its title and description. Standalone adds
// what a downloaded file needs.
func document(id, title, desc string, height int, body string, standalone bool) string {
	var b strings.Builder
	if standalone {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	}
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-labelledby="%s-t %s-d" class="chart" font-family="Fira Sans, Segoe UI, Arial, sans-serif">`,
		chartWidth, height, chartWidth, height, id, id)
	fmt.Fprintf(&b, `<title id="%s-t">%s</title><desc id="%s-d">%s</desc>`, id, esc(title), id, esc(desc))
	if standalone {
		fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/>`, chartWidth, height)
	}
	b.WriteString(body)
	b.WriteString(`</svg>`)
	return b.String()
}

// barChart draws horizontal bars, one row per option and one bar per group.
func barChart(id, title, desc string, rows []barRow, standalone bool) string {
	var w svgWriter
	plot := chartWidth - 200
	for _, r := range rows {
		w.label(r.Label, true)
		for gi, b := range r.Bars {
			if b.Group != "" {
				w.y += lineHeight
				w.text(0, w.y-4, "", "", b.Group)
			}
			y := w.y + 2
			caption := fmt.Sprintf("%d %% (%d)", b.Percent, b.Count)
			if b.Hidden {
				caption = b.Reason
			} else {
				fmt.Fprintf(&w.b, `<rect x="0" y="%d" width="%d" height="%d" fill="%s"/>`, y, plot*b.Percent/100, barHeight, groupColours[gi%len(groupColours)])
			}
			fmt.Fprintf(&w.b, `<rect x="0" y="%d" width="%d" height="%d" fill="none" stroke="#767676"/>`, y, plot, barHeight)
			w.text(plot+8, y+barHeight-4, "", "", caption)
			w.y += barHeight + 6
		}
		w.y += chartMargin
	}
	return document(id, title, desc, w.y+chartMargin, w.b.String(), standalone)
}

// stackChart draws likert statements as 100 % stacked bars, aligned so that the middle of
// the neutral part sits on the centre line (diverging).
func stackChart(id, title, desc string, scale []string, rows []stackRow, standalone bool) string {
	var w svgWriter
	// Legend first: a key per scale point.
	x := 0
	w.y = 4
	for i, s := range scale {
		if x+20+7*utf8.RuneCountInString(s) > chartWidth {
			x = 0
			w.y += lineHeight + 4
		}
		fmt.Fprintf(&w.b, `<rect x="%d" y="%d" width="14" height="14" fill="%s"/>`, x, w.y, scaleColour(i, len(scale)))
		w.text(x+18, w.y+12, "", "", s)
		x += 30 + 7*utf8.RuneCountInString(s)
	}
	w.y += lineHeight + 8
	half := chartWidth / 2
	k := len(scale)
	for _, r := range rows {
		w.label(r.Label, true)
		y := w.y + 2
		if r.Hidden || r.N == 0 {
			caption := r.Reason
			if !r.Hidden {
				caption = "niemand heeft deze stelling beoordeeld"
			}
			w.text(0, y+barHeight-4, "", "", caption)
			w.y += barHeight + 6 + chartMargin
			continue
		}
		// Left edge: centre minus the disagreeing shares and half of neutral, in half-widths.
		var left float64
		for i := 0; i < k/2; i++ {
			left += float64(r.Percents[i])
		}
		if k%2 == 1 {
			left += float64(r.Percents[k/2]) / 2
		}
		pos := float64(half) - left*float64(half)/100
		for i, p := range r.Percents {
			width := float64(p) * float64(half) / 100
			if width > 0 {
				fmt.Fprintf(&w.b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>`, pos, y, width, barHeight, scaleColour(i, k))
			}
			pos += width
		}
		fmt.Fprintf(&w.b, `<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="#1a1a1a"/>`, half, half, y-2, y+barHeight+2)
		w.y += barHeight + 6
		w.text(half, w.y+10, "middle", "", fmt.Sprintf("n = %d", r.N))
		w.y += 14 + chartMargin
	}
	return document(id, title, desc, w.y+chartMargin, w.b.String(), standalone)
}
