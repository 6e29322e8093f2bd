package models

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// setupKey names the setting that holds the hash of the one-time setup token.
const setupKey = "setup_token"

// NewSetupToken returns a fresh one-time token with which the first researcher account can be
// created, and stores its hash; an earlier token dies. With accounts present it returns ""
// and removes any token left over.
func NewSetupToken(db *gorm.DB) (string, error) {
	var token string
	err := db.Transaction(func(tx *gorm.DB) error {
		n, err := CountResearchers(tx)
		if err != nil {
			return err
		}
		if n > 0 {
			return tx.Where("key = ?", setupKey).Delete(&Setting{}).Error
		}
		token = NewToken()
		row := Setting{Key: setupKey, Value: HashToken(token)}
		return tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error
	})
	if err != nil {
		return "", fmt.Errorf("new setup token: %w", err)
	}
	return token, nil
}

// CheckSetupToken reports ErrBadSetupLink unless token is the live setup token.
func CheckSetupToken(db *gorm.DB, token string) error {
	var row Setting
	err := db.Where("key = ?", setupKey).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrBadSetupLink
	}
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(row.Value), []byte(HashToken(token))) != 1 {
		return ErrBadSetupLink
	}
	return nil
}

// CreateFirstResearcher creates the first account with the setup token, which dies with it.
// The token is refused once any account exists, however that account came about.
func CreateFirstResearcher(db *gorm.DB, token, email, password string) (*Researcher, error) {
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
		if err := CheckSetupToken(tx, token); err != nil {
			return err
		}
		if err := tx.Where("key = ?", setupKey).Delete(&Setting{}).Error; err != nil {
			return err
		}
		n, err := CountResearchers(tx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrBadSetupLink
		}
		return createResearcher(tx, &r, email, string(hash), Actor{})
	})
	if err != nil {
		return nil, fmt.Errorf("create first researcher: %w", err)
	}
	return &r, nil
}
