package handlers

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/labstack/echo/v5"
	"github.com/xuri/excelize/v2"

	"peiling/models"
	"peiling/models/dbtest"
)

// The benchmarks below measure Peiling's own paths next to the ceilings they are held to
// (docs/performance.md): a bare 5 KB html/template page and a raw SQLite submit.

// BenchmarkBareTemplate is the ceiling for page rendering: a 5 KB page from html/template,
// rendered in memory, and served by a bare echo handler through the same HTTP client the
// section-page benchmark uses (so the two differ only in what Peiling adds).
func BenchmarkBareTemplate(b *testing.B) {
	tpl := template.Must(template.New("p").Parse(`<!doctype html><html lang="nl"><head><title>{{.Title}}</title></head><body>{{range .Rows}}<p class="row">{{.}}</p>{{end}}</body></html>`))
	rows := make([]string, 100)
	for i := range rows {
		rows[i] = fmt.Sprintf("Regel %d met wat tekst om de pagina op vijf kilobyte te brengen.", i)
	}
	data := struct {
		Title string
		Rows  []string
	}{"Peiling", rows}
	b.Run("render", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			if err := tpl.Execute(&buf, data); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(buf.Len()), "bytes/page")
	})
	b.Run("http", func(b *testing.B) {
		e := echo.New()
		e.GET("/", func(c *echo.Context) error {
			c.Response().Header().Set("Content-Type", "text/html; charset=utf-8")
			return tpl.Execute(c.Response(), data)
		})
		srv := httptest.NewServer(e)
		defer srv.Close()
		c := (&testApp{t: b, srv: srv}).newClient()
		b.ReportAllocs()
		reportCPU(b)
		for b.Loop() {
			if p := c.get("/"); p.Status != http.StatusOK {
				b.Fatal(p.Status)
			}
		}
	})
}

// BenchmarkSectionPage renders the first section (the municipality picker) and the likert
// section (step 2) for a respondent with saved answers, and step 2 on a first visit, with
// nothing answered yet, as most section pages are seen.
func BenchmarkSectionPage(b *testing.B) {
	for _, bench := range []struct {
		step   int
		filled bool
		name   string
	}{{1, true, "step 1"}, {2, true, "step 2"}, {2, false, "step 2 first visit"}} {
		step := bench.step
		b.Run(bench.name, func(b *testing.B) {
			app := newTestApp(b)
			c := app.newClient()
			c.start()
			path := fmt.Sprintf("/s/%s/stap/%d", refSlug, step)
			if bench.filled {
				c.fillAll("Ede")
			} else { // only the first step, which leads here
				form := sectionAnswers("Ede")[0]
				form.Set("actie", "volgende")
				if p := c.post(fmt.Sprintf("/s/%s/stap/1", refSlug), form); !strings.HasSuffix(p.URL, path) {
					b.Fatalf("after step 1: at %s", p.URL)
				}
			}
			b.ReportAllocs()
			reportCPU(b)
			for b.Loop() {
				if p := c.get(path); p.Status != 200 || !strings.HasSuffix(p.URL, path) {
					b.Fatal(p.Status, p.URL)
				}
			}
		})
	}
}

// BenchmarkSaveSection saves the likert section again and again (POST, then the redirect).
func BenchmarkSaveSection(b *testing.B) {
	app := newTestApp(b)
	c := app.newClient()
	c.start()
	c.fillAll("Ede")
	form := sectionAnswers("Ede")[1]
	form.Set("actie", "volgende")
	form.Set("terug", "controleren")
	c.get("/s/" + refSlug + "/stap/2")
	form.Set("_csrf", csrfField.FindStringSubmatch(c.last.Body)[1])
	body := form.Encode()
	b.ReportAllocs()
	for b.Loop() {
		if p := c.postRaw("/s/"+refSlug+"/stap/2", body); p.Status != 200 {
			b.Fatal(p.Status)
		}
	}
}

// BenchmarkSubmit measures models.Submit on complete drafts, next to the raw SQLite ceiling:
// one response and its answers inserted with plain SQL in one transaction.
func BenchmarkSubmit(b *testing.B) {
	b.Run("peiling", func(b *testing.B) {
		app := newTestApp(b) // each round on a fresh file: a municipality answers once
		survey, err := models.FindSurvey(app.db.Read, refSlug)
		if err != nil {
			b.Fatal(err)
		}
		drafts := completeDrafts(b, app, survey, b.N)
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if err := models.Submit(app.db.Write, survey, drafts[i], models.NewToken(), "nl"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw sqlite ceiling", func(b *testing.B) {
		app := newTestApp(b) // a fresh file per round too: the token hashes repeat
		survey, err := models.FindSurvey(app.db.Read, refSlug)
		if err != nil {
			b.Fatal(err)
		}
		sqlDB, _ := app.db.Write.DB()
		ctx := context.Background()
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			tx, err := sqlDB.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			res, err := tx.Exec(`INSERT INTO responses (survey_id, status, token_hash, reached, created_at, updated_at) VALUES (?, 'submitted', ?, 5, datetime(), datetime())`, survey.ID, fmt.Sprintf("raw-%d-%d", b.N, i))
			if err != nil {
				b.Fatal(err)
			}
			id, _ := res.LastInsertId()
			for q := 0; q < 15; q++ {
				if _, err := tx.Exec(`INSERT INTO answers (response_id, question, item, option, text) VALUES (?, ?, '', 'ja', '')`, id, fmt.Sprintf("q%d", q)); err != nil {
					b.Fatal(err)
				}
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// completeDrafts makes n drafts with every section saved, each for its own municipality.
func completeDrafts(b *testing.B, app *testApp, survey *models.Survey, n int) []*models.Response {
	b.Helper()
	def, _ := survey.Def()
	reg, err := (&models.Registers{}).Get(app.db.Read, survey.Register)
	if err != nil {
		b.Fatal(err)
	}
	if n > len(reg.List) {
		b.Fatalf("only %d municipalities for %d drafts", len(reg.List), n)
	}
	out := make([]*models.Response, n)
	for i := range out {
		r, _, err := models.StartDraft(app.db.Write, survey, "nl")
		if err != nil {
			b.Fatal(err)
		}
		for si, form := range sectionAnswers(reg.List[i].Name) {
			answers, problems := def.ReadSection(si, form, reg, true)
			if len(problems) > 0 {
				b.Fatal(problems)
			}
			if err := models.SaveSection(app.db.Write, survey, r, si, answers); err != nil {
				b.Fatal(err)
			}
		}
		out[i] = r
	}
	return out
}

// benchSizes are the numbers of responses the results and export benchmarks run at. One
// million takes ten minutes to seed, so it runs only with PEILING_BENCH_LARGE=1.
func benchSizes() []int {
	sizes := []int{1_000, 10_000, 100_000}
	if os.Getenv("PEILING_BENCH_LARGE") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// BenchmarkResultsPage renders the results page of a closed survey through HTTP, overall and
// per breakdown, at growing numbers of responses.
func BenchmarkResultsPage(b *testing.B) {
	for _, n := range benchSizes() {
		_, res := closedSurveyWith(b, n)
		for _, dim := range append([]string{models.DimAll}, models.Dimensions...) {
			name := dim
			if name == "" {
				name = "alle"
			}
			b.Run(fmt.Sprintf("%d responses/%s", n, name), func(b *testing.B) {
				path := "/admin/surveys/" + refSlug + "/results?indeling=" + dim
				b.ReportAllocs()
				for b.Loop() {
					if p := res.get(path); p.Status != http.StatusOK {
						b.Fatal(p.Status)
					}
				}
			})
		}
	}
}

// BenchmarkSlicedResultsPage serves the results page broken down by a question, filtered,
// both, and a cross table, once each slice is stored (the first request stores it; see
// BenchmarkSliceFirstUse in models).
func BenchmarkSlicedResultsPage(b *testing.B) {
	for _, n := range benchSizes() {
		app, res := closedSurveyWith(b, n)
		s, err := models.FindSurvey(app.db.Read, refSlug)
		if err != nil {
			b.Fatal(err)
		}
		started := time.Now()
		<-app.h.startSlices(s).done // as after closing: every slice with a question counted once
		b.Logf("%d responses: slices counted in %v (none if they were stored)", n, time.Since(started).Round(time.Millisecond))
		for _, path := range []string{"/results?indeling=overleg", "/results?filter=afdeling:communicatie",
			"/results?indeling=overleg&filter=afdeling:communicatie", "/results?indeling=provincie&filter=overleg:ja",
			"/results/kruistabel?rij=provincie&kolom=overleg", "/results/kruistabel?rij=afdeling&kolom=kc_plannen",
			"/results/kruistabel?rij=provincie&kolom=grootte&filter=overleg:ja"} {
			b.Run(fmt.Sprintf("%d responses/%s", n, path), func(b *testing.B) {
				path := "/admin/surveys/" + refSlug + path
				if p := res.get(path); p.Status != http.StatusOK {
					b.Fatal(p.Status)
				}
				b.ReportAllocs()
				for b.Loop() {
					if p := res.get(path); p.Status != http.StatusOK {
						b.Fatal(p.Status)
					}
				}
			})
		}
	}
}

// BenchmarkSlicedResultsPageFirstView is the first view of a breakdown by a question while
// its slice is not stored: the page says it is being counted, within the view's short wait,
// and the count goes on in the background (it is stopped and dropped after each view here).
func BenchmarkSlicedResultsPageFirstView(b *testing.B) {
	for _, n := range benchSizes() {
		app, res := closedSurveyWith(b, n)
		app.h.slices.wait = defaultSliceWait // as served, not as in tests
		b.Run(fmt.Sprintf("%d responses", n), func(b *testing.B) {
			path := "/admin/surveys/" + refSlug + "/results?indeling=overleg"
			for b.Loop() {
				b.StopTimer()
				app.h.slices.jobs.Wait()
				if err := app.db.Write.Exec("DELETE FROM slice_counts").Error; err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				p := res.get(path)
				if p.Status != http.StatusOK {
					b.Fatal(p.Status)
				}
				if n >= 100_000 && !strings.Contains(p.Body, "wordt nog berekend") {
					b.Fatal("the first view did not say the breakdown is being computed")
				}
			}
			b.StopTimer()
			app.h.slices.jobs.Wait()
		})
	}
}

// BenchmarkExport downloads each raw-data export of a closed survey through the real handler,
// at growing numbers of responses (up to 100,000: an XLSX of a million rows takes minutes).
// peak-heap-MB is the highest heap seen while the export ran: it should stay flat as the
// number of responses grows, because exports stream.
func BenchmarkExport(b *testing.B) {
	for _, n := range exportSizes() {
		app, res := closedSurveyWith(b, n)
		s, err := models.FindSurvey(app.db.Read, refSlug)
		if err != nil {
			b.Fatal(err)
		}
		// The CSV as it is read before the pass after closing has packed the records (the
		// pass held back), then after.
		if err := app.db.Write.Exec(`DELETE FROM record_packs`).Error; err != nil {
			b.Fatal(err)
		}
		app.h.slices.gate = make(chan struct{})
		for _, file := range []string{"antwoorden-excel.csv (unpacked)", "pack", "antwoorden-excel.csv", "antwoorden.json", "peiling.xlsx"} {
			if file == "pack" {
				close(app.h.slices.gate)
				app.h.slices.jobs.Wait()
				if _, err := models.PackRecords(app.db.Write, s); err != nil {
					b.Fatal(err)
				}
				continue
			}
			b.Run(fmt.Sprintf("%d responses/%s", n, file), func(b *testing.B) {
				url := app.srv.URL + "/admin/surveys/" + refSlug + "/export/" + strings.TrimSuffix(file, " (unpacked)")
				peak := watchHeap()
				var size int64
				b.ReportAllocs()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				for b.Loop() {
					resp, err := res.http.Get(url)
					if err != nil {
						b.Fatal(err)
					}
					size, err = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("%s: %d, %v", file, resp.StatusCode, err)
					}
				}
				var after runtime.MemStats
				runtime.ReadMemStats(&after)
				rows := float64(n) * float64(b.N)
				b.ReportMetric(rows/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(after.Mallocs-before.Mallocs)/rows, "allocs/row")
				b.ReportMetric(float64(size)/1e6, "file-MB")
				b.ReportMetric(float64(peak())/1e6, "peak-heap-MB")
			})
		}
	}
}

// closedSurveyWith serves a closed reference survey with n seeded responses. The database is
// the one the models benchmarks seed and keep in the temp folder (same file, same random
// seed), so run the two packages' benchmarks one after the other (-p 1); with
// PEILING_BENCH_POSTGRES, the same databases on that server (dbtest.BenchDSN).
func closedSurveyWith(b *testing.B, n int) (*testApp, *client) {
	b.Helper()
	path, fresh := dbtest.BenchDSN(b, n)
	app := newTestAppOn(b, path)
	s, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		b.Fatal(err)
	}
	if fresh {
		started := time.Now()
		if err := models.SeedResponses(app.db.Write, s, n, rand.New(rand.NewPCG(uint64(n), 1))); err != nil {
			os.Remove(path)
			b.Fatal(err)
		}
		b.Logf("seeded %d responses in %v", n, time.Since(started).Round(time.Millisecond))
	}
	if s.Status != models.StatusClosed {
		if err := models.CloseSurvey(app.db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
			b.Fatal(err)
		}
	}
	return app, app.asResearcher()
}

// watchHeap samples the live heap every few milliseconds; the returned func stops it and
// gives the highest value seen.
func watchHeap() func() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		return peak
	}
}

// exportSizes are the numbers of responses the export benchmarks run at;
// PEILING_BENCH_EXPORT=100000 runs one size only.
func exportSizes() []int {
	if n, err := strconv.Atoi(os.Getenv("PEILING_BENCH_EXPORT")); err == nil {
		return []int{n}
	}
	return []int{1_000, 10_000, 100_000}
}

// BenchmarkExportCeiling is the ceiling for exports: the rows of the raw-data export of the
// same closed survey, read once into memory (as the export's own fields, so no database and
// no formatting), then written by a bare writer: encoding/csv for the CSV for Dutch Excel, and
// excelize's stream writer for the raw-data sheet of the XLSX. BenchmarkExport is held to it:
// it reads from the database and goes through the HTTP handler.
func BenchmarkExportCeiling(b *testing.B) {
	for _, n := range exportSizes() {
		app, _ := closedSurveyWith(b, n)
		s, err := models.FindSurvey(app.db.Read, refSlug)
		if err != nil {
			b.Fatal(err)
		}
		def, _ := s.Def()
		settings, err := models.SettingsOf(app.db.Read, s.ID)
		if err != nil {
			b.Fatal(err)
		}
		cols := models.Columns(def, settings)
		var fields [][]string
		var cells [][]any
		st := xlsxStyles{}
		layout := models.NewRowLayout(cols)
		err = models.StreamResponses(app.db.Read, s, func(r *models.RawResponse) error {
			row := layout.Row(r)
			f, c := make([]string, len(cols)), make([]any, len(cols))
			for i, cell := range row {
				f[i] = models.CSVCell(cell, true)
				c[i] = xlsxCell(cell, st)
			}
			fields, cells = append(fields, f), append(cells, c)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("%d responses/encoding-csv", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := csv.NewWriter(bufio.NewWriterSize(io.Discard, 64<<10))
				w.Comma, w.UseCRLF = ';', true
				if err := w.WriteAll(fields); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(fields))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		// Not a ceiling the issue names, but the floor under every export: the export's own
		// reading of the same responses (models.StreamResponses) with nothing written.
		b.Run(fmt.Sprintf("%d responses/database-read", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := models.StreamResponses(app.db.Read, s, func(*models.RawResponse) error { return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(fields))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
		b.Run(fmt.Sprintf("%d responses/excelize-stream", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				f := excelize.NewFile()
				sw, err := f.NewStreamWriter("Sheet1")
				if err != nil {
					b.Fatal(err)
				}
				for i, row := range cells {
					name, _ := excelize.CoordinatesToCellName(1, i+1)
					if err := sw.SetRow(name, row); err != nil {
						b.Fatal(err)
					}
				}
				if err := sw.Flush(); err != nil {
					b.Fatal(err)
				}
				if err := f.Write(io.Discard); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			b.ReportMetric(float64(len(cells))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkQuestionnaire plays whole questionnaires through the real handlers, as the load
// tool's respondents do (start page, Start, every section saved with post/redirect/get, the
// check page, submit, the confirmation: 15 requests, 7 of them writes), one respondent at a
// time, each for a municipality of its own. Its CPU profile is the server's work per
// questionnaire (plus the in-process client). Run with -benchtime 300x at most: a fresh
// database has 380 municipalities.
func BenchmarkQuestionnaire(b *testing.B) {
	app := newTestApp(b)
	survey, err := models.FindSurvey(app.db.Read, refSlug)
	if err != nil {
		b.Fatal(err)
	}
	reg, err := (&models.Registers{}).Get(app.db.Read, survey.Register)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	reportCPU(b)
	for i := 0; b.Loop(); i++ {
		if i >= len(reg.List) {
			b.Fatalf("only %d municipalities", len(reg.List))
		}
		c := app.newClient()
		c.start()
		check := c.fillAll(reg.List[i].Name)
		if p := c.post("/s/"+refSlug+"/verzenden", url.Values{"inzending": {check.hidden(b, "inzending")}}); p.Status != http.StatusOK || !strings.HasSuffix(p.URL, "/bevestiging") {
			b.Fatalf("submit: %d at %s", p.Status, p.URL)
		}
	}
}

// reportCPU reports, when the benchmark ends, the process's CPU time (user and system, all
// goroutines: server, client and GC) per op as cpu-µs/op. On a machine shared with other work
// wall time per op swings by several times; CPU time per op much less.
func reportCPU(b *testing.B) {
	start := processCPU()
	b.Cleanup(func() {
		if b.N > 0 {
			b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		}
	})
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkCheckPage renders the check-your-answers page of a complete draft: every answer
// of the questionnaire with a link to change it.
func BenchmarkCheckPage(b *testing.B) {
	app := newTestApp(b)
	c := app.newClient()
	c.start()
	c.fillAll("Ede")
	path := "/s/" + refSlug + "/controleren"
	b.ReportAllocs()
	reportCPU(b)
	for b.Loop() {
		if p := c.get(path); p.Status != 200 || !strings.HasSuffix(p.URL, path) {
			b.Fatal(p.Status, p.URL)
		}
	}
}
