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
)
