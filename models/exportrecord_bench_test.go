package models

import (
	"bufio"
	"encoding/csv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// BenchmarkStreamCSV writes the CSV for Dutch Excel of a closed survey's 100,000 responses
// (PEILING_BENCH_EXPORT sets another number) with encoding/csv into io.Discard, as the export
// does without HTTP, beside the same rows written from memory (the ceiling). It runs on the
// responses as seeded, whose open answers repeat five texts, and (SQLite only) on a copy
// whose every text answer is unique, its records made and packed again: what a pack costs
// when the answers are not alike. pack-bytes/row is the packs' size per response.
func BenchmarkStreamCSV(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("PEILING_BENCH_EXPORT")); err == nil {
		n = v
	}
	db, s := seededSurvey(b, n)
	if _, err := PackRecords(db.Write, s); err != nil {
		b.Fatal(err)
	}
	b.Run("seeded", func(b *testing.B) { benchStreamCSV(b, db, s) })
	if dbtest.Postgres() {
		return
	}
	path := filepath.Join(b.TempDir(), "unique.db")
	if err := db.Write.Exec(`VACUUM INTO ?`, path).Error; err != nil {
		b.Fatal(err)
	}
	u, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer u.Close()
	for _, q := range []string{`UPDATE answers SET text = text || ' (' || id || ')' WHERE text <> ''`,
		`DELETE FROM response_records`, `DELETE FROM record_packs`} {
		if err := u.Write.Exec(q).Error; err != nil {
			b.Fatal(err)
		}
	}
	def, err := s.Def()
	if err != nil {
		b.Fatal(err)
	}
	var records []any // id, layout, cells: made from the answers as Submit makes them
	err = StreamResponses(u.Read, s, func(r *RawResponse) error {
		key, cells, err := makeRecord(def, r)
		records = append(records, r.ID, key, cells)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	for start := 0; start < len(records); start += 3 * 300 {
		batch := records[start:min(start+3*300, len(records))]
		q := `INSERT INTO response_records (response_id, layout, cells) VALUES (?, ?, ?)`
		for range len(batch)/3 - 1 {
			q += `, (?, ?, ?)`
		}
		if err := u.Write.Exec(q, batch...).Error; err != nil {
			b.Fatal(err)
		}
	}
	started := time.Now()
	packed, err := PackRecords(u.Write, s)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("packed %d responses with unique texts in %v", packed, time.Since(started).Round(time.Millisecond))
	b.Run("unique texts", func(b *testing.B) { benchStreamCSV(b, u, s) })
}

func benchStreamCSV(b *testing.B, db *DB, s *Survey) {
	def, err := s.Def()
	if err != nil {
		b.Fatal(err)
	}
	cols := Columns(def, ResultSettings{})
	var rows [][]string
	err = StreamCSV(db.Read, s, cols, true, func(f []string) error {
		rows = append(rows, append([]string(nil), f...))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var packed int64
	if err := db.Read.Raw(`SELECT COALESCE(SUM(length(cells)), 0) FROM record_packs`).Scan(&packed).Error; err != nil {
		b.Fatal(err)
	}
	write := func(b *testing.B, each func(w *csv.Writer) error) {
		for b.Loop() {
			bw := bufio.NewWriterSize(io.Discard, 64<<10)
			w := csv.NewWriter(bw)
			w.Comma, w.UseCRLF = ';', true
			if err := each(w); err != nil {
				b.Fatal(err)
			}
			w.Flush()
		}
		b.ReportMetric(float64(len(rows))*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
	b.Run("encoding-csv", func(b *testing.B) { write(b, func(w *csv.Writer) error { return w.WriteAll(rows) }) })
	b.Run("export", func(b *testing.B) {
		write(b, func(w *csv.Writer) error { return StreamCSV(db.Read, s, cols, true, w.Write) })
		b.ReportMetric(float64(packed)/float64(len(rows)), "pack-bytes/row")
	})
}
