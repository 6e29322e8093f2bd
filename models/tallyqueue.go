package models

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"gorm.io/gorm"
)

// tallyEvery is how often the background pass looks for submitted responses queued for the
// tallies (Untallied). A close adds whatever is still queued, so this only keeps the queue,
// and with it the close, short.
const tallyEvery = 250 * time.Millisecond

// tallier adds the queue of untallied responses to the tallies in the background.
type tallier struct {
	once       sync.Once
	stop, done chan struct{}
}

// TallyInBackground runs the background pass until d closes: the server does; the commands
// that open the database for a moment (copy-db, backup, user, purge) need not.
func (d *DB) TallyInBackground(log *slog.Logger) {
	d.tallier = &tallier{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(d.tallier.done)
		tick := time.NewTicker(tallyEvery)
		defer tick.Stop()
		for {
			select {
			case <-d.tallier.stop:
				return
			case <-tick.C:
				if err := d.tallyQueued(context.Background()); err != nil {
					log.Warn("tally the queued responses", "err", err) // they stay queued: the next pass or the close adds them
				}
			}
		}
	}()
}

// stopTallier ends the background pass and waits for it.
func (d *DB) stopTallier() {
	if d.tallier != nil {
		d.tallier.once.Do(func() { close(d.tallier.stop) })
		<-d.tallier.done
	}
}

// tallyQueued adds a batch of each survey's queued responses to its tallies, each survey's
// batch as a write of the group writer: in turn with the respondents' writes, and with those
// of every other instance on the same database.
func (d *DB) tallyQueued(ctx context.Context) error {
	var surveys []uint
	if err := d.Read.WithContext(ctx).Raw(`SELECT DISTINCT survey_id FROM untallied`).Scan(&surveys).Error; err != nil {
		return err
	}
	for _, id := range surveys {
		if err := d.GroupWrite(ctx, func(tx *gorm.DB) error {
			_, err := catchUpTallies(tx, id, tallyBatch)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}
