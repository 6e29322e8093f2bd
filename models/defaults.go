package models

import (
	"bytes"
	"embed"
	"fmt"

	"gorm.io/gorm"
)

// Embedded defaults: the municipality registers from ../shared/data (Bron: CBS; CC BY 4.0,
// see data/SOURCES.md) and the reference survey.
//
//go:embed data/*.csv data/*.yaml
var defaults embed.FS

// DefaultRegisters maps register keys to the embedded CSV files.
var DefaultRegisters = map[string]string{
	"2017": "data/gemeenten-2017.csv",
	"2018": "data/gemeenten-2018.csv",
	"2025": "data/gemeenten-current.csv",
}

// ReferenceSurveyFile is the embedded definition of the reference survey, ReferenceSlug its slug.
const (
	ReferenceSurveyFile = "data/klantcontact-2018.yaml"
	ReferenceSlug       = "klantcontact-2018"
)

// ReferenceSurvey returns the embedded reference definition and its file name.
func ReferenceSurvey() ([]byte, error) { return defaults.ReadFile(ReferenceSurveyFile) }

// SeedDefaults loads the embedded registers that are missing and, on a database without
// surveys, the reference survey, open. It runs on every start and changes nothing the second
// time. Instances that start together on a new database seed it one after the other, in one
// transaction under the migration's lock, so the later ones find the first one's rows.
func SeedDefaults(db *gorm.DB) error {
	return db.Transaction(func(tx *gorm.DB) error {
		if lock := dialectOf(tx).migrationLock; lock != "" {
			if err := tx.Exec(lock).Error; err != nil {
				return err
			}
		}
		return seedDefaults(tx)
	})
}

func seedDefaults(db *gorm.DB) error {
	have, err := RegisterNames(db)
	if err != nil {
		return err
	}
	for key, file := range DefaultRegisters {
		if have[key] > 0 {
			continue
		}
		data, err := defaults.ReadFile(file)
		if err != nil {
			return err
		}
		list, err := ReadRegisterCSV(file, bytes.NewReader(data))
		if err != nil {
			return err
		}
		if err := LoadRegister(db, key, list); err != nil {
			return fmt.Errorf("load register %s: %w", key, err)
		}
	}
	var surveys int64
	if err := db.Model(&Survey{}).Count(&surveys).Error; err != nil || surveys > 0 {
		return err
	}
	data, err := ReferenceSurvey()
	if err != nil {
		return err
	}
	def, err := ParseDefinition(ReferenceSurveyFile, data)
	if err != nil {
		return err
	}
	_, err = ImportSurvey(db, def, StatusOpen)
	return err
}
