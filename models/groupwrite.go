package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"gorm.io/gorm"
)

// Group write. With synchronous=FULL every commit waits for the disk to flush (about a
// millisecond here), and SQLite has one writer, so one commit per request caps the whole
// server at the disk's flush rate. The group writer runs the writes of all requests that are
// waiting in one transaction, each between its own SAVEPOINT and RELEASE, and commits them
// with one flush; only then does any of them hear that it succeeded. A write that fails rolls
// back to its savepoint and leaves the others alone; a commit that fails fails every write.
//
// SQLite quirk: on SQLITE_FULL, SQLITE_IOERR or SQLITE_NOMEM it may roll back the whole
// transaction, savepoints included, in the middle of a write. gorm's nested Transaction
// ignores the ROLLBACK TO that then fails, and its next SAVEPOINT silently begins a new
// transaction, so the writes before the failure would be lost while COMMIT succeeds. The
// group writer therefore sets and releases its savepoints itself: when a ROLLBACK TO or
// RELEASE of its own savepoint fails, the transaction it began is gone, and every write of
// the group fails.

// maxGroup bounds one group, so a burst cannot hold the write lock for long.
const maxGroup = 64

type write struct {
	ctx  context.Context
	fn   func(tx *gorm.DB) error
	done chan error
}

type groupWriter struct {
	once    sync.Once
	db      *gorm.DB
	writes  chan *write
	stop    chan struct{}
	stopped chan struct{}
	groups  atomic.Int64 // groups run, for tests
}

func newGroupWriter(db *gorm.DB) *groupWriter {
	g := &groupWriter{db: db, writes: make(chan *write), stop: make(chan struct{}), stopped: make(chan struct{})}
	go g.run()
	return g
}

// GroupWrite runs fn in a transaction that is committed, durably, before GroupWrite returns
// nil. fn runs in the same transaction as other requests' writes, after theirs, between a
// savepoint of its own. An error from fn rolls back fn's changes only. ErrNotStored means
// nothing of fn is stored: the group failed (full disk, I/O error, lost transaction, failed
// commit) or fn failed on storage itself.
//
// A write function must:
//   - use only tx. Touching DB.Write deadlocks (the group holds the one write connection), and
//     calling GroupWrite from fn deadlocks too; either would also escape the group.
//   - not take a request's context into tx (tx.WithContext(c.Request().Context())): tx runs on
//     the group writer's own context, because one request that gives up must not abort the
//     others' transaction. A request whose ctx is done before its turn only fails its own
//     write; once fn ran, GroupWrite waits for the group's outcome whatever ctx does.
//   - return every error it gets from tx. A swallowed error is still caught (the group fails
//     when its savepoint is gone), but it costs the whole group.
//   - keep no state outside tx that it assumes committed (a cache, a counter, a mail sent):
//     the group can still fail after fn returned nil. Changes to the caller's own values,
//     such as SaveSection raising r.Reached, are fine when the caller drops them on error.
//
// fn may nest db.Transaction (SaveSection and Submit do); that becomes a gorm savepoint
// inside the write's own one.
func (d *DB) GroupWrite(ctx context.Context, fn func(tx *gorm.DB) error) error {
	w := &write{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case d.group.writes <- w:
	case <-d.group.stop:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-w.done // even when ctx ends now: the write may already be committed
}

func (g *groupWriter) run() {
	defer close(g.stopped)
	group := make([]*write, 0, maxGroup)
	for {
		select {
		case w := <-g.writes:
			group = append(group[:0], w)
		case <-g.stop:
			return
		}
	gather: // whoever is waiting now joins this group; nobody waits for a group to fill
		for len(group) < maxGroup {
			select {
			case w := <-g.writes:
				group = append(group, w)
			default:
				break gather
			}
		}
		g.writeGroup(group)
	}
}

// writeGroup runs one group in one transaction and tells each write its outcome.
func (g *groupWriter) writeGroup(group []*write) {
	g.groups.Add(1)
	errs, err := g.transaction(group)
	for i, w := range group {
		switch {
		case err != nil && !isContextErr(errs[i]):
			errs[i] = err // whatever it did, nothing of it is stored
		case errs[i] != nil && storageFailure(errs[i]):
			errs[i] = fmt.Errorf("%w: %w", ErrNotStored, errs[i])
		}
		w.done <- errs[i]
	}
}

// transaction runs group on one connection of its own, so that whatever state a failure
// leaves the connection in, it is cleaned up on that same connection before anybody else
// gets it. errs holds each write's own outcome; err, wrapping ErrNotStored, is set when
// nothing of the group is stored.
func (g *groupWriter) transaction(group []*write) (errs []error, err error) {
	errs = make([]error, len(group))
	ctx := context.Background() // the group's own: no request can abort it
	sqlDB, err := g.db.DB()
	if err != nil {
		return errs, fmt.Errorf("%w: %w", ErrNotStored, err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return errs, fmt.Errorf("%w: get write connection: %w", ErrNotStored, err)
	}
	defer conn.Close()
	sqlTx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE (_txlock in the DSN)
	if err != nil {
		reset(ctx, conn)
		return errs, fmt.Errorf("%w: begin: %w", ErrNotStored, err)
	}
	if lock := dialectOf(g.db).writeLock; lock != "" {
		if _, err := sqlTx.ExecContext(ctx, lock); err != nil {
			_ = sqlTx.Rollback()
			reset(ctx, conn)
			return errs, fmt.Errorf("%w: take the write lock: %w", ErrNotStored, err)
		}
	}
	tx := g.db.Session(&gorm.Session{NewDB: true, Context: ctx})
	tx.Statement.ConnPool = sqlTx // as gorm's Begin does; nested Transactions see a TxCommitter
	for i, w := range group {
		if errs[i] = w.ctx.Err(); errs[i] != nil {
			continue // its request gave up before its turn
		}
		var lost error
		errs[i], lost = savepoint(tx, fmt.Sprintf("groupwrite_%d", i), w.fn)
		if lost != nil {
			_ = sqlTx.Rollback() // whatever SQLite left open, a transaction the writes began included
			reset(ctx, conn)
			return errs, fmt.Errorf("%w: transaction lost at write %d of %d: %w", ErrNotStored, i+1, len(group), errors.Join(errs[i], lost))
		}
	}
	if err := sqlTx.Commit(); err != nil {
		reset(ctx, conn) // a failed COMMIT may leave the transaction open (SQLITE_BUSY)
		return errs, fmt.Errorf("%w: commit: %w", ErrNotStored, err)
	}
	return errs, nil
}

// savepoint runs fn between SAVEPOINT name and RELEASE name, rolling back to it when fn fails
// or panics. The RELEASE also drops the savepoints that gorm's nested Transactions in fn set
// and never release, so none pile up over a group. lost is set when the savepoint could not be set, rolled back to or released: the
// transaction it was set in is no longer there (or no longer trustworthy).
//
// A write that lost a deadlock (PostgreSQL, with groups of several instances locking the same
// rows in different orders) runs again: the ROLLBACK TO released the locks it took, so the
// other group goes on, and the write waits its turn instead of failing.
func savepoint(tx *gorm.DB, name string, fn func(*gorm.DB) error) (err, lost error) {
	if _, lost := exec(tx, "SAVEPOINT "+name); lost != nil {
		return nil, fmt.Errorf("savepoint: %w", lost)
	}
	for attempt := 1; ; attempt++ {
		err = call(tx.Session(&gorm.Session{NewDB: true}), fn)
		if err == nil {
			break
		}
		if _, lost := exec(tx, "ROLLBACK TO "+name); lost != nil {
			return err, fmt.Errorf("rollback to savepoint: %w", lost)
		}
		if attempt == maxWriteAttempts || !lostADeadlock(err) {
			break
		}
	}
	if _, lost := exec(tx, "RELEASE "+name); lost != nil {
		return err, fmt.Errorf("release savepoint: %w", lost)
	}
	return err, nil
}

// maxWriteAttempts bounds how often a write that lost a deadlock runs again.
const maxWriteAttempts = 3

// lostADeadlock reports whether err says the database broke a deadlock by failing this
// write's statement (SQLSTATE 40P01), or failed it to keep transactions serializable (40001).
func lostADeadlock(err error) bool {
	code, ok := postgresCode(err)
	return ok && (code == "40P01" || code == "40001")
}

// call runs fn; a panic in fn becomes its error instead of stopping every later write.
func call(tx *gorm.DB, fn func(*gorm.DB) error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("write panicked: %v", p)
		}
	}()
	return fn(tx)
}

// reset leaves conn outside any transaction, or closes it. SQLite refuses ROLLBACK when no
// transaction is active; BEGIN then succeeds, which tells the two cases apart without reading
// error texts.
func reset(ctx context.Context, conn *sql.Conn) {
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err == nil {
		return
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err == nil {
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err == nil {
			return
		}
	}
	_ = conn.Raw(func(any) error { return driver.ErrBadConn }) // database/sql closes it
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// close lets the running group finish and refuses new writes.
func (g *groupWriter) close() {
	g.once.Do(func() { close(g.stop) })
	<-g.stopped
}
