package models

import (
	"crypto/rand"
	"encoding/hex"
	"errors"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Setting is one value the installation keeps for itself, such as its session key.
type Setting struct {
	Key   string `gorm:"primaryKey"`
	Value string `gorm:"not null"`
}

// SessionKey returns the installation's 64-byte session key, generating and storing it once.
func SessionKey(db *gorm.DB) ([]byte, error) {
	fresh := make([]byte, 64)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	// Insert-or-keep, so two processes starting together agree on one key.
	row := Setting{Key: "session_key", Value: hex.EncodeToString(fresh)}
	if err := db.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
		return nil, err
	}
	var stored Setting
	if err := db.Where("key = ?", "session_key").Take(&stored).Error; err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(stored.Value)
	if err != nil || len(key) != 64 {
		return nil, errors.New("stored session key is damaged")
	}
	return key, nil
}
