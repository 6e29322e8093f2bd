//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// stepTimeout bounds each browser step; the whole browser lives at most browserLife.
const (
	stepTimeout = 20 * time.Second
	browserLife = 3 * time.Minute
)

// newBrowser starts headless Chromium with a fresh profile and returns its first tab.
func newBrowser(t *testing.T, width, height int) *tab {
	t.Helper()
	profile := t.TempDir() // removed after the browser has stopped: cleanups run last-in first-out
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.UserDataDir(profile),
		chromedp.Headless,
		chromedp.NoSandbox, // root in CI
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
		// A Dutch browser (Accept-Language: nl), as a municipality's staff have and the
		// Dutch pages' tests expect; English is chosen with the switch.
		chromedp.Flag("lang", "nl-NL"),
		chromedp.Flag("accept-lang", "nl-NL,nl"),
	}
	life, cancelLife := context.WithTimeout(context.Background(), browserLife)
	alloc, cancelAlloc := chromedp.NewExecAllocator(life, opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc() // waits until the browser process has gone
		cancelLife()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a step timeout
		t.Fatalf("start %s: %v", chromium, err)
	}
	return watch(t, ctx)
}

// incognito opens a tab in a new browser context of the same browser: no cookies, no
// storage, as a colleague's computer would be.
func (b *tab) incognito() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		b.t.Fatalf("open a new browser context: %v", err)
	}
	return watch(b.t, ctx)
}

// tab is one browser tab. It collects script errors and security messages (such as a
// Content-Security-Policy refusal) and fails the test on any.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex
	problems []string
}

func watch(t *testing.T, ctx context.Context) *tab {
	b := &tab{t: t, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			// "network" errors are the 4xx answers we ask for on purpose (422, 404).
			if m.IsException() || (m.Type == chromedp.ConsoleError && m.Source != "network") {
				b.mu.Lock()
				b.problems = append(b.problems, fmt.Sprintf("%s %s:%d: %s", m.Type, m.URL, m.Line+1, m.Text))
				b.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, p := range b.problems {
			t.Errorf("browser console: %s", p)
		}
	})
	return b
}

// do runs browser steps that return nothing.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// get is a browser step that returns a value.
func get[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return v
}

// js evaluates a script in the page and returns its value.
func js[T any](b *tab, expr string) T {
	b.t.Helper()
	return get(b, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown page"
	}
	return loc
}

// path is the path of the page the tab shows.
func (b *tab) path() string {
	b.t.Helper()
	u, err := url.Parse(b.location())
	if err != nil {
		b.t.Fatal(err)
	}
	return u.Path
}

// open goes to a URL and returns the HTTP status of the page it ends on.
func (b *tab) open(u string) int64 {
	b.t.Helper()
	resp := get(b, "open "+u, chromedp.NavigateResponse(u))
	return statusOf(resp)
}

// follow runs steps that load a new page (a click on a link or button, Enter in a form)
// and returns the HTTP status of the page that the browser ends on.
func (b *tab) follow(what string, steps ...chromedp.Action[chromedp.Void]) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, steps...)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return statusOf(resp)
}

func statusOf(resp *network.Response) int64 {
	if resp == nil {
		return 0
	}
	return resp.Status
}

// mustBeAt fails unless the tab shows path with the wanted HTTP status.
func (b *tab) mustBeAt(status, want int64, path string) {
	b.t.Helper()
	if got := b.path(); status != want || got != path {
		b.t.Fatalf("at %s (HTTP %d), want %s (HTTP %d)", got, status, path, want)
	}
}

// clickOn clicks the element that sel finds (CSS), as a mouse user does.
func (b *tab) clickOn(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// choose clicks the label of the radio button or check box with id.
func (b *tab) choose(id string) {
	b.t.Helper()
	b.clickOn(fmt.Sprintf(`label.choice__label[for=%q]`, id))
}

// typeInto clicks a text field and types text into it.
func (b *tab) typeInto(sel, text string) {
	b.t.Helper()
	b.do("type into "+sel, chromedp.Click(chromedp.CSS(sel)), chromedp.KeyEvent(text))
}

// press sends keys to whatever has the focus (see chromedp/kb for the special keys).
func (b *tab) press(keys string) {
	b.t.Helper()
	b.do(fmt.Sprintf("press %q", keys), chromedp.KeyEvent(keys))
}

// focused describes the element that has the keyboard focus.
type focused struct {
	ID, Tag, Name, Value string
	Visible              bool // it shows a focus indicator (outline or box shadow)
}

func (b *tab) focus() focused {
	b.t.Helper()
	return js[focused](b, `(() => {
		const e = document.activeElement;
		if (!e) return {};
		const s = getComputedStyle(e);
		return {ID: e.id, Tag: e.tagName.toLowerCase(), Name: e.name || "", Value: e.value || "",
			Visible: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none"};
	})()`)
}

// tabTo presses Tab until the element with id has the focus, as a keyboard user does, and
// checks that the focus is visible there.
func (b *tab) tabTo(id string) {
	b.t.Helper()
	var seen []string
	for range 60 {
		b.press(kb.Tab)
		f := b.focus()
		if f.ID == id {
			if !f.Visible {
				b.t.Errorf("#%s has the keyboard focus but shows no focus indicator", id)
			}
			return
		}
		seen = append(seen, f.Tag+"#"+f.ID)
	}
	b.t.Fatalf("Tab never reached #%s; the focus went through %s", id, strings.Join(seen, " "))
}

// cookies returns the browser's cookies for u by name.
func (b *tab) cookies(u string) map[string]string {
	b.t.Helper()
	res := get(b, "read cookies", func(ctx context.Context, t *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, t, network.GetCookies, network.GetCookiesParams{URLs: []string{u}})
	})
	out := map[string]string{}
	for _, c := range res.Cookies {
		out[c.Name] = c.Value
	}
	return out
}

// screenshot saves the whole page as a PNG for people to look at. It is not part of any verdict:
// Chromium now and then answers "Unable to capture screenshot" on a page that loaded fine (seen
// in CI), so it tries twice and then only says so.
func (b *tab) screenshot(path string) {
	b.t.Helper()
	var err error
	for range 2 {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		var png []byte
		png, err = chromedp.Run(ctx, chromedp.FullScreenshot(100))
		cancel()
		if err == nil {
			err = os.WriteFile(path, png, 0o644)
		}
		if err == nil {
			return
		}
	}
	b.t.Logf("no screenshot %s: %v", filepath.Base(path), err)
}
