package handlers

import (
	"html/template"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
)

// TestPagesHoldOnlyThePartialsTheyReach: each page is parsed with the layout, the partials it
// reaches through {{template}} (also through other partials) and itself, last. That every page
// has what it calls is proven by every page rendering in the other tests; this one proves
// that a page does not carry the rest, which is what kept the server's memory down.
func TestPagesHoldOnlyThePartialsTheyReach(t *testing.T) {
	idx, err := scanTemplates(os.DirFS("../templates"))
	if err != nil {
		t.Fatal(err)
	}
	section := idx.needs("respond/section.html")
	if section[0] != "layout.html" || section[len(section)-1] != "respond/section.html" {
		t.Errorf("section page parsed from %v: want the layout first and the page last", section)
	}
	for _, want := range []string{"partials/question.html", "partials/errorsummary.html"} {
		if !slices.Contains(section, want) {
			t.Errorf("section page parsed from %v: %s missing", section, want)
		}
	}
	for _, unwanted := range []string{"partials/resultfigure.html", "partials/slice.html", "partials/adminbar.html"} {
		if slices.Contains(section, unwanted) {
			t.Errorf("section page parsed from %v: carries the researcher's %s", section, unwanted)
		}
	}
	results := idx.needs("results/page.html")
	if !slices.Contains(results, "partials/resultfigure.html") {
		t.Errorf("results page parsed from %v: resultfigure missing", results)
	}
	// Reached through another partial: whatever a partial calls is there too.
	for _, page := range []string{"respond/section.html", "results/page.html", "admin/dashboard.html"} {
		files := idx.needs(page)
		for _, f := range files {
			for _, name := range idx.calls[f] {
				if def, ok := idx.definedIn[name]; ok && !slices.Contains(files, def) {
					t.Errorf("%s: %s calls %q, defined in %s, which is not parsed", page, f, name, def)
				}
			}
		}
	}
}

// TestPagesAreParsedOnFirstUse: a new renderer holds no parsed page; the first use parses
// that page only, once, however many requests ask for it at the same time; and every page
// of every language parses (whether or not another test renders it).
func TestPagesAreParsedOnFirstUse(t *testing.T) {
	r, err := NewRenderer(os.DirFS("../templates"), os.DirFS("../static"), catalogue)
	if err != nil {
		t.Fatal(err)
	}
	parsed := func() (names []string) {
		for lang, pages := range r.pages {
			for name, p := range pages {
				if p.t != nil {
					names = append(names, lang+" "+name)
				}
			}
		}
		return names
	}
	if got := parsed(); len(got) != 0 {
		t.Fatalf("parsed before any use: %v", got)
	}
	var wg sync.WaitGroup
	tmpls := make([]*template.Template, 8)
	for i := range tmpls {
		wg.Go(func() {
			var err error
			if tmpls[i], err = r.template("nl", "respond/start"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, tm := range tmpls[1:] {
		if tm != tmpls[0] {
			t.Fatal("the same page parsed twice")
		}
	}
	if got := parsed(); !slices.Equal(got, []string{"nl respond/start"}) {
		t.Errorf("parsed after one use: %v", got)
	}
	n := 0
	for lang, pages := range r.pages {
		for name := range pages {
			if _, err := r.template(lang, name); err != nil {
				t.Errorf("%s %s: %v", lang, name, err)
			}
			n++
		}
	}
	if n < 40 {
		t.Errorf("only %d pages", n)
	}
}

// A broken page fails NewRenderer, though pages are kept only from their first use.
func TestABrokenPageFailsTheStart(t *testing.T) {
	fsys := fstest.MapFS{}
	err := fs.WalkDir(os.DirFS("../templates"), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(os.DirFS("../templates"), p)
		fsys[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys["admin/purge.html"] = &fstest.MapFile{Data: []byte(`{{define "main"}}{{if .Data}}unclosed{{end}}`)}
	if _, err := NewRenderer(fsys, os.DirFS("../static"), catalogue); err == nil || !strings.Contains(err.Error(), "admin/purge") {
		t.Errorf("a broken page: %v, want an error naming it", err)
	}
}
