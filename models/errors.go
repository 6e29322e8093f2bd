package models

import "errors"

// Sentinels that handlers map to pages; gorm errors never leave this package untranslated.
var (
	ErrNotFound          = errors.New("not found")
	ErrSurveyClosed      = errors.New("survey is closed")
	ErrSurveyNotOpen     = errors.New("survey is not open yet")
	ErrAlreadySubmitted  = errors.New("response already submitted")
	ErrIncomplete        = errors.New("response is missing required answers")
	ErrMunicipalityTaken = errors.New("municipality already has a response")

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
	// ErrPublicGroupTooSmall is publishing results with a minimum group below MinPublicGroupSize.
	ErrPublicGroupTooSmall = errors.New("minimum group too small to publish")
)
