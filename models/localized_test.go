package models

import (
	"encoding/json"
	"reflect"
	"sync"
	"testing"
)

// TestLocalizedIsMadeOnce: Localized gives the same copy for the same language and separator,
// other copies for others, the copy In and WithDecimal would have made, and leaves the
// definition itself as it was; a copy of the definition has copies of its own.
func TestLocalizedIsMadeOnce(t *testing.T) {
	def, err := ParseDefinition("tweetalig.yaml", []byte(bilingual))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(def)
	en := def.Localized("en", ".")
	if again := def.Localized("en", "."); again != en {
		t.Error("a second call made another English copy")
	}
	nl := def.Localized("nl", ",")
	if nl == en || def.Localized("en", ",") == en {
		t.Error("another language or separator gave the English copy")
	}
	if def.Localized("fy", ",") != nl { // no Frisian texts: the Dutch copy, as In gives Dutch
		t.Error("a language the survey lacks made a copy of its own")
	}
	for _, tc := range []struct {
		got  *Definition
		lang string
		sep  string
	}{{en, "en", "."}, {nl, "nl", ","}} {
		if want := def.In(tc.lang).WithDecimal(tc.sep); !reflect.DeepEqual(tc.got, want) {
			t.Errorf("%s: Localized differs from In(%q).WithDecimal(%q)", tc.lang, tc.lang, tc.sep)
		}
	}
	if def.In("en").Localized("en", ".") == en {
		t.Error("a copy of the definition shares the definition's copies")
	}
	if en.Title != "Bilingual" || nl.Title != "Tweetalig" || en.Lang() != "en" || nl.Lang() != "nl" {
		t.Errorf("titles %q, %q; languages %s, %s", en.Title, nl.Title, en.Lang(), nl.Lang())
	}
	if after, _ := json.Marshal(def); string(after) != string(before) {
		t.Error("Localized changed the definition")
	}
	kept := 0
	localizedCopies.Of(def).Range(func(_, _ any) bool { kept++; return true })
	if kept != 3 {
		t.Errorf("%d copies kept, want 3 (en/., nl/,, en/,)", kept)
	}
}

// TestLocalizedConcurrently: requests that ask at the same moment all get one copy (run with
// -race).
func TestLocalizedConcurrently(t *testing.T) {
	def, err := ParseDefinition("tweetalig.yaml", []byte(bilingual))
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	got := make([][2]*Definition, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = [2]*Definition{def.Localized("en", "."), def.Localized("nl", ",")}
			_ = got[i][0].Sections[0].Questions[0].Text // read as a page does
		}()
	}
	wg.Wait()
	for i := range got {
		if got[i] != got[0] {
			t.Fatalf("request %d got other copies", i)
		}
	}
}
