package models

import (
	"time"

	"gorm.io/gorm"
)

// Preview holds one visitor's answers in a survey's preview (handlers/preview.go): never a
// response, never counted, gone PreviewLifetime after its last save. It lives in the database
// rather than in a process so that a preview goes on whichever instance serves the next page.
type Preview struct {
	Key       string    `gorm:"primaryKey"` // SHA-256 of the id in the visitor's session
	Data      string    `gorm:"not null"`   // the answers, as the handlers write them
	Size      int       `gorm:"not null"`   // len(Data)
	TouchedAt time.Time `gorm:"not null;index"`
}

// PreviewLifetime is how long a preview's answers are kept after their last save.
const PreviewLifetime = 8 * time.Hour

// Bounds on all previews together: a shared preview link lets anyone save answers.
const (
	MaxPreviews     = 2000
	MaxPreviewBytes = 32 << 20
)

// LoadPreview returns the data of preview id as saved last, or ErrNotFound when there is none
// or it is older than PreviewLifetime at at.
func LoadPreview(db *gorm.DB, id string, at time.Time) (string, error) {
	var p Preview
	err := db.Where("key = ? AND touched_at > ?", HashToken(id), at.UTC().Add(-PreviewLifetime)).Take(&p).Error
	if err != nil {
		return "", notFound(err)
	}
	return p.Data, nil
}

// SavePreview stores data as preview id at at, and then drops the previews touched longest
// ago beyond MaxPreviews or MaxPreviewBytes, other than this one.
func SavePreview(db *gorm.DB, id, data string, at time.Time) error {
	key := HashToken(id)
	err := db.Exec(`INSERT INTO previews (key, data, size, touched_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET data = excluded.data, size = excluded.size, touched_at = excluded.touched_at`,
		key, data, len(data), at.UTC()).Error
	if err != nil {
		return err
	}
	return db.Exec(`DELETE FROM previews WHERE key <> ? AND key IN (SELECT key FROM (
			SELECT key, ROW_NUMBER() OVER w AS n, SUM(size) OVER w AS upto FROM previews
			WINDOW w AS (ORDER BY touched_at DESC, key)) AS newest
		WHERE n > ? OR upto > ?)`, key, MaxPreviews, MaxPreviewBytes).Error
}

// DeletePreview removes preview id.
func DeletePreview(db *gorm.DB, id string) error {
	return db.Where("key = ?", HashToken(id)).Delete(&Preview{}).Error
}

// PrunePreviews removes the previews older than PreviewLifetime at at and returns how many.
func PrunePreviews(db *gorm.DB, at time.Time) (int64, error) {
	res := db.Where("touched_at <= ?", at.UTC().Add(-PreviewLifetime)).Delete(&Preview{})
	return res.RowsAffected, res.Error
}
