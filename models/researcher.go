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

// SetResearcher creates the account for email, or sets its password if it exists.
func SetResearcher(db *gorm.DB, email, password string) (*Researcher, error) {
	email, err := NormaliseEmail(email)
	if err != nil {
		return nil, err
	}
	if len([]rune(password)) < MinPasswordLength {
		return nil, fmt.Errorf("password must be at least %d characters", MinPasswordLength)
	}
	if len(password) > 72 { // bcrypt reads no further
		return nil, errors.New("password must be at most 72 bytes")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	var r Researcher
	err = db.Transaction(func(tx *gorm.DB) error {
		err := tx.Where("email = ?", email).Take(&r).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			r = Researcher{Email: email, PasswordHash: string(hash)}
			return tx.Create(&r).Error
		}
		if err != nil {
			return err
		}
		return tx.Model(&r).Update("password_hash", string(hash)).Error
	})
	if err != nil {
		return nil, fmt.Errorf("set researcher %s: %w", email, err)
	}
	return &r, nil
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
