package models

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// benchSizes are the numbers of responses the results benchmarks run at. One million takes
// minutes to seed, so it runs only with PEILING_BENCH_LARGE=1.
func benchSizes() []int {
	sizes := []int{1_000, 10_000, 100_000}
	if os.Getenv("PEILING_BENCH_LARGE") != "" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// seededSurvey returns the reference survey with n random submitted responses, in a database
// kept between runs (seeding is not what is measured): a file in the temp folder, or a
// database on the PostgreSQL server PEILING_BENCH_POSTGRES names (dbtest.BenchDSN). The
// handlers benchmarks serve the same databases.
func seededSurvey(b *testing.B, n int) (*DB, *Survey) {
	b.Helper()
	path, fresh := dbtest.BenchDSN(b, n)
	db, err := Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	if err := SeedDefaults(db.Write); err != nil {
		b.Fatal(err)
	}
	s, err := FindSurvey(db.Read, "klantcontact-2018")
	if err != nil {
		b.Fatal(err)
	}
	if fresh {
		started := time.Now()
		if err := SeedResponses(db.Write, s, n, rand.New(rand.NewPCG(uint64(n), 1))); err != nil {
			os.Remove(path) // a half-seeded file; on PostgreSQL nothing (dropdb peiling_bench_N)
			b.Fatal(err)
		}
		b.Logf("seeded %d responses in %v", n, time.Since(started).Round(time.Millisecond))
	}
	if s.Status != StatusClosed {
		if err := CloseSurvey(db.Write, s.ID, System, time.Now().UTC()); err != nil {
			b.Fatal(err)
		}
		if s, err = FindSurvey(db.Read, s.Slug); err != nil {
			b.Fatal(err)
		}
	}
	return db, s
}

// BenchmarkCloseSurvey measures the closing transaction's work: turning the tallies into the
// stored aggregates of every breakdown.
func BenchmarkCloseSurvey(b *testing.B) {
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("%d responses", n), func(b *testing.B) {
			db, s := seededSurvey(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if err := ComputeAggregates(db.Write, s.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResults loads the report of a closed survey, overall and per breakdown.
func BenchmarkResults(b *testing.B) {
	for _, n := range benchSizes() {
		db, s := seededSurvey(b, n)
		for _, dim := range append([]string{DimAll}, Dimensions...) {
			name := dim
			if name == "" {
				name = "alle"
			}
			b.Run(fmt.Sprintf("%d responses/%s", n, name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := LoadReport(db.Read, s, dim); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
