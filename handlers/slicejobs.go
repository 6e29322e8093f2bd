package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"peiling/models"
)

// sliceJobs runs the pass after closing in the background, at most once at a time per closed
// survey: models.PackRecords, then models.PrecomputeSlices. It is started right after a survey
// closes, and again by any view that finds a slice by a question missing and by every CSV
// export (a survey closed before this existed, closed by the clock, or a process that stopped
// while counting); what is done already costs a query or two. The counts are stored slice by slice as they are finished,
// so a stopped job loses nothing that is stored, and the next view starts it again.
type sliceJobs struct {
	mu      sync.Mutex
	running map[string]*sliceJob
	// wait is how long a view waits for a running job before it says that the breakdown is
	// still being computed: long enough for a small survey's job to finish unnoticed.
	wait time.Duration
	// gate, when set (tests), holds every job until it is closed.
	gate chan struct{}
	jobs sync.WaitGroup // every job started, for a clean stop in tests
}

// errStillComputing answers a download or API call whose slices are still being counted.
var errStillComputing = errors.New("slices still being computed")

type sliceJob struct {
	done chan struct{}
	err  error
}

// defaultSliceWait is 0: a view that finds its slice still being counted says so at once,
// which keeps it within the 50 ms every results page is held to. The pass starts when the
// survey closes, so it has long finished for a survey of some thousands of responses (0.15 s
// at 10,000) by the time the researcher asks; at a million responses it takes about a minute.
const defaultSliceWait = 0

func newSliceJobs() *sliceJobs {
	return &sliceJobs{running: map[string]*sliceJob{}, wait: defaultSliceWait}
}

func jobKey(s *models.Survey) string {
	stamp := int64(0)
	if s.ClosedAt != nil {
		stamp = s.ClosedAt.UnixNano()
	}
	return fmt.Sprintf("%d@%d", s.ID, stamp)
}

// startSlices starts counting the slices of closed survey s unless that runs already, and
// returns the job.
func (h *Handler) startSlices(s *models.Survey) *sliceJob {
	j := h.slices
	j.mu.Lock()
	defer j.mu.Unlock()
	key := jobKey(s)
	if job := j.running[key]; job != nil {
		return job
	}
	job := &sliceJob{done: make(chan struct{})}
	j.running[key] = job
	gate := j.gate
	j.jobs.Add(1)
	go func() {
		defer j.jobs.Done()
		defer func() {
			j.mu.Lock()
			delete(j.running, key) // a later view starts again what is still missing
			j.mu.Unlock()
			close(job.done)
		}()
		if gate != nil {
			<-gate
		}
		started := time.Now()
		// The export's records first: a few seconds at a million responses, where the
		// slices take a minute.
		if packed, err := models.PackRecords(h.db.Write, s); err != nil {
			h.log.Error("pack export records", "survey", s.Slug, "err", err)
		} else if packed > 0 {
			h.log.Info("export records packed", "survey", s.Slug, "responses", packed, "ms", time.Since(started).Milliseconds())
		}
		started = time.Now()
		n, err := models.PrecomputeSlices(h.db.Read, h.db.Write, s)
		if err != nil {
			if !errors.Is(err, models.ErrResultsEmbargo) && !errors.Is(err, models.ErrAnswersDeleted) {
				h.log.Error("precompute slices", "survey", s.Slug, "err", err)
			}
			job.err = err
			return
		}
		if n > 0 {
			h.log.Info("slices computed", "survey", s.Slug, "slices", n, "ms", time.Since(started).Milliseconds())
		}
	}()
	return job
}

// awaitSlices waits for job up to the configured time or until ctx ends; it reports whether
// the job finished, and its error.
func (h *Handler) awaitSlices(ctx context.Context, job *sliceJob) (bool, error) {
	select {
	case <-job.done:
		return true, job.err
	default:
	}
	if h.slices.wait <= 0 {
		return false, nil
	}
	t := time.NewTimer(h.slices.wait)
	defer t.Stop()
	select {
	case <-job.done:
		return true, job.err
	case <-t.C:
	case <-ctx.Done():
	}
	return false, nil
}
