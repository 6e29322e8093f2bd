package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// DB holds the two pools on one database: SQLite has a single writer, so all writes go
// through one connection (no SQLITE_BUSY between our own writers), reads use several. On
// PostgreSQL the pools have the same shape, so one instance behaves as on SQLite: writes in
// one process still take turns. Between several instances on one database, row locks
// (dialect.lockRows), leases and counts in the database keep the rules; see "Several
// instances" in docs/deployment.md.
type DB struct {
	Write *gorm.DB
	Read  *gorm.DB

	group   *groupWriter // respondents' writes, grouped into one transaction on Write (groupwrite.go)
	tallier *tallier     // adds the submitted responses queued for the tallies, when serving (tallyqueue.go)
}

// Open opens the database dsn names and migrates it: a PostgreSQL database for a
// postgres:// or postgresql:// URL (IsPostgres), else the SQLite file at that path, created
// if missing.
func Open(dsn string, log *slog.Logger) (*DB, error) {
	if IsPostgres(dsn) {
		return openPostgres(dsn, log)
	}
	return openSQLite(dsn, log)
}

// openSQLite opens (and creates) the SQLite file at path and migrates it.
//
// synchronous=FULL: an acknowledged answer must survive a process kill and a power loss;
// NORMAL in WAL mode survives the first but may lose the last commits on the second.
func openSQLite(path string, log *slog.Logger) (*DB, error) {
	// _time_format=sqlite: times are written as "2006-01-02 15:04:05.999999999-07:00", as
	// the driver this project used before wrote them, so stored times still compare as text.
	pragmas := "_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)&_time_format=sqlite"
	base := "file:" + url.PathEscape(path) + "?" + pragmas
	// secure_delete: what a delete frees is overwritten with zeros, so data deleted under a
	// retention setting does not linger in free space of the file (retention.go).
	writer, err := sqliteDialector(base + "&_pragma=secure_delete(1)&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	reader, err := sqliteDialector(base + "&_pragma=query_only(1)")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return openPools(path, writer, reader, log)
}

// openPools opens the two pools of every backend: one write connection, which the group
// writer and the researchers' writes take turns on, and a read pool of eight that refuses
// writes. where names the database in errors and logs (never a password).
func openPools(where string, writer, reader gorm.Dialector, log *slog.Logger) (*DB, error) {
	cfg := &gorm.Config{TranslateError: true, Logger: logger.Discard}
	write, err := gorm.Open(writer, cfg)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", where, err)
	}
	wsql, err := write.DB()
	if err != nil {
		return nil, err
	}
	wsql.SetMaxOpenConns(1)
	wsql.SetConnMaxIdleTime(0)

	if err := Migrate(write); err != nil {
		wsql.Close()
		return nil, fmt.Errorf("migrate %s: %w", where, err)
	}

	read, err := gorm.Open(reader, cfg)
	if err != nil {
		wsql.Close()
		return nil, fmt.Errorf("open %s for reading: %w", where, err)
	}
	rsql, err := read.DB()
	if err != nil {
		wsql.Close()
		return nil, err
	}
	rsql.SetMaxOpenConns(8)
	// database/sql keeps 2 idle connections by default: under load the other six were closed
	// and reopened (file, schema, pragmas) again and again.
	rsql.SetMaxIdleConns(8)
	log.Debug("database open", "where", where)
	return &DB{Write: write, Read: read, group: newGroupWriter(write)}, nil
}

// Ping reports whether both pools answer.
func (d *DB) Ping(ctx context.Context) error {
	var one int
	if err := d.Read.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error; err != nil {
		return err
	}
	return d.Write.WithContext(ctx).Raw("SELECT 1").Scan(&one).Error
}

// Close checkpoints the WAL (on SQLite) and closes both pools.
func (d *DB) Close() error {
	d.stopTallier() // before the group writer it writes through
	d.group.close()
	var errs []error
	if rsql, err := d.Read.DB(); err == nil {
		errs = append(errs, rsql.Close())
	}
	if wsql, err := d.Write.DB(); err == nil {
		if !dialectOf(d.Write).postgres() {
			errs = append(errs, d.Write.Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error)
		}
		errs = append(errs, wsql.Close())
	}
	return errors.Join(errs...)
}

// now is the clock of record; time is stored in UTC.
func now() time.Time { return time.Now().UTC() }
