package models

import (
	"time"

	"gorm.io/gorm"
)

// FailureCount counts failed attempts of one kind from one source (wrong links from an
// address, wrong passwords for an account, resume mails of a draft) until it expires. The
// limits on guessing are kept in the database, not in a process, so that they hold across
// every instance serving the database. Rows live until PruneFailures removes them after
// their expiry.
type FailureCount struct {
	// Key is the SHA-256 of the kind and the source: the table holds no address or e-mail
	// address, and a key of any length fits.
	Key       string    `gorm:"primaryKey"`
	N         int       `gorm:"not null"`
	FirstAt   time.Time `gorm:"not null"`
	LastAt    time.Time `gorm:"not null"`
	ExpiresAt time.Time `gorm:"not null;index"`
}

func failureKey(kind, source string) string { return HashToken(kind + "\x00" + source) }

// Failures returns the count of kind for source; the zero count when there is none. A count
// whose ExpiresAt has passed is no count any more, even before it is pruned.
func Failures(db *gorm.DB, kind, source string) (FailureCount, error) {
	var f FailureCount
	err := db.Where("key = ?", failureKey(kind, source)).Limit(1).Find(&f).Error
	return f, err
}

// CountFailureInWindow adds one failure of kind from source at at to a count that expires
// window after its first failure; an expired count starts again at one.
func CountFailureInWindow(db *gorm.DB, kind, source string, at time.Time, window time.Duration) error {
	return countFailure(db, kind, source, at, at.Add(window), false)
}

// CountFailureSinceLast adds one failure of kind from source at at to a count that expires
// forget after its latest failure; an expired count starts again at one.
func CountFailureSinceLast(db *gorm.DB, kind, source string, at time.Time, forget time.Duration) error {
	return countFailure(db, kind, source, at, at.Add(forget), true)
}

// countFailure adds one to the count in one statement, so that failures counted at the same
// moment by several instances all count. slide moves a running count's expiry to expires;
// otherwise it keeps the one its first failure set.
func countFailure(db *gorm.DB, kind, source string, at, expires time.Time, slide bool) error {
	at, expires = at.UTC(), expires.UTC()
	return db.Exec(`INSERT INTO failure_counts (key, n, first_at, last_at, expires_at) VALUES (?, 1, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET
			n = CASE WHEN failure_counts.expires_at <= excluded.last_at THEN 1 ELSE failure_counts.n + 1 END,
			first_at = CASE WHEN failure_counts.expires_at <= excluded.last_at THEN excluded.first_at ELSE failure_counts.first_at END,
			expires_at = CASE WHEN ? OR failure_counts.expires_at <= excluded.last_at THEN excluded.expires_at ELSE failure_counts.expires_at END,
			last_at = excluded.last_at`,
		failureKey(kind, source), at, at, expires, slide).Error
}

// ForgetFailures removes the count of kind for source.
func ForgetFailures(db *gorm.DB, kind, source string) error {
	return db.Where("key = ?", failureKey(kind, source)).Delete(&FailureCount{}).Error
}

// PruneFailures removes the counts that expired at or before at and returns how many.
func PruneFailures(db *gorm.DB, at time.Time) (int64, error) {
	res := db.Where("expires_at <= ?", at.UTC()).Delete(&FailureCount{})
	return res.RowsAffected, res.Error
}
