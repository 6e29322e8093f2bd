package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Audit actions: what changed. The survey page words them in Dutch.
const (
	ActionOpened             = "opened"
	ActionClosed             = "closed"
	ActionReopened           = "reopened"
	ActionAutoClosed         = "auto_closed"
	ActionClosingTimeSet     = "closing_time_set"
	ActionClosingTimeCleared = "closing_time_cleared"
	ActionResearcherCreated  = "researcher_created"
	ActionPasswordSet        = "password_set"
	ActionResearcherRemoved  = "researcher_removed"
	ActionPublished          = "published"
	ActionUnpublished        = "unpublished"
)

// SystemName is the actor of changes that no logged-in researcher made: the closing time,
// the environment at start-up, the command line.
const SystemName = "systeem"

// Actor is who made a change: a researcher, or the system.
type Actor struct {
	ResearcherID *uint
	Name         string // the researcher's e-mail address, or SystemName
}

// System is the actor for changes made by the process itself.
var System = Actor{Name: SystemName}

// By returns r as an actor.
func By(r *Researcher) Actor {
	id := r.ID
	return Actor{ResearcherID: &id, Name: r.Email}
}

// AuditEntry is one change in the audit log. Entries are only ever added.
type AuditEntry struct {
	ID           uint      `gorm:"primaryKey"`
	At           time.Time `gorm:"not null"`
	ResearcherID *uint
	Actor        string     `gorm:"not null"`
	SurveyID     *uint      `gorm:"index"`
	Action       string     `gorm:"not null"`
	Subject      string     `gorm:"not null;default:''"` // the account a researcher action was about
	ClosesAt     *time.Time // the closing time that was set
}

// audit records one change; it runs inside the transaction that made the change.
func audit(tx *gorm.DB, who Actor, at time.Time, action string, surveyID *uint, subject string, closesAt *time.Time) error {
	e := AuditEntry{At: at, ResearcherID: who.ResearcherID, Actor: who.Name, SurveyID: surveyID, Action: action, Subject: subject, ClosesAt: closesAt}
	if err := tx.Create(&e).Error; err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}

// SurveyAudit returns the audit log of a survey, newest first.
func SurveyAudit(db *gorm.DB, surveyID uint) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.Where("survey_id = ?", surveyID).Order("at DESC, id DESC").Find(&out).Error
	return out, err
}

// AccountAudit returns the changes to researcher accounts, newest first.
func AccountAudit(db *gorm.DB, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.Where("survey_id IS NULL").Order("at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}
