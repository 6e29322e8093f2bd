//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
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

// textSpacing applies the WCAG 1.4.12 spacing: what a reader may set without the page
// losing content or scrolling sideways.
const textSpacing = `(() => {
	for (const e of document.querySelectorAll("body *")) { // through the CSSOM: the CSP blocks a <style>
		e.style.setProperty("line-height", "1.5", "important");
		e.style.setProperty("letter-spacing", ".12em", "important");
		e.style.setProperty("word-spacing", ".16em", "important");
		if (e.tagName === "P") e.style.setProperty("margin-bottom", "2em", "important");
	}
	return true })()`

// checkResultsReflow opens the results page at 320 px with text spacing applied, then as
// print on an A4 column (18 cm, 680 px): neither may be wider than its width.
func checkResultsReflow(t *testing.T, b *tab, url string) {
	t.Helper()
	wider := `document.documentElement.scrollWidth`
	b.do("set the viewport to 320 px", chromedp.EmulateViewport(320, 900))
	if status := b.open(url); status != http.StatusOK {
		t.Fatalf("%s: HTTP %d", url, status)
	}
	js[bool](b, textSpacing)
	if w := js[int](b, wider); w > 320 {
		t.Errorf("%s with text spacing at 320 px is %d px wide", b.path(), w)
	}
	b.do("print on A4", chromedp.EmulateViewport(680, 1000), media("print"))
	if status := b.open(url); status != http.StatusOK {
		t.Fatalf("%s: HTTP %d", url, status)
	}
	if w := js[int](b, wider); w > 680 {
		t.Errorf("%s printed is %d px wide on a 680 px A4 column: the browser shrinks it to %d %%", b.path(), w, 68000/w)
	}
	b.do("back to the screen", media(""))
}

// media emulates a CSS media type ("print", or "" for the screen).
func media(m string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return chromedp.Void{}, err
	}
}

// checkResultsPages runs axe-core on each results page at 375 and 1280 px on the screen, and
// on an A4 column (680 px) as printed: 0 violations in each, and a screenshot of each in
// dir/axe for people to look at.
func checkResultsPages(t *testing.T, b *tab, dir string, urls ...string) {
	t.Helper()
	axe := readAxe(t)
	for i, u := range urls {
		if status := b.open(u); status != http.StatusOK {
			t.Fatalf("%s: HTTP %d", u, status)
		}
		name := fmt.Sprintf("results-%d", i+1)
		checkWithAxe(t, b, axe, name, []int{375, 1280}, dir)
		b.do("print", media("print"))
		checkWithAxe(t, b, axe, name+"-print", []int{680}, dir)
		b.do("back to the screen", media(""))
	}
}
