package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// ErrBackupPostgres is Backup's answer on PostgreSQL, whose databases "peiling backup" dumps
// with pg_dump instead.
var ErrBackupPostgres = errors.New("models.Backup copies a SQLite file; a PostgreSQL database is backed up with pg_dump (peiling backup runs it)")

// Backup writes a consistent copy of the live database to dest with VACUUM INTO: it reads
// one snapshot, so writers carry on while it runs, and the copy has no WAL to go with it.
//
// On PostgreSQL it returns ErrBackupPostgres: a server's database is backed up with pg_dump.
func Backup(db *gorm.DB, dest string) error {
	if dialectOf(db).postgres() {
		return ErrBackupPostgres
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup %s: the file exists; choose a new name", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup %s: %w", dest, err)
	}
	if err := db.Exec("VACUUM INTO ?", dest).Error; err != nil {
		_ = os.Remove(dest) // never leave a half-written copy that looks like a backup
		return fmt.Errorf("backup to %s: %w", dest, err)
	}
	return nil
}

// BackupFile writes a consistent copy of the SQLite file at path to dest, as Backup does, but
// through a connection of its own that neither creates nor migrates the file: a backup taken
// before an upgrade (with the new binary) must hold the schema of before.
func BackupFile(path, dest string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	db, err := gorm.Open(sqlite.Open("file:"+url.PathEscape(path)+"?mode=rw&_pragma=busy_timeout(5000)"), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", path, err)
	}
	conn, err := db.DB()
	if err != nil {
		return err
	}
	defer conn.Close()
	return Backup(db, dest)
}

// PostgresVersion connects to the PostgreSQL database at dsn, without migrating it, and
// returns the server's major version (15 for 15.18) and its version text.
func PostgresVersion(ctx context.Context, dsn string) (int, string, error) {
	db, err := gorm.Open(postgres.Open(dsn), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return 0, "", fmt.Errorf("connect to %s: %w", Redacted(dsn), err)
	}
	conn, err := db.DB()
	if err != nil {
		return 0, "", err
	}
	defer conn.Close()
	var num, text string
	if err := db.WithContext(ctx).Raw("SELECT current_setting('server_version_num'), current_setting('server_version')").Row().Scan(&num, &text); err != nil {
		return 0, "", fmt.Errorf("ask %s for its version: %w", Redacted(dsn), err)
	}
	n, err := strconv.Atoi(num)
	if err != nil {
		return 0, "", fmt.Errorf("server_version_num %q: %w", num, err)
	}
	return n / 10000, text, nil
}

// IntegrityCheck runs SQLite's integrity_check and returns its findings, "ok" when sound. On
// PostgreSQL, which has no such check built in (amcheck is an extension), it only asks the
// server for an answer and returns "ok" when it gets one.
func IntegrityCheck(db *gorm.DB) (string, error) {
	if dialectOf(db).postgres() {
		var one int
		if err := db.Raw("SELECT 1").Scan(&one).Error; err != nil {
			return "", err
		}
		return "ok", nil
	}
	var rows []string
	if err := db.Raw("PRAGMA integrity_check").Scan(&rows).Error; err != nil {
		return "", err
	}
	if len(rows) == 0 {
		return "", errors.New("integrity_check returned nothing")
	}
	out := rows[0]
	for _, r := range rows[1:] {
		out += "; " + r
	}
	return out, nil
}
