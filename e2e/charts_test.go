//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// minChartText is the smallest label a chart may draw on a phone, in CSS px.
const minChartText = 11

// checkChartText opens each results page at 375 px and measures every label of every chart:
// its font size times the scale the chart is drawn at (a viewBox shrinks it) must reach
// minChartText, and no label may run past its chart's right edge.
func checkChartText(t *testing.T, b *tab, urls []string) {
	t.Helper()
	const w = 375
	b.do(fmt.Sprintf("set the viewport to %d px", w), chromedp.EmulateViewport(w, 900))
	for _, u := range urls {
		if status := b.open(u); status != http.StatusOK {
			t.Errorf("%s: HTTP %d", u, status)
			continue
		}
		problems := js[[]string](b, fmt.Sprintf(`(() => {
			const out = [];
			const texts = document.querySelectorAll("svg.chart text");
			if (texts.length === 0) out.push("no chart text on the page");
			for (const e of texts) {
				const size = parseFloat(getComputedStyle(e).fontSize) * e.getScreenCTM().a;
				const r = e.getBoundingClientRect(), chart = e.ownerSVGElement.getBoundingClientRect();
				if (size < %d) out.push("‘" + e.textContent + "’ is " + size.toFixed(1) + " px (box " + r.height.toFixed(1) + " px high)");
				if (r.right > chart.right + 1) out.push("‘" + e.textContent + "’ runs " + (r.right - chart.right).toFixed(0) + " px past its chart");
			}
			return out.slice(0, 10);
		})()`, minChartText))
		for _, p := range problems {
			t.Errorf("%s at %d px: %s", b.path(), w, p)
		}
	}
}
