package models

import (
	"reflect"
	"testing"
	"time"

	"peiling/models/dbtest"
)

func TestRegisterMatchesCommonNamesAndSpellings(t *testing.T) {
	reg := testRegister(t)
	cases := []struct{ typed, want string }{
		{"Den Haag", "'s-Gravenhage"},
		{"den haag", "'s-Gravenhage"},
		{"'s-Gravenhage", "'s-Gravenhage"},
		{"s-Gravenhage", "'s-Gravenhage"},
		{"’s Gravenhage", "'s-Gravenhage"},
		{"Den Bosch", "'s-Hertogenbosch"},
		{"s-Hertogenbosch", "'s-Hertogenbosch"},
		{"Hertogenbosch", "'s-Hertogenbosch"},
		{"Súdwest-Fryslân", "Súdwest-Fryslân"},
		{"Sudwest-Fryslan", "Súdwest-Fryslân"},
		{"sudwest fryslan", "Súdwest-Fryslân"},
		{"Bergen (L.)", "Bergen (L.)"},
		{"Bergen L", "Bergen (L.)"},
		{"Bergen Limburg", "Bergen (L.)"},
		{"bergen (nh)", "Bergen (NH.)"},
		{"Bergen Noord-Holland", "Bergen (NH.)"},
		{"Bergen op Zoom", "Bergen op Zoom"},
		{"0344", "Utrecht"},
		{"  UTRECHT ", "Utrecht"},
	}
	for _, tc := range cases {
		m, ok := reg.Find(tc.typed)
		if !ok || m.Name != tc.want {
			t.Errorf("Find(%q) = %v, %v; want %s", tc.typed, m, ok, tc.want)
		}
	}
}

func TestRegisterAsksWhichBergenAndSuggestsCloseNames(t *testing.T) {
	reg := testRegister(t)
	names := func(ms []*Municipality) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return out
	}
	if m := reg.Match("Bergen"); m.Found != nil || !reflect.DeepEqual(names(m.Ambiguous), []string{"Bergen (L.)", "Bergen (NH.)"}) {
		t.Errorf("Bergen: found %v, ambiguous %q", m.Found, names(m.Ambiguous))
	}
	if m := reg.Match("Amsterdm"); m.Found != nil || len(m.Suggestions) == 0 || m.Suggestions[0].Name != "Amsterdam" {
		t.Errorf("Amsterdm: suggestions %q", names(m.Suggestions))
	}
	if m := reg.Match("Den Hag"); len(m.Suggestions) == 0 || m.Suggestions[0].Name != "'s-Gravenhage" {
		t.Errorf("Den Hag: suggestions %q", names(m.Suggestions))
	}
	if m := reg.Match("Atlantis"); m.Found != nil || len(m.Ambiguous)+len(m.Suggestions) != 0 {
		t.Errorf("Atlantis: %+v", m)
	}
}

func TestReadSectionTakesThePickedMunicipality(t *testing.T) {
	def, reg := mustParse(t, allKinds), testRegister(t)
	form := validForm()
	form.Set("gemeente", "Bergen")
	_, problems := def.ReadSection(0, form, reg, true)
	if len(problems) != 1 || problems[0].Field != "gemeente" || !reflect.DeepEqual(problems[0].Choices, []string{"Bergen (L.)", "Bergen (NH.)"}) {
		t.Fatalf("Bergen: problems %+v", problems)
	}
	form.Set("gemeente.kies", "Bergen (NH.)")
	answers, problems := def.ReadSection(0, form, reg, true)
	if len(problems) != 0 || answers[0].Option != "0373" {
		t.Fatalf("Bergen picked as NH: %+v %+v", answers[0], problems)
	}
}

// TestARegisterLoadedAgainByAnotherProcessIsReadAgain: `peiling register` replaces a register
// from a process of its own; every serving instance sees the new one within registerCheck.
func TestARegisterLoadedAgainByAnotherProcessIsReadAgain(t *testing.T) {
	dsn := dbtest.DSN(t, "p.db")
	serving, loader := openSeeded(t, dsn), openSeeded(t, dsn)
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	rs := &Registers{clock: func() time.Time { return at }}
	if err := LoadRegister(loader.Write, "proef", []Municipality{{Code: "0001", Name: "Oudstad", Province: "Utrecht", Population: 1000}}); err != nil {
		t.Fatal(err)
	}
	if r, err := rs.Get(serving.Read, "proef"); err != nil || len(r.List) != 1 {
		t.Fatalf("first read: %v, %v", r, err)
	}
	renamed := []Municipality{{Code: "0001", Name: "Nieuwstad", Province: "Utrecht", Population: 1000}}
	if err := LoadRegister(loader.Write, "proef", renamed); err != nil {
		t.Fatal(err)
	}
	if r, _ := rs.Get(serving.Read, "proef"); r.List[0].Name != "Oudstad" {
		t.Errorf("within %v of the last check: %s, want the cached Oudstad", registerCheck, r.List[0].Name)
	}
	at = at.Add(registerCheck)
	if r, err := rs.Get(serving.Read, "proef"); err != nil || r.List[0].Name != "Nieuwstad" {
		t.Errorf("after %v: %v (%v), want the reloaded Nieuwstad", registerCheck, r, err)
	}
}
