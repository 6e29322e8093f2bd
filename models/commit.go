package models

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Group commit. With synchronous=FULL every commit waits for the disk to flush (about a
// millisecond here), and SQLite has one writer, so one commit per request caps the whole
// server at the disk's flush rate. The committer runs the writes of all requests that are
// waiting in one transaction, each in its own savepoint, and commits them with one flush;
// only then does any of them hear that it succeeded. A write that fails rolls back to its
// savepoint and leaves the others alone; a commit that fails fails every write in it.

// maxGroup bounds one group, so a burst cannot hold the write lock for long.
const maxGroup = 64

// ErrClosed is returned for writes offered after the database began to close.
var ErrClosed = errors.New("database is closing")

type write struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

type committer struct {
	once    sync.Once
	db      *gorm.DB
	writes  chan *write
	stop    chan struct{}
	stopped chan struct{}
	groups  atomic.Int64 // groups run, for tests
}

func newCommitter(db *gorm.DB) *committer {
	c := &committer{db: db, writes: make(chan *write), stop: make(chan struct{}), stopped: make(chan struct{})}
	go c.run()
	return c
}

// Commit runs fn in a transaction that is committed, durably, before Commit returns nil.
// fn may run in the same transaction as other requests' writes, so it must use only tx and
// must not call Commit itself.
func (d *DB) Commit(ctx context.Context, fn func(tx *gorm.DB) error) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case d.commits.writes <- w:
	case <-d.commits.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-w.done // even when ctx ends now: the write may already be committed
}

func (c *committer) run() {
	defer close(c.stopped)
	group := make([]*write, 0, maxGroup)
	for {
		select {
		case w := <-c.writes:
			group = append(group[:0], w)
		case <-c.stop:
			return
		}
	gather: // whoever is waiting now joins this group; nobody waits for a group to fill
		for len(group) < maxGroup {
			select {
			case w := <-c.writes:
				group = append(group, w)
			default:
				break gather
			}
		}
		c.commit(group)
	}
}

func (c *committer) commit(group []*write) {
	errs := make([]error, len(group))
	c.groups.Add(1)
	err := c.db.Transaction(func(tx *gorm.DB) error {
		for i, w := range group {
			errs[i] = w.ctx.Err()
			if errs[i] == nil {
				errs[i] = savepoint(tx, w.fn)
			}
		}
		return nil
	})
	for i, w := range group {
		if errs[i] == nil {
			errs[i] = err
		}
		w.done <- errs[i]
	}
}

// savepoint runs fn nested in tx: gorm wraps it in a savepoint and rolls back to it when fn
// fails. A panic in fn becomes its error instead of stopping every later write.
func savepoint(tx *gorm.DB, fn func(*gorm.DB) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return tx.Transaction(fn)
}

// close lets the running group finish and refuses new writes.
func (c *committer) close() {
	c.once.Do(func() { close(c.stop) })
	<-c.stopped
}
