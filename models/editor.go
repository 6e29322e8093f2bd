package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Audit actions of the editor.
const (
	ActionSurveyCreated  = "survey_created"
	ActionSurveyUploaded = "survey_uploaded"
	ActionWaveCreated    = "wave_created"
)

const defaultMunicipalityText = "Voor welke gemeente vult u deze peiling in?"

// plainLetters folds the accented letters of Dutch text for codes.
var plainLetters = strings.NewReplacer("á", "a", "à", "a", "ä", "a", "â", "a", "é", "e", "è", "e", "ë", "e", "ê", "e",
	"í", "i", "ï", "i", "î", "i", "ó", "o", "ö", "o", "ô", "o", "ú", "u", "ü", "u", "û", "u", "ç", "c", "ñ", "n", "ĳ", "ij")

// SurveyContact is who respondents can ask about the survey; shown on the start, confirmation,
// closed and "already answered" pages.
type SurveyContact struct {
	Name  string `yaml:"name,omitempty" json:"name,omitempty" validate:"max=200"`
	Email string `yaml:"email,omitempty" json:"email,omitempty" validate:"omitempty,max=200,email"`
	Phone string `yaml:"phone,omitempty" json:"phone,omitempty" validate:"max=40"`
}

// Empty reports whether no contact is given.
func (c SurveyContact) Empty() bool { return c.Name == "" && c.Email == "" && c.Phone == "" }

// Check validates the definition by the rules of import (ParseDefinition).
func (d *Definition) Check() error { return d.check() }

// Clone returns a deep copy that can be changed without touching the cached original.
func (d *Definition) Clone() (*Definition, error) {
	body, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	var out Definition
	if err := json.Unmarshal(body, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// questionSeconds is a rough time to answer one question of each kind; a likert block counts
// per statement.
var questionSeconds = map[string]int{KindMunicipality: 10, KindSingle: 12, KindMulti: 18, KindLikert: 8, KindText: 60, KindNumber: 15}

// EstimatedMinutes is how long the survey takes, computed from its questions: a few seconds
// for a choice, a minute for an open answer, rounded up to whole minutes.
func (d *Definition) EstimatedMinutes() int {
	secs := 0
	for _, q := range d.Questions() {
		n := questionSeconds[q.Kind]
		if q.Kind == KindLikert {
			n *= max(1, len(q.Statements))
		}
		secs += n
	}
	return max(1, int(math.Ceil(float64(secs)/60)))
}

// Duration is the time estimate the start page shows: the researcher's minutes, or the
// computed estimate when none is set.
func (d *Definition) Duration() int {
	if d.Minutes > 0 {
		return d.Minutes
	}
	return d.EstimatedMinutes()
}

// Contact returns the survey's contact, empty when the definition does not parse.
func (s *Survey) Contact() SurveyContact {
	d, err := s.Def()
	if err != nil {
		return SurveyContact{}
	}
	return d.Contact
}

// Organisation returns the sending organisation of the survey.
func (s *Survey) Organisation() string {
	d, err := s.Def()
	if err != nil {
		return ""
	}
	return d.Organisation
}

// PresetScales are answer scales the editor offers for likert questions; the one chosen is
// copied into the definition's scales.
var PresetScales = map[string][]Option{
	"eens5": {{Code: "helemaal_oneens", Label: "Helemaal niet eens"}, {Code: "oneens", Label: "Enigszins niet eens"},
		{Code: "neutraal", Label: "Neutraal"}, {Code: "eens", Label: "Enigszins eens"}, {Code: "helemaal_eens", Label: "Helemaal eens"}},
	"tevreden5": {{Code: "zeer_ontevreden", Label: "Zeer ontevreden"}, {Code: "ontevreden", Label: "Ontevreden"},
		{Code: "neutraal", Label: "Neutraal"}, {Code: "tevreden", Label: "Tevreden"}, {Code: "zeer_tevreden", Label: "Zeer tevreden"}},
	"belang5": {{Code: "zeer_onbelangrijk", Label: "Zeer onbelangrijk"}, {Code: "onbelangrijk", Label: "Onbelangrijk"},
		{Code: "neutraal", Label: "Neutraal"}, {Code: "belangrijk", Label: "Belangrijk"}, {Code: "zeer_belangrijk", Label: "Zeer belangrijk"}},
}

// NewDefinition is the smallest valid survey: one section with the municipality question.
func NewDefinition(title, slug, register string) *Definition {
	return &Definition{Slug: slug, Title: title, Register: register, Sections: []Section{{
		Title:     "Over uw gemeente",
		Questions: []Question{{Code: "gemeente", Kind: KindMunicipality, Text: defaultMunicipalityText, Required: true}},
	}}}
}

// NextWave copies def as the next wave of the survey: the same questions and codes, so the
// results of both can be compared, under a new title, slug and register.
func NextWave(def *Definition, title, slug, register string) (*Definition, error) {
	out, err := def.Clone()
	if err != nil {
		return nil, err
	}
	out.Title, out.Slug, out.Register = title, slug, register
	return out, nil
}

// CodeFrom makes a code from text ("Anders, namelijk" → "anders_namelijk") that is not in
// taken: lower-case letters, digits and _, starting with a letter, at most 40 characters.
func CodeFrom(text string, taken func(string) bool) string {
	var b strings.Builder
	under := false
	for _, r := range plainLetters.Replace(strings.ToLower(text)) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		default:
			under = true
		}
		if b.Len() > 40 {
			break
		}
	}
	code := b.String()
	if code == "" || code[0] < 'a' || code[0] > 'z' {
		code = "v" + code
	}
	if len(code) > 30 { // whole words where they fit, room for a number after it
		code = code[:30]
		if i := strings.LastIndexByte(code, '_'); i > 10 {
			code = code[:i]
		}
		code = strings.TrimRight(code, "_")
	}
	if code == DontKnowCode {
		code = "weet_niet_optie"
	}
	base := code
	for i := 2; taken(code); i++ {
		code = base + "_" + strconv.Itoa(i)
	}
	return code
}

// CreateSurvey stores def as a new draft survey, checked by the rules of import. A slug that
// is taken is a DefinitionError on the slug. predecessor links a wave to the survey it repeats.
func CreateSurvey(db *gorm.DB, def *Definition, predecessor *uint, action string, who Actor, at time.Time) (*Survey, error) {
	if err := def.check(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(def)
	if err != nil {
		return nil, err
	}
	s := Survey{Slug: def.Slug, Title: def.Title, Status: StatusDraft, Register: def.Register, Definition: string(body), Version: 1, PredecessorID: predecessor}
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := registerLoaded(tx, def.Register); err != nil {
			return err
		}
		var taken int64
		if err := tx.Model(&Survey{}).Where("slug = ?", def.Slug).Count(&taken).Error; err != nil {
			return err
		}
		if taken > 0 {
			return &DefinitionError{Path: "slug", Problem: fmt.Sprintf("er is al een peiling met het adres %q; kies een ander", def.Slug), Code: "slug_taken", Args: []any{"Slug", def.Slug}}
		}
		if err := tx.Create(&s).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return &DefinitionError{Path: "slug", Problem: fmt.Sprintf("er is al een peiling met het adres %q; kies een ander", def.Slug), Code: "slug_taken", Args: []any{"Slug", def.Slug}}
			}
			return err
		}
		if err := tx.Create(&SurveyVersion{SurveyID: s.ID, Number: 1, Definition: string(body), CreatedAt: at}).Error; err != nil {
			return err
		}
		return audit(tx, who, at, action, &s.ID, def.Title, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("create survey %s: %w", def.Slug, err)
	}
	return &s, nil
}

// SaveDefinition stores the editor's definition of survey s through ChangeDefinition's
// rules: in place while the survey has never opened; after that, a change of texts only is a
// correction in place (audited with before and after) and any other change a new version for
// responses started from then on; a closed survey takes text corrections only. It checks the
// same rules as import, and returns what it did.
func SaveDefinition(db *gorm.DB, s *Survey, def *Definition, who Actor, at time.Time) (Change, error) {
	def.Slug = s.Slug
	if err := def.check(); err != nil {
		return Change{}, err
	}
	var change Change
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := registerLoaded(tx, def.Register); err != nil {
			return err
		}
		var err error
		change, err = ChangeDefinition(tx, s.ID, def, who, at)
		return err
	})
	if err != nil {
		return Change{}, fmt.Errorf("save definition of %s: %w", s.Slug, err)
	}
	return change, nil
}

func registerLoaded(tx *gorm.DB, register string) error {
	var known int64
	if err := tx.Model(&Municipality{}).Where("register = ?", register).Count(&known).Error; err != nil {
		return err
	}
	if known == 0 {
		return &DefinitionError{Path: "register", Problem: fmt.Sprintf("gemeentelijst %q is niet geladen", register), Code: "register_missing", Args: []any{"Register", register}}
	}
	return nil
}

// SurveysForWave lists every survey as a source for a next wave, newest first.
func SurveysForWave(db *gorm.DB) ([]Survey, error) {
	var ss []Survey
	err := db.Select("id", "slug", "title", "status", "register", "created_at").Order("created_at DESC").Find(&ss).Error
	return ss, err
}

// FindSurveyByID returns the survey with the given id.
func FindSurveyByID(db *gorm.DB, id uint) (*Survey, error) {
	var s Survey
	if err := db.Where("id = ?", id).Take(&s).Error; err != nil {
		return nil, notFound(err)
	}
	return &s, nil
}

// MoveSection moves section i (0-based) to place to. The result is checked only on saving.
func (d *Definition) MoveSection(i, to int) error {
	if i < 0 || i >= len(d.Sections) || to < 0 || to >= len(d.Sections) {
		return ErrNotFound
	}
	sec := d.Sections[i]
	d.Sections = slices.Insert(slices.Delete(d.Sections, i, i+1), to, sec)
	return nil
}

// FindQuestion returns the section and question index of the question with code.
func (d *Definition) FindQuestion(code string) (si, qi int, err error) {
	for si := range d.Sections {
		for qi := range d.Sections[si].Questions {
			if d.Sections[si].Questions[qi].Code == code {
				return si, qi, nil
			}
		}
	}
	return 0, 0, ErrNotFound
}

// StepQuestion moves the question with code one place up (by -1) or down (by +1) in the
// order of the whole survey: past the edge of its section it goes to the end of the section
// before or the top of the one after. It returns the section it is in now.
func (d *Definition) StepQuestion(code string, by int) (int, error) {
	si, qi, err := d.FindQuestion(code)
	if err != nil {
		return 0, err
	}
	qs := d.Sections[si].Questions
	switch {
	case qi+by >= 0 && qi+by < len(qs):
		qs[qi], qs[qi+by] = qs[qi+by], qs[qi]
		return si, nil
	case si+by >= 0 && si+by < len(d.Sections):
		to := 0 // the top of the next section
		if by < 0 {
			to = len(d.Sections[si+by].Questions) // the end of the one before
		}
		return si + by, d.PlaceQuestion(code, si+by, to)
	}
	return 0, ErrNotFound
}

// PlaceQuestion moves the question with code into section si at position qi (0-based, in
// the section as it is without the question).
func (d *Definition) PlaceQuestion(code string, si, qi int) error {
	from, fq, err := d.FindQuestion(code)
	if err != nil {
		return err
	}
	q := d.Sections[from].Questions[fq]
	d.Sections[from].Questions = slices.Delete(d.Sections[from].Questions, fq, fq+1)
	if si < 0 || si >= len(d.Sections) || qi < 0 || qi > len(d.Sections[si].Questions) {
		d.Sections[from].Questions = slices.Insert(d.Sections[from].Questions, fq, q)
		return ErrNotFound
	}
	d.Sections[si].Questions = slices.Insert(d.Sections[si].Questions, qi, q)
	return nil
}
