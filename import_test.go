package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"peiling/models"
	"peiling/models/dbtest"
)

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// surveyRows snapshots the surveys table, to prove a refused import changed nothing.
func surveyRows(t *testing.T, path string) string {
	t.Helper()
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var ss []models.Survey
	db.Read.Order("id").Find(&ss)
	var b strings.Builder
	for _, s := range ss {
		b.WriteString(s.Slug + s.Status + s.Definition + s.UpdatedAt.String() + "\n")
	}
	return b.String()
}

func TestImportRefusesABrokenDefinitionAndLeavesTheDatabase(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	log := slog.New(slog.DiscardHandler)
	ref, _ := models.ReferenceSurvey()
	good := strings.Replace(string(ref), "slug: klantcontact-2018", "slug: klantcontact-2019", 1)
	if err := importSurvey(cfg, []string{"-open", writeFile(t, dir, "goed.yaml", good)}, &bytes.Buffer{}, log); err != nil {
		t.Fatal(err)
	}
	before := surveyRows(t, cfg.DB)
	if !strings.Contains(before, "klantcontact-2019open") {
		t.Fatalf("the good import is missing: %s", before)
	}

	broken := strings.Replace(good, "kind: likert", "kind: grid", 1)
	file := writeFile(t, dir, "kapot.yaml", broken)
	err := importSurvey(cfg, []string{file}, &bytes.Buffer{}, log)
	if err == nil {
		t.Fatal("a broken definition was imported")
	}
	for _, want := range []string{file + ":", "sections[1].questions[1].kind", `"grid" is geen geldige waarde`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	unknownRegister := writeFile(t, dir, "register.yaml", strings.Replace(good, `register: "2018"`, `register: "1850"`, 1))
	if err := importSurvey(cfg, []string{unknownRegister}, &bytes.Buffer{}, log); err == nil || !strings.Contains(err.Error(), `gemeentelijst "1850" is niet geladen`) {
		t.Errorf("unknown register: %v", err)
	}
	if after := surveyRows(t, cfg.DB); after != before {
		t.Errorf("a refused import changed the surveys:\n%s\n%s", before, after)
	}
}

func TestRegisterCommandLoadsAnotherYear(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	csv := "\ufeffcode,name,province,population,population_date\n0363,Amsterdam,Noord-Holland,900000,2019-01-01\n0014,Groningen,Groningen,200000,2019-01-01\n"
	var out bytes.Buffer
	if err := run(context.Background(), cfg, []string{"register", "-name", "2019", writeFile(t, dir, "g.csv", csv)}, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	_ = out
	db, _ := models.Open(cfg.DB, slog.New(slog.DiscardHandler))
	defer db.Close()
	names, _ := models.RegisterNames(db.Read)
	if names["2019"] != 2 {
		t.Fatalf("registers: %v", names)
	}
	bad := "code,name,province,population,population_date\n363,Amsterdam,Noord-Holland,900000,2019-01-01\n"
	err := run(context.Background(), cfg, []string{"register", "-name", "2020", writeFile(t, dir, "bad.csv", bad)}, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "regel 2") || !strings.Contains(err.Error(), "CBS-code") {
		t.Errorf("bad register: %v", err)
	}
}

func TestDemoFillsAndClosesTheReferenceSurveyOnce(t *testing.T) {
	cfg := Config{DB: dbtest.DSN(t, "demo.db")}
	var out bytes.Buffer
	log := slog.New(slog.DiscardHandler)
	if err := runWith(context.Background(), cfg, []string{"demo"}, Streams{Out: &out}, log); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "119 responses") {
		t.Errorf("demo said %q", out.String())
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		t.Fatal(err)
	}
	s, err := models.FindSurvey(db.Read, models.ReferenceSlug)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := models.LoadReport(db.Read, s, models.DimAll)
	db.Close()
	if err != nil || rep.Respondents != 119 || rep.RatePercent != 31 {
		t.Fatalf("report after demo: %v, %+v", err, rep)
	}
	if err := runWith(context.Background(), cfg, []string{"demo"}, Streams{Out: &out}, log); err == nil || !strings.Contains(err.Error(), "new database") {
		t.Errorf("second demo: %v, want a refusal", err)
	}
}

// TestExportThenImportChangesNothing: peiling export writes the survey as a definition file;
// importing that file again leaves the survey as it was, and a text correction in it is a
// correction of version 1, not a new version.
func TestExportThenImportChangesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{DB: dbtest.DSN(t, "peiling.db")}
	log := slog.New(slog.DiscardHandler)
	db, err := openWithDefaults(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	var out bytes.Buffer
	if err := exportSurvey(cfg, []string{"klantcontact-2018"}, &out, log); err != nil {
		t.Fatal(err)
	}
	before := surveyRows(t, cfg.DB)
	file := writeFile(t, dir, "export.yaml", out.String())
	var msg bytes.Buffer
	if err := importSurvey(cfg, []string{file}, &msg, log); err != nil {
		t.Fatalf("importing the export: %v", err)
	}
	if after := surveyRows(t, cfg.DB); after != before {
		t.Errorf("importing the export changed the survey:\n%s\n%s", before, after)
	}
	fixed := strings.Replace(out.String(), "nl: Klantcontact en interactie 2018", "nl: Klantcontact en interactie (2018)", 1)
	if fixed == out.String() {
		t.Fatalf("the export has no title line:\n%.300s", out.String())
	}
	msg.Reset()
	if err := importSurvey(cfg, []string{writeFile(t, dir, "fixed.yaml", fixed)}, &msg, log); err != nil || !strings.Contains(msg.String(), "version 1") {
		t.Errorf("a corrected title: %q, %v", msg.String(), err)
	}
}
