package models

import (
	"errors"
	"fmt"
	"os"

	"gorm.io/gorm"
)

// ErrBackupPostgres is Backup's answer on PostgreSQL.
var ErrBackupPostgres = errors.New("peiling backup copies a SQLite file; back up a PostgreSQL database with pg_dump (pg_dump -Fc -f peiling.dump URL)")

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
