package models

import (
	"strings"
	"testing"
)

func TestBoundaryMapDrawsEveryMunicipalityOfTheRegister(t *testing.T) {
	for _, reg := range []string{"2017", "2018"} {
		m, err := BoundaryMap(reg)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"2017": 388, "2018": 380}[reg]
		if len(m.Shapes) != want {
			t.Errorf("register %s: %d shapes, want %d", reg, len(m.Shapes), want)
		}
		size := 0
		for _, s := range m.Shapes {
			size += len(s.Path)
			if !strings.HasPrefix(s.Path, "M") || !strings.HasSuffix(s.Path, "z") {
				t.Fatalf("shape %s: path %.40q…", s.Code, s.Path)
			}
		}
		t.Logf("register %s: %d×%d, %d KB of paths", reg, m.Width, m.Height, size>>10)
		if size > 200<<10 {
			t.Errorf("register %s: %d KB of paths is too heavy for a page", reg, size>>10)
		}
	}
	if _, err := BoundaryMap("2025"); err != ErrNotFound {
		t.Errorf("register without a boundary file: %v", err)
	}
}

func TestSizeClassOfIncludesTheLowerBound(t *testing.T) {
	for pop, want := range map[int]string{0: "a_lt10k", 9_999: "a_lt10k", 10_000: "b_10k_20k", 49_999: "c_20k_50k", 50_000: "d_50k_100k", 854_047: "e_ge100k"} {
		if got := SizeClassOf(pop).Key; got != want {
			t.Errorf("SizeClassOf(%d) = %s, want %s", pop, got, want)
		}
	}
}
