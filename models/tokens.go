package models

import (
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// APIToken lets a program read the results of closed surveys through the API. Only the
// SHA-256 hash of the token is stored; the token itself is shown once, when it is made.
type APIToken struct {
	ID           uint   `gorm:"primaryKey"`
	Name         string `gorm:"not null"`
	Hash         string `gorm:"not null;uniqueIndex"`
	ResearcherID uint   `gorm:"not null"`
	CreatedAt    time.Time
	LastUsedAt   *time.Time
	RevokedAt    *time.Time
}

// tokenPrefix makes a Peiling token recognisable in logs and secret scanners.
const tokenPrefix = "pl_"

// CreateToken makes a token named name for researcher r and returns it with the secret.
func CreateToken(db *gorm.DB, r *Researcher, name string) (*APIToken, string, error) {
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = "API-token"
	}
	if len([]rune(name)) > 80 {
		name = string([]rune(name)[:80])
	}
	secret := tokenPrefix + NewToken()
	t := APIToken{Name: name, Hash: HashToken(secret), ResearcherID: r.ID, CreatedAt: now()}
	if err := db.Create(&t).Error; err != nil {
		return nil, "", fmt.Errorf("create api token: %w", err)
	}
	return &t, secret, nil
}

// Tokens returns every token, newest first, revoked ones included.
func Tokens(db *gorm.DB) ([]APIToken, error) {
	var out []APIToken
	err := db.Order("created_at DESC, id DESC").Find(&out).Error
	return out, err
}

// RevokeToken revokes token id at once; revoking twice is no error.
func RevokeToken(db *gorm.DB, id uint) error {
	res := db.Model(&APIToken{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", now())
	if res.Error != nil {
		return res.Error
	}
	var n int64
	if err := db.Model(&APIToken{}).Where("id = ?", id).Count(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Authorise returns the live token whose secret is secret, or ErrNotFound.
func Authorise(db *gorm.DB, secret string) (*APIToken, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, ErrNotFound
	}
	var t APIToken
	if err := db.Where("hash = ? AND revoked_at IS NULL", HashToken(secret)).Take(&t).Error; err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}
