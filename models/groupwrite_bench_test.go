package models

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"
)

// BenchmarkConcurrentSubmit sends complete drafts to Submit from N goroutines at once, each
// through the group writer as the respond handler does, on a SQLite file with
// synchronous=FULL. Beside the submits it measures the disk's own flush rate in the same
// directory (4 KB writes through O_DSYNC, before and after the submits), so the result reads
// as a ratio that the machine's mood does not move much:
//
//	submits/s      the submits acknowledged per second
//	flushes/s      what the disk manages on its own, one O_DSYNC write after another
//	submits/flush  submits/s ÷ flushes/s: above 1 only because a group shares one flush
//	submits/group  how many submits one commit carried on average
//
// Run it with -benchtime Nx (N submits; every 380 of them take another copy of the survey,
// as a municipality answers once).
func BenchmarkConcurrentSubmit(b *testing.B) {
	for _, parallel := range []int{1, 8, 50} {
		b.Run(fmt.Sprintf("%d parallel", parallel), func(b *testing.B) {
			dir := b.TempDir()
			db, err := Open(filepath.Join(dir, "submit.db"), slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			if err := SeedDefaults(db.Write); err != nil {
				b.Fatal(err)
			}
			drafts := benchDrafts(b, db, b.N)
			before := diskFlushRate(b, dir, 500*time.Millisecond)

			groups := db.group.groups.Load()
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			started := time.Now()
			for range parallel {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := int(next.Add(1)) - 1
						if i >= len(drafts) {
							return
						}
						d := drafts[i]
						if err := db.GroupWrite(context.Background(), func(tx *gorm.DB) error {
							return Submit(tx, d.survey, d.response, NewToken(), "nl")
						}); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(started)
			b.StopTimer()
			groups = db.group.groups.Load() - groups
			after := diskFlushRate(b, dir, 500*time.Millisecond)

			var submitted int64
			if err := db.Read.Model(&Response{}).Where("status = ?", ResponseSubmitted).Count(&submitted).Error; err != nil || submitted != int64(b.N) {
				b.Fatalf("%d submitted of %d (%v)", submitted, b.N, err)
			}
			rate, flushes := float64(b.N)/elapsed.Seconds(), (before+after)/2
			b.ReportMetric(rate, "submits/s")
			b.ReportMetric(flushes, "flushes/s")
			b.ReportMetric(rate/flushes, "submits/flush")
			b.ReportMetric(float64(b.N)/float64(groups), "submits/group")
			b.Logf("disk flushes/s before %.0f, after %.0f", before, after)
		})
	}
}

type benchDraft struct {
	survey   *Survey
	response *Response
}

// benchDrafts makes n complete drafts, each for a municipality of its own: 380 per copy of
// the reference survey, all in one transaction (preparing them is not what is measured).
func benchDrafts(b *testing.B, db *DB, n int) []benchDraft {
	b.Helper()
	ref, err := ReferenceSurvey()
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(uint64(n), 2))
	var out []benchDraft
	err = db.Write.Transaction(func(tx *gorm.DB) error {
		for copyN := 1; len(out) < n; copyN++ {
			src := strings.Replace(string(ref), "slug: klantcontact-2018", fmt.Sprintf("slug: submit-%d", copyN), 1)
			def, err := ParseDefinition("bench", []byte(src))
			if err != nil {
				return err
			}
			s, err := ImportSurvey(tx, def, StatusOpen)
			if err != nil {
				return err
			}
			var list []Municipality
			if err := tx.Where("register = ?", s.Register).Order("code").Find(&list).Error; err != nil {
				return err
			}
			for i := 0; i < len(list) && len(out) < n; i++ {
				r, _, err := StartDraft(tx, s, "nl")
				if err != nil {
					return err
				}
				answers := RandomAnswers(def, &list[i], rng)
				for si, sec := range def.Sections {
					var mine []Answer
					for _, a := range answers {
						for _, q := range sec.Questions {
							if q.Code == a.Question {
								mine = append(mine, a)
							}
						}
					}
					if err := SaveSection(tx, s, r, si, mine); err != nil {
						return fmt.Errorf("draft %d section %d: %w", i, si, err)
					}
				}
				out = append(out, benchDraft{s, r})
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// diskFlushRate writes 4 KB again and again for d, each write through O_DSYNC (on disk
// before it returns), over one block of a file in dir, and returns the writes per second.
func diskFlushRate(b *testing.B, dir string, d time.Duration) float64 {
	b.Helper()
	f, err := os.OpenFile(filepath.Join(dir, "flush-probe"), os.O_CREATE|os.O_WRONLY|syscall.O_DSYNC, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	block := make([]byte, 4096)
	if _, err := f.WriteAt(block, 0); err != nil {
		b.Fatal(err)
	}
	started, n := time.Now(), 0
	for ; time.Since(started) < d; n++ {
		block[0] = byte(n)
		if _, err := f.WriteAt(block, 0); err != nil {
			b.Fatal(err)
		}
	}
	return float64(n) / time.Since(started).Seconds()
}
