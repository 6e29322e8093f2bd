package models

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// ErrBadLogin is a wrong e-mail address or password; callers never learn which.
var ErrBadLogin = errors.New("wrong e-mail address or password")

// MinPasswordLength follows NIST SP 800-63B for memorised secrets chosen by the user.
const MinPasswordLength = 12

// Researcher is an account that runs surveys and, after closing, reads their results.
type Researcher struct {
	ID           uint   `gorm:"primaryKey"`
	Email        string `gorm:"not null;uniqueIndex"`
	PasswordHash string `gorm:"not null"`
	CreatedAt    time.Time
	LastLoginAt  *time.Time
	// SessionVersion is carried in every session cookie of this account; raising it (logout,
	// a new password) ends all those sessions at once, on every device.
	SessionVersion int `gorm:"not null;default:1"`
}

// NormaliseEmail lower-cases and checks an address.
func NormaliseEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email {
		return "", fmt.Errorf("%q is not an e-mail address", email)
	}
	return email, nil
}

// MaxPasswordBytes is where bcrypt stops reading.
const MaxPasswordBytes = 72

// CheckPassword applies the password rules: at least MinPasswordLength characters and at
// most MaxPasswordBytes bytes.
func CheckPassword(password string) error {
	if len([]rune(password)) < MinPasswordLength || len(password) > MaxPasswordBytes {
		return fmt.Errorf("%w: use %d characters or more, at most %d bytes", ErrPasswordLength, MinPasswordLength, MaxPasswordBytes)
	}
	return nil
}

// How saveResearcher treats an existing or missing account.
const (
	createOnly = iota
	updateOnly
	createOrUpdate
)

// SetResearcher creates the account for email, or sets its password if it is another one,
// as the system (start-up from the environment, tests).
func SetResearcher(db *gorm.DB, email, password string) (*Researcher, error) {
	return saveResearcher(db, email, password, System, createOrUpdate)
}

// AddResearcher creates an account; an existing address gives ErrResearcherExists.
func AddResearcher(db *gorm.DB, email, password string, who Actor) (*Researcher, error) {
	return saveResearcher(db, email, password, who, createOnly)
}

// SetPassword sets the password of an existing account; a missing one gives ErrNotFound.
func SetPassword(db *gorm.DB, email, password string, who Actor) (*Researcher, error) {
	return saveResearcher(db, email, password, who, updateOnly)
}

func saveResearcher(db *gorm.DB, email, password string, who Actor, mode int) (*Researcher, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return nil, err
	}
	if err := CheckPassword(password); err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	var r Researcher
	err = db.Transaction(func(tx *gorm.DB) error {
		err := tx.Where("email = ?", email).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			if mode == updateOnly {
				return ErrNotFound
			}
			return createResearcher(tx, &r, email, string(hash), who)
		}
		if err != nil {
			return err
		}
		if mode == createOnly {
			return ErrResearcherExists
		}
		if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) == nil {
			return nil // the same password again (every start with PEILING_ADMIN_PASSWORD): nothing to record
		}
		// A new password ends every session: whoever knew the old one is logged out too.
		err = tx.Model(&r).Updates(map[string]any{"password_hash": string(hash), "session_version": gorm.Expr("session_version + 1")}).Error
		if err != nil {
			return err
		}
		return audit(tx, who, now(), ActionPasswordSet, nil, r.Email, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("save researcher: %w", err)
	}
	return &r, nil
}

func createResearcher(tx *gorm.DB, r *Researcher, email, hash string, who Actor) error {
	*r = Researcher{Email: email, PasswordHash: hash, SessionVersion: 1}
	err := tx.Create(r).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return ErrResearcherExists
	}
	if err != nil {
		return err
	}
	if who.Name == "" { // the new researcher made the account themselves (setup link)
		who = By(r)
	}
	return audit(tx, who, now(), ActionResearcherCreated, nil, r.Email, nil)
}

// dummyHash makes a login for an unknown address cost as much as one for a known address.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("peiling-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate returns the researcher with this address and password.
func Authenticate(db *gorm.DB, email, password string) (*Researcher, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var r Researcher
	err := db.Where("email = ?", email).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, ErrBadLogin
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(r.PasswordHash), []byte(password)) != nil {
		return nil, ErrBadLogin
	}
	t := now()
	r.LastLoginAt = &t
	return &r, nil
}

// RecordLogin stores the time of a successful login.
func RecordLogin(db *gorm.DB, r *Researcher) error {
	return db.Model(r).Update("last_login_at", r.LastLoginAt).Error
}

// EndSessions ends every session of researcher id, on every device: the version in their
// cookies no longer matches.
func EndSessions(db *gorm.DB, id uint) error {
	err := db.Model(&Researcher{}).Where("id = ?", id).Update("session_version", gorm.Expr("session_version + 1")).Error
	if err != nil {
		return fmt.Errorf("end sessions of researcher %d: %w", id, err)
	}
	return nil
}

// RemoveResearcher deletes the account for email and revokes its API tokens; its sessions
// end because the account is gone. A missing account gives ErrNotFound.
func RemoveResearcher(db *gorm.DB, email string, who Actor) error {
	email = strings.ToLower(strings.TrimSpace(email))
	err := db.Transaction(func(tx *gorm.DB) error {
		var r Researcher
		if err := tx.Where("email = ?", email).Take(&r).Error; err != nil {
			return notFound(err)
		}
		if err := tx.Delete(&r).Error; err != nil {
			return err
		}
		t := now()
		err := tx.Model(&APIToken{}).Where("researcher_id = ? AND revoked_at IS NULL", r.ID).Update("revoked_at", t).Error
		if err != nil {
			return err
		}
		return audit(tx, who, t, ActionResearcherRemoved, nil, r.Email, nil)
	})
	if err != nil {
		return fmt.Errorf("remove researcher: %w", err)
	}
	return nil
}

// FindResearcher returns the researcher with id.
func FindResearcher(db *gorm.DB, id uint) (*Researcher, error) {
	var r Researcher
	if err := db.Take(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// CountResearchers returns how many accounts exist.
func CountResearchers(db *gorm.DB) (int64, error) {
	var n int64
	err := db.Model(&Researcher{}).Count(&n).Error
	return n, err
}
