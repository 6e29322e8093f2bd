package models

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Response statuses. Only a submitted response counts. A draft claims nothing: a
// municipality may have several side by side, and the first one sent is its response. A
// response set aside keeps its answers for the researcher but never counts (SetAside*).
const (
	ResponseDraft     = "draft"
	ResponseSubmitted = "submitted"
	ResponseSetAside  = "set_aside"
)

// Why a response was set aside.
const (
	SetAsideLaterSent      = "later_sent"      // sent after the municipality's response had been sent
	SetAsideInvited        = "invited"         // started without the municipality's invitation
	SetAsideInvitationOnly = "invitation_only" // an anonymous draft when the survey became invitation only
	SetAsideRevoked        = "revoked"         // started through an invitation that was revoked since
	SetAsideDiscarded      = "discarded"       // a draft the researcher discarded
	SetAsideWithdrawn      = "withdrawn"       // a sent response the researcher withdrew at the municipality's request
)

// Response is one questionnaire, from the first "Start" to submission. The database allows
// one submitted response per municipality per survey (schema step 4); drafts are unlimited.
type Response struct {
	ID               uint    `gorm:"primaryKey"`
	SurveyID         uint    `gorm:"not null;index"`
	Survey           *Survey `gorm:"constraint:OnDelete:CASCADE"`
	Status           string  `gorm:"not null;default:draft;index"`
	MunicipalityCode *string
	// InvitationID is the invitation this response was started through; such a response is
	// the only one that can send its municipality's answers (invitation.go).
	InvitationID   *uint   `gorm:"index"`
	SetAsideReason string  `gorm:"not null;default:''"`
	TokenHash      string  `gorm:"not null;uniqueIndex"`
	SubmissionID   *string `gorm:"uniqueIndex"`
	Reference      *string `gorm:"uniqueIndex"`
	Reached        int     `gorm:"not null;default:0"` // sections saved so far
	Version        int     `gorm:"not null;default:1"` // the survey version it was started on (versions.go)
	// Lang is the language the respondent answered in ("nl", "en"): the page's when they
	// started, and again when they sent. Codes are the same in every language; this only
	// lets the results be broken down by it.
	Lang        string `gorm:"not null;default:nl"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
	SubmittedAt *time.Time
	SetAsideAt  *time.Time
	Answers     []Answer `gorm:"constraint:OnDelete:CASCADE"`
}

// Answer is one stored answer: an option of a choice, a statement's rating, a text or a number.
type Answer struct {
	ID         uint   `gorm:"primaryKey"`
	ResponseID uint   `gorm:"not null;index:idx_answers_response_question"`
	Question   string `gorm:"not null;index:idx_answers_response_question"`
	Item       string `gorm:"not null;default:''"` // likert statement code
	Option     string `gorm:"not null;default:''"` // option or scale code
	Text       string `gorm:"not null;default:''"` // open answer, or the "anders, namelijk" text
	Number     *float64
}

// Submitted reports whether the response was sent in and counts.
func (r *Response) Submitted() bool { return r.Status == ResponseSubmitted }

// SetAside reports whether the response was put aside: kept, never counted.
func (r *Response) SetAside() bool { return r.Status == ResponseSetAside }

// Invited reports whether the response was started through an invitation link.
func (r *Response) Invited() bool { return r.InvitationID != nil }

// NewToken returns a fresh 256-bit secret for a resume link.
func NewToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is how a secret is stored: the database never holds a usable link.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// StartDraft creates an empty draft for survey and returns it with its resume token. It
// claims nothing: drafts of one municipality may exist side by side.
// The survey's state is read again where the draft is written: survey may come from a cache
// that has not yet seen a close through another instance. lang is the language the
// respondent answers in.
func StartDraft(db *gorm.DB, survey *Survey, lang string) (*Response, string, error) {
	token := NewToken()
	r := Response{SurveyID: survey.ID, Status: ResponseDraft, TokenHash: HashToken(token), Lang: lang}
	err := db.Transaction(func(tx *gorm.DB) error {
		cur, err := surveyForWriting(tx, survey.ID)
		if err != nil {
			return err
		}
		if err := cur.Accepting(); err != nil {
			return err
		}
		if cur.AccessMode == AccessInvitation {
			return ErrInvitationOnly
		}
		r.Version = cur.Version
		r.CreatedAt = now()
		r.UpdatedAt = r.CreatedAt
		// A fixed statement, not gorm's Create, which builds it by reflection every time;
		// inside the group writer's turn. The columns left out take their defaults.
		return queryRow(tx, `INSERT INTO responses (survey_id, status, token_hash, version, lang, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			[]any{r.SurveyID, r.Status, r.TokenHash, r.Version, r.Lang, r.CreatedAt, r.UpdatedAt}, &r.ID)
	})
	if err != nil {
		return nil, "", fmt.Errorf("start draft for %s: %w", survey.Slug, err)
	}
	return &r, token, nil
}

// surveyForWriting reads the state of survey id that decides whether a respondent may write,
// and locks the row for key share until the transaction ends, as checkWritable does.
func surveyForWriting(tx *gorm.DB, id uint) (*Survey, error) {
	var s Survey
	err := queryRow(tx, "SELECT id, status, closes_at, access_mode, version FROM surveys WHERE id = $1"+dialectOf(tx).lockRows(lockKeyShare, ""),
		[]any{id}, &s.ID, &s.Status, &s.ClosesAt, &s.AccessMode, &s.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// FindResponse returns survey's response with resume token token.
func FindResponse(db *gorm.DB, survey *Survey, token string) (*Response, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	// Every page of a respondent looks its draft up, so the row is read by one fixed statement
	// and scanned field by field, without gorm building the query and scanning by reflection.
	// Every column is read, as Take read them: the Response goes on to the saves.
	return readResponse(db, responseColumns+` WHERE token_hash = $1 AND survey_id = $2 LIMIT 1`, HashToken(token), survey.ID)
}

// FindResponseWithAnswers is FindResponse that also reads the response's answers, in the
// order they were saved, by the same statement: the pages that show a draft (each section,
// the check page, the confirmation) read both, and as two statements each took its own
// connection and read transaction, and the answers came one row of seven values each. The
// database hands them over as one JSON array (dialect.answerArray). The answers have no ID
// (no page needs one; SaveSection reads its own) and r.Answers is left empty.
func FindResponseWithAnswers(db *gorm.DB, survey *Survey, token string) (*Response, []Answer, error) {
	if token == "" {
		return nil, nil, ErrNotFound
	}
	var (
		r    Response
		list sql.NullString // PostgreSQL's json_agg over no answers is NULL
	)
	err := queryRow(db, responseWithAnswersSQL(db), []any{HashToken(token), survey.ID}, append(r.columns(), &list)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, err
	}
	answers := make([]Answer, 0, 16) // as AnswersOf: none is empty, not nil
	if list.Valid {
		var numbers []float64
		if answers, err = parseAnswerList(list.String, answers, &numbers); err != nil {
			return nil, nil, fmt.Errorf("answers of response %d: %w", r.ID, err)
		}
	}
	for i := range answers {
		answers[i].ResponseID = r.ID
	}
	return &r, answers, nil
}

// responseWithAnswersSQL is responseColumns with the answers as one more column.
func responseWithAnswersSQL(db *gorm.DB) string {
	if dialectOf(db).postgres() {
		return postgresResponseWithAnswers
	}
	return sqliteResponseWithAnswers
}

var (
	sqliteResponseWithAnswers   = withAnswers(sqliteDialect)
	postgresResponseWithAnswers = withAnswers(postgresDialect)
)

func withAnswers(d *dialect) string {
	return "SELECT " + responseColumnList + ",\n\t(SELECT " + d.answerArray + " FROM answers a WHERE a.response_id = responses.id)\n\t" +
		"FROM responses WHERE token_hash = $1 AND survey_id = $2 LIMIT 1"
}

// readResponse reads the one response that q (responseColumns and a condition) selects, or
// ErrNotFound.
func readResponse(db *gorm.DB, q string, args ...any) (*Response, error) {
	var r Response
	err := queryRow(db, q, args, r.columns()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &r, nil
}

// columns are the places to scan responseColumnList into.
func (r *Response) columns() []any {
	return []any{&r.ID, &r.SurveyID, &r.Status, &r.MunicipalityCode, &r.InvitationID, &r.SetAsideReason,
		&r.TokenHash, &r.SubmissionID, &r.Reference, &r.Reached, &r.Version, &r.Lang, &r.CreatedAt, &r.UpdatedAt,
		&r.SubmittedAt, &r.SetAsideAt}
}

// responseColumns selects every column of a Response, as gorm's Take read them.
const (
	responseColumnList = `id, survey_id, status, municipality_code, invitation_id, set_aside_reason, token_hash,
	submission_id, reference, reached, version, lang, created_at, updated_at, submitted_at, set_aside_at`
	responseColumns = "SELECT " + responseColumnList + " FROM responses"
)

// AnswersOf returns the stored answers of response id, in the order they were saved.
func AnswersOf(db *gorm.DB, id uint) ([]Answer, error) {
	// Every section page, check page, submit and confirmation reads them, so, as FindResponse,
	// by one fixed statement scanned field by field: no query building, no reflection.
	rows, err := query(db, answersOfSQL, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	as := make([]Answer, 0, 16) // a response has a few dozen at most; gorm's Find gave none as empty, not nil
	for rows.Next() {
		var a Answer
		if err := rows.Scan(&a.ID, &a.ResponseID, &a.Question, &a.Item, &a.Option, &a.Text, &a.Number); err != nil {
			return nil, err
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	slices.SortFunc(as, func(a, b Answer) int { return cmp.Compare(a.ID, b.ID) })
	return as, nil
}

// answersOfSQL has no ORDER BY: the rows come in the order of the index on (response_id,
// question), and SQLite sorted them by id in a temporary B-tree on every read (15 % of the
// statement for a questionnaire's answers). A few dozen rows sort in Go for nothing.
const answersOfSQL = `SELECT id, response_id, question, item, option, text, number FROM answers WHERE response_id = $1`

// SaveSection replaces the answers to section si of a draft. Naming a municipality claims
// nothing; but a municipality that has an invitation can only be answered for through it, so
// an anonymous draft that names one gets an *InvitedError and nothing is saved.
func SaveSection(db *gorm.DB, survey *Survey, r *Response, si int, answers []Answer) error {
	def, err := survey.DefFor(db, r) // the version the draft was started on
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(def.Sections[si].Questions))
	for _, q := range def.Sections[si].Questions {
		codes = append(codes, q.Code)
	}
	reached := max(r.Reached, si+1) // and past the pages skip logic skips right after it
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := checkWritable(tx, survey.ID, r.ID); err != nil {
			return err
		}
		mq := def.MunicipalityQuestion()
		code := municipalityOf(answers, mq.Code)
		if code != nil && r.InvitationID == nil && containsString(codes, mq.Code) {
			invited, err := hasLiveInvitation(tx, survey.ID, *code)
			if err != nil {
				return err
			}
			if invited {
				return &InvitedError{Code: *code}
			}
		}
		if len(codes) > 0 {
			if _, err := exec(tx, deleteSectionSQL(tx, len(codes)), append([]any{r.ID}, anySlice(codes)...)...); err != nil {
				return err
			}
		}
		if err := insertAnswers(tx, r.ID, answers); err != nil {
			return err
		}
		// Skip logic: answers to questions that this page's answers now hide go, and pages
		// that are skipped right after it count as passed.
		if def.HasConditions() {
			all, err := AnswersOf(tx, r.ID)
			if err != nil {
				return err
			}
			vis := def.Visible(all)
			if hidden := vis.Hidden(all); len(hidden) > 0 {
				if err := tx.Where("id IN ?", hidden).Delete(&Answer{}).Error; err != nil {
					return err
				}
			}
			for reached < len(def.Sections) && !vis.Section(reached) {
				reached++
			}
		}
		if containsString(codes, mq.Code) && r.InvitationID == nil { // an invitation fixes the municipality
			_, err = exec(tx, `UPDATE responses SET updated_at = $1, reached = $2, municipality_code = $3 WHERE id = $4`, now(), reached, code, r.ID)
		} else {
			_, err = exec(tx, `UPDATE responses SET updated_at = $1, reached = $2 WHERE id = $3`, now(), reached, r.ID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("save section %d of response %d: %w", si+1, r.ID, err)
	}
	r.Reached = reached
	return nil
}

// checkWritable refuses changes to a submitted response or in a survey that stopped accepting.
// It locks the survey row for key share until the transaction ends: a close (takeSurvey) waits
// for this write to commit, so the write is in the aggregates, or this waits for the close and
// then reads the survey closed; on any instance (dialect.lockRows).
func checkWritable(tx *gorm.DB, surveyID, responseID uint) error {
	var state struct {
		SurveyStatus, ResponseStatus string
		ClosesAt                     *time.Time
	}
	// Scanned field by field: every save runs this, inside the group writer's turn.
	err := queryRow(tx, `SELECT s.status, r.status, s.closes_at
		FROM responses r JOIN surveys s ON s.id = r.survey_id WHERE r.id = $1 AND s.id = $2`+dialectOf(tx).lockRows(lockKeyShare, "s"),
		[]any{responseID, surveyID}, &state.SurveyStatus, &state.ResponseStatus, &state.ClosesAt)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	switch state.ResponseStatus {
	case ResponseSubmitted:
		return ErrAlreadySubmitted
	case ResponseSetAside:
		return ErrSetAside
	}
	s := Survey{Status: state.SurveyStatus, ClosesAt: state.ClosesAt}
	return s.Accepting()
}

// insertAnswers stores answers as response id's, by one INSERT of many rows (of at most
// answersPerInsert): gorm's Create builds the statement by reflection and reads every new id
// back, and a section save, inside the group writer's turn, needs neither. The ids of answers
// are left unset.
func insertAnswers(tx *gorm.DB, id uint, answers []Answer) error {
	for len(answers) > 0 {
		n := min(len(answers), answersPerInsert)
		var b strings.Builder
		b.WriteString(insertAnswersSQL)
		newParams(tx, &b).rows(n, 6)
		args := make([]any, 0, 6*n)
		for _, a := range answers[:n] {
			args = append(args, id, a.Question, a.Item, a.Option, a.Text, a.Number)
		}
		if _, err := exec(tx, b.String(), args...); err != nil {
			return err
		}
		answers = answers[n:]
	}
	return nil
}

// deleteSectionSQL deletes a response's answers to n questions: the response's id and the
// questions' codes are its parameters.
func deleteSectionSQL(tx *gorm.DB, n int) string {
	var b strings.Builder
	p := newParams(tx, &b)
	b.WriteString("DELETE FROM answers WHERE response_id = ")
	p.one()
	b.WriteString(" AND question IN ")
	p.rows(1, n)
	return b.String()
}

func anySlice(list []string) []any {
	out := make([]any, len(list))
	for i, v := range list {
		out[i] = v
	}
	return out
}

// insertAnswersSQL names every column of Answer but its id (TestInsertAnswersStoresWhatCreateStored).
const insertAnswersSQL = `INSERT INTO answers (response_id, question, item, "option", text, number) VALUES `

// answersPerInsert keeps one statement's parameters (6 per answer) far below the limits of
// SQLite (32,766) and PostgreSQL (65,535).
const answersPerInsert = 500

func municipalityOf(answers []Answer, question string) *string {
	for _, a := range answers {
		if a.Question == question && a.Option != "" {
			code := a.Option
			return &code
		}
	}
	return nil
}

func containsString(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Submit turns a complete draft into its municipality's response. submissionID comes from
// the form that was submitted: the same id again (a double click, a retried POST) finds the
// response already submitted and succeeds without writing; another id gets
// ErrAlreadySubmitted.
//
// A draft that may not count is set aside instead, and Submit returns nil with r.Status
// ResponseSetAside and the reason: its answers are kept for the researcher, so the write
// must commit. That happens when the municipality's response was sent first, when the
// municipality has an invitation and this draft did not come through it, and when the
// draft's own invitation was revoked. The partial unique index (schema step 4) keeps one
// submitted response per municipality even if these checks ever raced.
func Submit(db *gorm.DB, survey *Survey, r *Response, submissionID, lang string) error {
	def, err := survey.DefFor(db, r)
	if err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		found, err := readResponse(tx, responseColumns+` WHERE id = $1`, r.ID)
		if err != nil {
			return err
		}
		cur := *found
		if cur.Submitted() || cur.SetAside() && cur.SubmissionID != nil {
			if cur.SubmissionID != nil && *cur.SubmissionID == submissionID {
				*r = cur
				return nil
			}
			return ErrAlreadySubmitted
		}
		if err := checkWritable(tx, survey.ID, r.ID); err != nil {
			return err
		}
		answers, err := AnswersOf(tx, r.ID)
		if err != nil {
			return err
		}
		if len(def.Missing(answers)) > 0 {
			return ErrIncomplete
		}
		// To the microsecond, as PostgreSQL keeps it: the export's record holds this time too.
		t, ref := now().Truncate(time.Microsecond), newReference()
		reason, err := mayCount(tx, survey, &cur)
		if err != nil {
			return err
		}
		if reason != "" {
			_, err = exec(tx, `UPDATE responses SET status = $1, set_aside_reason = $2, set_aside_at = $3, submitted_at = $3,
				submission_id = $4, updated_at = $3 WHERE id = $5 AND status = $6`,
				ResponseSetAside, reason, t, submissionID, r.ID, ResponseDraft)
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrAlreadySubmitted // the submission id belongs to another response
			}
			if err != nil {
				return err
			}
			cur.Status, cur.SetAsideReason, cur.SetAsideAt, cur.SubmittedAt, cur.SubmissionID = ResponseSetAside, reason, &t, &t, &submissionID
			*r = cur
			return nil
		}
		_, err = exec(tx, `UPDATE responses SET status = $1, submitted_at = $2, submission_id = $3, reference = $4,
			updated_at = $2, lang = $5 WHERE id = $6 AND status = $7`,
			ResponseSubmitted, t, submissionID, ref, lang, r.ID, ResponseDraft)
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrAlreadySubmitted // the submission id belongs to another response, or the municipality's raced in
		}
		if err != nil {
			return err
		}
		// Into the queue of the tallies (tally.go), not into the tallies: ~40 rows upserted
		// here were the largest part of the group writer's turn.
		if _, err := exec(tx, `INSERT INTO untallied (response_id, survey_id) VALUES ($1, $2)`, r.ID, survey.ID); err != nil {
			return err
		}
		// Its row of the raw-data CSV, made now from the answers in hand (exportrecord.go).
		slices.SortFunc(answers, func(a, b Answer) int { return cmp.Compare(a.ID, b.ID) }) // as the export reads them
		if err := writeRecord(tx, def, &RawResponse{ID: r.ID, SubmittedAt: t, Version: cur.Version, Lang: lang, Answers: answers}); err != nil {
			return err
		}
		cur.Status, cur.SubmittedAt, cur.SubmissionID, cur.Reference, cur.Lang = ResponseSubmitted, &t, &submissionID, &ref, lang
		*r = cur
		return nil
	})
	if err != nil {
		return fmt.Errorf("submit response %d: %w", r.ID, err)
	}
	return nil
}

// referenceAlphabet leaves out 0/O and 1/I so a reference can be read out over the phone.
var referenceAlphabet = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newReference returns a reference number such as "PL-7KQ4-MX2D".
func newReference() string {
	b := make([]byte, 5)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	s := referenceAlphabet.EncodeToString(b) // 8 characters
	return "PL-" + s[:4] + "-" + s[4:]
}

// mayCount returns why draft r may not become its municipality's response, or "".
func mayCount(tx *gorm.DB, s *Survey, r *Response) (string, error) {
	if r.InvitationID != nil {
		var revoked int64
		err := queryRow(tx, `SELECT COUNT(*) FROM invitations WHERE id = $1 AND revoked_at IS NOT NULL`, []any{*r.InvitationID}, &revoked)
		if err != nil || revoked > 0 {
			return SetAsideRevoked, err
		}
	} else if s.AccessMode == AccessInvitation {
		return SetAsideInvitationOnly, nil
	}
	if r.MunicipalityCode == nil {
		return "", nil
	}
	if r.InvitationID == nil {
		invited, err := hasLiveInvitation(tx, s.ID, *r.MunicipalityCode)
		if err != nil || invited {
			return SetAsideInvited, err
		}
	}
	var sent int64
	err := queryRow(tx, `SELECT COUNT(*) FROM responses WHERE survey_id = $1 AND municipality_code = $2 AND status = $3`,
		[]any{s.ID, *r.MunicipalityCode, ResponseSubmitted}, &sent)
	if err != nil || sent > 0 {
		return SetAsideLaterSent, err
	}
	return "", nil
}

// CountResponses returns the number of submitted responses and of drafts of a survey.
func CountResponses(db *gorm.DB, surveyID uint) (submitted, drafts int64, err error) {
	var rows []struct {
		Status string
		N      int64
	}
	err = db.Model(&Response{}).Select("status, COUNT(*) AS n").Where("survey_id = ?", surveyID).Group("status").Scan(&rows).Error
	for _, row := range rows {
		switch row.Status {
		case ResponseSubmitted:
			submitted = row.N
		case ResponseDraft:
			drafts = row.N
		}
	}
	return submitted, drafts, err
}
