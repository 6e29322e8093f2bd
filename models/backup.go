package models

import (
	"errors"
	"fmt"
	"os"

	"gorm.io/gorm"
)

// Backup writes a consistent copy of the live database to dest with VACUUM INTO: it reads
// one snapshot, so writers carry on while it runs, and the copy has no WAL to go with it.
func Backup(db *gorm.DB, dest string) error {
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

// IntegrityCheck runs SQLite's integrity_check and returns its findings, "ok" when sound.
func IntegrityCheck(db *gorm.DB) (string, error) {
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
