package models

import (
	"bufio"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Access modes: who may start a survey. In both, the partial unique index on
// responses(survey_id, municipality_code) keeps one submitted response per municipality.
//
// An invitation outranks anonymity. Once a municipality has a live invitation, only the
// response started through that link can send its answers; anonymous drafts for it are set
// aside (kept, never counted). A link is bound to the browser that pressed Start with it:
// from then on it leads nobody else to that response (or to any answers), and the respondent
// continues elsewhere through the private resume link of the response. A researcher who holds
// every link therefore reads nothing. To let a municipality start afresh, the researcher
// discards the draft (or withdraws the sent response) and then reissues the link.
const (
	AccessOpen       = "open"       // anyone picks a municipality
	AccessInvitation = "invitation" // a personal link per municipality is needed to start
)

// Audit actions of invitations, access and the benchmark report.
const (
	ActionAccessOpen         = "access_open"
	ActionAccessInvitation   = "access_invitation"
	ActionInvitationsCreated = "invitations_created"
	ActionInvitationRevoked  = "invitation_revoked"
	ActionInvitationReissued = "invitation_reissued"
	ActionBenchmarkOn        = "benchmark_on"
	ActionBenchmarkOff       = "benchmark_off"
)

// ErrInvitationRevoked is a link that was revoked or replaced by a new one.
var ErrInvitationRevoked = errors.New("invitation revoked")

// Invitation is one municipality's personal link to a survey. The token is stored twice: as
// its SHA-256 hash, to find the invitation by its link, and sealed with the link key, because
// reminders and the mail-merge download must carry the same link again weeks later. A
// database copy alone gives no usable link unless the key (derived from the session key) is
// stored in it too, which happens only without PEILING_SESSION_KEY.
type Invitation struct {
	ID               uint   `gorm:"primaryKey"`
	SurveyID         uint   `gorm:"not null;index"`
	MunicipalityCode string `gorm:"not null"`
	ContactName      string `gorm:"not null;default:''"`
	Email            string `gorm:"not null;default:''"`
	TokenHash        string `gorm:"not null;uniqueIndex"`
	Sealed           string `gorm:"not null"` // base64(nonce || AES-GCM(token))
	// ResponseID is the response this link started; set once, by StartInvitedDraft.
	ResponseID *uint
	// Lang is the language of the contact: of the mails they get, and of the pages when
	// their browser names none of Peiling's languages.
	Lang      string `gorm:"not null;default:nl"`
	CreatedAt time.Time
	RevokedAt *time.Time
}

// LinkKey seals invitation tokens.
type LinkKey [32]byte

// NewLinkKey derives the link key from the application secret, apart from the cookie keys.
func NewLinkKey(secret []byte) LinkKey {
	return sha256.Sum256(append([]byte("peiling invitation links v1\x00"), secret...))
}

func (k LinkKey) seal(token, hash string) string {
	block, _ := aes.NewCipher(k[:])
	gcm, _ := cipher.NewGCM(block)
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err)
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nonce, nonce, []byte(token), []byte(hash)))
}

// Token opens the sealed token of inv.
func (k LinkKey) Token(inv *Invitation) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(inv.Sealed)
	block, _ := aes.NewCipher(k[:])
	gcm, _ := cipher.NewGCM(block)
	if err != nil || len(raw) < gcm.NonceSize() {
		return "", fmt.Errorf("invitation %d: sealed token is malformed", inv.ID)
	}
	plain, err := gcm.Open(nil, raw[:gcm.NonceSize()], raw[gcm.NonceSize():], []byte(inv.TokenHash))
	if err != nil {
		return "", fmt.Errorf("invitation %d: the link key does not open the token (was PEILING_SESSION_KEY changed?)", inv.ID)
	}
	return string(plain), nil
}

// Contact is a municipality to invite, with whom to write to.
type Contact struct {
	Code  string
	Name  string
	Email string
	Lang  string // "nl" when the list names none
}

// SetAccessMode switches a survey between open and invitation only.
func SetAccessMode(db *gorm.DB, id uint, mode string, who Actor, at time.Time) error {
	action := map[string]string{AccessOpen: ActionAccessOpen, AccessInvitation: ActionAccessInvitation}[mode]
	if action == "" {
		return fmt.Errorf("access mode %q: %w", mode, ErrWrongStatus)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		if s.AccessMode == mode {
			return nil
		}
		if err := tx.Model(s).Update("access_mode", mode).Error; err != nil {
			return err
		}
		if mode == AccessInvitation {
			// Drafts started without a link stop here: kept for the researcher, never counted.
			q := tx.Model(&Response{}).Where("survey_id = ? AND status = ? AND invitation_id IS NULL", s.ID, ResponseDraft)
			if _, err := setAside(q, SetAsideInvitationOnly, at); err != nil {
				return err
			}
		}
		return audit(tx, who, at, action, &s.ID, "", nil)
	})
}

// setAside sets aside the responses q selects, for reason, and returns how many.
func setAside(q *gorm.DB, reason string, at time.Time) (int64, error) {
	res := q.Updates(map[string]any{"status": ResponseSetAside, "set_aside_reason": reason, "set_aside_at": at, "updated_at": at})
	return res.RowsAffected, res.Error
}

// hasLiveInvitation reports whether municipality code of survey surveyID has a live link.
func hasLiveInvitation(tx *gorm.DB, surveyID uint, code string) (bool, error) {
	var n int64
	err := queryRow(tx, `SELECT COUNT(*) FROM invitations WHERE survey_id = $1 AND municipality_code = $2 AND revoked_at IS NULL`,
		[]any{surveyID, code}, &n)
	return n > 0, err
}

// SetBenchmark turns the benchmark report of a closed survey on or off.
func SetBenchmark(db *gorm.DB, id uint, on bool, who Actor, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		s, err := takeSurvey(tx, id)
		if err != nil {
			return err
		}
		if on && s.Status != StatusClosed {
			return ErrWrongStatus
		}
		if s.BenchmarkEnabled == on {
			return nil
		}
		if err := tx.Model(s).Update("benchmark_enabled", on).Error; err != nil {
			return err
		}
		action := ActionBenchmarkOff
		if on {
			action = ActionBenchmarkOn
		}
		return audit(tx, who, at, action, &s.ID, "", nil)
	})
}

// Invite makes a live invitation for every contact that has none, and updates the name and
// address of those that have one (their link stays the same). It returns how many it made
// and how many it updated.
func Invite(db *gorm.DB, s *Survey, key LinkKey, contacts []Contact, who Actor, at time.Time) (created, updated int, err error) {
	err = db.Transaction(func(tx *gorm.DB) error {
		var live []Invitation
		if err := tx.Where("survey_id = ? AND revoked_at IS NULL", s.ID).Find(&live).Error; err != nil {
			return err
		}
		byCode := map[string]*Invitation{}
		for i := range live {
			byCode[live[i].MunicipalityCode] = &live[i]
		}
		var fresh []Invitation
		for _, c := range contacts {
			if inv, ok := byCode[c.Code]; ok {
				sameLang := c.Lang == "" || c.Lang == inv.Lang
				if c.Email == "" && c.Name == "" && sameLang || c.Email == inv.Email && c.Name == inv.ContactName && sameLang {
					continue
				}
				changes := map[string]any{"contact_name": c.Name, "email": c.Email}
				if c.Email == "" && c.Name == "" {
					changes = map[string]any{}
				}
				if !sameLang {
					changes["lang"] = c.Lang
				}
				if err := tx.Model(inv).Updates(changes).Error; err != nil {
					return err
				}
				updated++
				continue
			}
			fresh = append(fresh, newInvitation(s.ID, key, c, at))
			byCode[c.Code] = &fresh[len(fresh)-1]
		}
		if len(fresh) > 0 {
			if err := tx.CreateInBatches(fresh, 200).Error; err != nil {
				return err
			}
			codes := make([]string, len(fresh))
			for i, inv := range fresh {
				codes[i] = inv.MunicipalityCode
			}
			// From now on only the invitation can answer for these municipalities.
			q := tx.Model(&Response{}).Where("survey_id = ? AND status = ? AND invitation_id IS NULL AND municipality_code IN ?",
				s.ID, ResponseDraft, codes)
			if _, err := setAside(q, SetAsideInvited, at); err != nil {
				return err
			}
		}
		created = len(fresh)
		if created+updated == 0 {
			return nil
		}
		return audit(tx, who, at, ActionInvitationsCreated, &s.ID, fmt.Sprintf("%d nieuw, %d bijgewerkt", created, updated), nil)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("invite for %s: %w", s.Slug, err)
	}
	return created, updated, nil
}

func newInvitation(surveyID uint, key LinkKey, c Contact, at time.Time) Invitation {
	token := NewToken() // 256 bits
	hash := HashToken(token)
	lang := c.Lang
	if lang == "" {
		lang = DutchLanguage
	}
	return Invitation{SurveyID: surveyID, MunicipalityCode: c.Code, ContactName: c.Name, Email: c.Email, Lang: lang,
		TokenHash: hash, Sealed: key.seal(token, hash), CreatedAt: at}
}

// RevokeInvitation makes invitation id of survey s stop working; subject names it in the log.
func RevokeInvitation(db *gorm.DB, s *Survey, id uint, subject string, who Actor, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		res := tx.Model(&Invitation{}).Where("id = ? AND survey_id = ? AND revoked_at IS NULL", id, s.ID).Update("revoked_at", at)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		// A draft started through a revoked link cannot send; its answers are kept.
		if _, err := setAside(tx.Model(&Response{}).Where("invitation_id = ? AND status = ?", id, ResponseDraft), SetAsideRevoked, at); err != nil {
			return err
		}
		return audit(tx, who, at, ActionInvitationRevoked, &s.ID, subject, nil)
	})
}

// ReissueInvitation revokes invitation id and makes a new one, with a new link, for the same
// municipality and contact. A link that started a response is reissued only after the
// researcher discarded that draft or withdrew that sent response (ErrInvitationInUse):
// a new link never takes over someone's answers, and starting afresh is a visible decision.
func ReissueInvitation(db *gorm.DB, s *Survey, key LinkKey, id uint, subject string, who Actor, at time.Time) (*Invitation, error) {
	var out Invitation
	err := db.Transaction(func(tx *gorm.DB) error {
		var old Invitation
		if err := tx.Where("id = ? AND survey_id = ?", id, s.ID).Take(&old).Error; err != nil {
			return notFound(err)
		}
		if old.ResponseID != nil {
			var live int64
			err := tx.Model(&Response{}).Where("id = ? AND status <> ?", *old.ResponseID, ResponseSetAside).Count(&live).Error
			if err != nil {
				return err
			}
			if live > 0 {
				return ErrInvitationInUse
			}
		}
		if err := tx.Model(&Invitation{}).Where("id = ? AND revoked_at IS NULL", id).Update("revoked_at", at).Error; err != nil {
			return err
		}
		// A revoked invitation may be reissued as long as no other live one exists; the
		// partial unique index (schema step 2) refuses a second live link.
		out = newInvitation(s.ID, key, Contact{Code: old.MunicipalityCode, Name: old.ContactName, Email: old.Email, Lang: old.Lang}, at)
		if err := tx.Create(&out).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrWrongStatus
			}
			return err
		}
		return audit(tx, who, at, ActionInvitationReissued, &s.ID, subject, nil)
	})
	if err != nil {
		return nil, fmt.Errorf("reissue invitation %d: %w", id, err)
	}
	return &out, nil
}

// FindInvitation returns the live invitation of survey s with link token token;
// ErrInvitationRevoked for a revoked one, ErrNotFound for an unknown one.
func FindInvitation(db *gorm.DB, s *Survey, token string) (*Invitation, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNotFound
	}
	var inv Invitation
	if err := db.Where("token_hash = ? AND survey_id = ?", HashToken(token), s.ID).Take(&inv).Error; err != nil {
		return nil, notFound(err)
	}
	if inv.RevokedAt != nil {
		return nil, ErrInvitationRevoked
	}
	return &inv, nil
}

// FindInvitationByID returns invitation id of survey s, live or revoked.
func FindInvitationByID(db *gorm.DB, s *Survey, id uint) (*Invitation, error) {
	var inv Invitation
	if err := db.Where("id = ? AND survey_id = ?", id, s.ID).Take(&inv).Error; err != nil {
		return nil, notFound(err)
	}
	return &inv, nil
}

// LiveInvitations returns the live invitations of a survey by municipality code.
func LiveInvitations(db *gorm.DB, surveyID uint) ([]Invitation, error) {
	var out []Invitation
	err := db.Where("survey_id = ? AND revoked_at IS NULL", surveyID).Order("municipality_code").Find(&out).Error
	return out, err
}

// CountInvitations returns how many live invitations a survey has, and how many of them have
// an e-mail address.
func CountInvitations(db *gorm.DB, surveyID uint) (live, withEmail int64, err error) {
	var row struct{ Live, WithEmail int64 }
	err = db.Raw(`SELECT COUNT(*) AS live, COALESCE(SUM(`+dialectOf(db).boolInt("email <> ''")+`), 0) AS with_email FROM invitations
		WHERE survey_id = ? AND revoked_at IS NULL`, surveyID).Scan(&row).Error
	return row.Live, row.WithEmail, err
}

// FindSubmittedResponse returns the response municipality code sent to survey s.
func FindSubmittedResponse(db *gorm.DB, s *Survey, code string) (*Response, error) {
	var r Response
	if err := db.Where("survey_id = ? AND municipality_code = ? AND status = ?", s.ID, code, ResponseSubmitted).Take(&r).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// StartInvitedDraft starts the response of invitation inv, with its municipality, and binds
// the link to it: ErrInvitationUsed when the link already started one (in another browser,
// or a moment ago in a race). It returns the draft and its private resume token.
func StartInvitedDraft(db *gorm.DB, s *Survey, inv *Invitation) (*Response, string, error) {
	token := NewToken()
	code := inv.MunicipalityCode
	r := Response{SurveyID: s.ID, Status: ResponseDraft, MunicipalityCode: &code, InvitationID: &inv.ID, TokenHash: HashToken(token)}
	err := db.Transaction(func(tx *gorm.DB) error {
		cur, err := surveyForWriting(tx, s.ID) // s may be cached (StartDraft)
		if err != nil {
			return err
		}
		if err := cur.Accepting(); err != nil {
			return err
		}
		r.Version = cur.Version
		if err := tx.Create(&r).Error; err != nil {
			return err
		}
		res := tx.Model(&Invitation{}).Where("id = ? AND survey_id = ? AND response_id IS NULL AND revoked_at IS NULL", inv.ID, s.ID).
			Update("response_id", r.ID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrInvitationUsed
		}
		return nil
	})
	if err != nil {
		return nil, "", fmt.Errorf("start invited draft of %s for %s: %w", s.Slug, code, err)
	}
	inv.ResponseID = &r.ID
	return &r, token, nil
}

// ContactProblem is one line of an uploaded contact list that could not be read.
type ContactProblem struct {
	Line    int
	Message string // in Dutch
	// Code names the problem for the pages, which word it in the reader's language with
	// Args (name, value pairs).
	Code string
	Args []any
}

// maxContactLines bounds an uploaded list: there are fewer than 400 municipalities.
const maxContactLines = 2000

// ReadContacts reads a pasted or uploaded list of "code;contact name;email;language" lines,
// with "," or ";" between the fields, an optional header line and an optional byte-order mark.
// The language (nl, en) is optional; Dutch without it.
// Codes may be written as 363, 0363 or GM0363. Every problem is returned, by line.
func ReadContacts(r io.Reader, reg *Register) ([]Contact, []ContactProblem) {
	var out []Contact
	var problems []ContactProblem
	seen := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if text == "" {
			continue
		}
		if line > maxContactLines {
			problems = append(problems, ContactProblem{Line: line, Message: fmt.Sprintf("De lijst is te lang: hoogstens %d regels", maxContactLines),
				Code: "too_long", Args: []any{"Max", maxContactLines}})
			break
		}
		fields := splitContact(text)
		code := normaliseCode(fields[0])
		if line == 1 && !cbsCode.MatchString(code) {
			continue // a header line
		}
		c, p := readContact(fields, code, reg)
		if p.Message == "" && seen[c.Code] > 0 {
			p = ContactProblem{Message: fmt.Sprintf("Gemeente %s staat ook al op regel %d", c.Code, seen[c.Code]),
				Code: "twice", Args: []any{"Code", c.Code, "Line", seen[c.Code]}}
		}
		if p.Message != "" {
			p.Line = line
			problems = append(problems, p)
			continue
		}
		seen[c.Code] = line
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		problems = append(problems, ContactProblem{Message: "Het bestand kon niet worden gelezen: een regel is te lang", Code: "line_too_long"})
	}
	if len(out) == 0 && len(problems) == 0 {
		problems = append(problems, ContactProblem{Message: "De lijst is leeg", Code: "empty"})
	}
	return out, problems
}

// splitContact splits a line at ";" when it has one outside quotes, else at ",", by the
// CSV quoting rules.
func splitContact(line string) []string {
	for _, sep := range []rune{';', ','} {
		cr := csv.NewReader(strings.NewReader(line))
		cr.Comma, cr.LazyQuotes, cr.FieldsPerRecord = sep, true, -1
		fields, err := cr.Read()
		if err == nil && (len(fields) > 1 || sep == ',') {
			for i := range fields {
				fields[i] = strings.TrimSpace(fields[i])
			}
			return fields
		}
	}
	return []string{strings.TrimSpace(line)}
}

func normaliseCode(s string) string {
	s = strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "GM")
	if len(s) > 0 && len(s) < 4 && strings.Trim(s, "0123456789") == "" {
		s = strings.Repeat("0", 4-len(s)) + s
	}
	return s
}

func readContact(fields []string, code string, reg *Register) (Contact, ContactProblem) {
	if len(fields) > 4 {
		return Contact{}, ContactProblem{Message: "Te veel kolommen: gebruik code;naam;e-mailadres;taal", Code: "columns"}
	}
	m, ok := reg.ByCode(code)
	if !ok {
		return Contact{}, ContactProblem{Message: fmt.Sprintf("Code %q staat niet in de gemeentelijst %s", clip(fields[0], 20), reg.Key),
			Code: "unknown_code", Args: []any{"Code", clip(fields[0], 20), "Register", reg.Key}}
	}
	c := Contact{Code: m.Code}
	if len(fields) > 1 {
		c.Name = clip(fields[1], 100)
	}
	if len(fields) > 2 && fields[2] != "" {
		addr, err := mail.ParseAddress(fields[2])
		if err != nil || addr.Address != fields[2] || len(addr.Address) > 254 {
			return Contact{}, ContactProblem{Message: fmt.Sprintf("%q is geen e-mailadres zoals naam@gemeente.nl", clip(fields[2], 60)),
				Code: "email", Args: []any{"Email", clip(fields[2], 60)}}
		}
		c.Email = addr.Address
	}
	if strings.ContainsAny(c.Name, "\r\n") {
		return Contact{}, ContactProblem{Message: "De naam bevat een regeleinde", Code: "newline"}
	}
	if len(fields) > 3 && fields[3] != "" {
		c.Lang = strings.ToLower(fields[3])
		if !languageCode.MatchString(c.Lang) {
			return Contact{}, ContactProblem{Message: fmt.Sprintf("%q is geen taalcode zoals nl of en", clip(fields[3], 20)),
				Code: "lang", Args: []any{"Lang", clip(fields[3], 20)}}
		}
	}
	return c, ContactProblem{}
}
