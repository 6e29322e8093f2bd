package handlers

import (
	"os"
	"slices"
	"testing"
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
