package models

import (
	"errors"
	"fmt"
)

// Sentinels that handlers map to pages; gorm errors never leave this package untranslated.
var (
	ErrNotFound         = errors.New("not found")
	ErrSurveyClosed     = errors.New("survey is closed")
	ErrSurveyNotOpen    = errors.New("survey is not open yet")
	ErrAlreadySubmitted = errors.New("response already submitted")
	ErrIncomplete       = errors.New("response is missing required answers")
	// ErrSetAside is a change to a response that was set aside: kept, never counted.
	ErrSetAside = errors.New("response was set aside")
	// ErrInvitationOnly is an anonymous draft in a survey that only invited municipalities
	// may answer.
	ErrInvitationOnly = errors.New("survey is invitation only")
	// ErrInvitationUsed is an invitation link that already started a response in another
	// browser: it is bound to that respondent.
	ErrInvitationUsed = errors.New("invitation already used")
	// ErrInvitationInUse is a reissue of a link whose response has not been discarded or
	// withdrawn first.
	ErrInvitationInUse = errors.New("invitation's response must be discarded first")

	// ErrWrongStatus is a lifecycle step that the survey's current status does not allow,
	// such as closing a draft or opening an open survey.
	ErrWrongStatus = errors.New("survey status does not allow this")
	// ErrClosingTimePast is a closing time that is not in the future.
	ErrClosingTimePast = errors.New("closing time is not in the future")
	// ErrBadSetupLink is a setup link that is wrong, used, or no longer needed.
	ErrBadSetupLink = errors.New("setup link is not valid")
	// ErrResearcherExists is an e-mail address that already has an account.
	ErrResearcherExists = errors.New("researcher already exists")
	// ErrPasswordLength is a password outside MinPasswordLength..MaxPasswordBytes.
	ErrPasswordLength = errors.New("password length out of range")

	// ErrNotStored is a write the database could not store: the disk is full, an I/O error,
	// or its group's transaction failed (groupwrite.go). Nothing of it is stored; trying again
	// later may work.
	ErrNotStored = errors.New("write not stored")
	// ErrClosed is returned for writes offered after the database began to close.
	ErrClosed = errors.New("database is closing")
	// ErrPublicGroupTooSmall is publishing results with a minimum group below MinPublicGroupSize.
	ErrPublicGroupTooSmall = errors.New("minimum group too small to publish")
	// ErrMailBusy is a mail run asked for while another run of the same survey still sends.
	ErrMailBusy = errors.New("a mail run of this survey is still sending")
)

// InvitedError is an anonymous draft naming a municipality that has an invitation: only the
// invitation's own response can answer for it.
type InvitedError struct{ Code string }

func (e *InvitedError) Error() string { return fmt.Sprintf("municipality %s was invited", e.Code) }

// storageFailure reports whether err is the database failing to store (SQLite, or PostgreSQL:
// postgresStorageFailure), rather than a rule of ours or a constraint refusing the data.
func storageFailure(err error) bool {
	if code, ok := postgresCode(err); ok {
		return postgresStorageFailure(code)
	}
	var coded interface{ Code() int }
	if !errors.As(err, &coded) {
		return false
	}
	// SQLite's primary result codes (sqlite.org/rescode.html), fixed for good: BUSY, LOCKED,
	// NOMEM, READONLY, INTERRUPT, IOERR, CORRUPT, FULL, CANTOPEN, NOTADB.
	switch coded.Code() & 0xff {
	case 5, 6, 7, 8, 9, 10, 11, 13, 14, 26:
		return true
	}
	return false
}
