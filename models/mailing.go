package models

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"

	"peiling/locales"
)

// Kinds of e-mail to invited municipalities.
const (
	MailInvitation    = "uitnodiging"         // the first mail with the link
	MailReminder      = "herinnering"         // to every municipality without a submitted response
	MailReminderDraft = "herinnering-concept" // to those with a draft in progress only
)

// MailKinds lists the kinds in the order the e-mail page shows them.
var MailKinds = []string{MailInvitation, MailReminder, MailReminderDraft}

// MailTemplate is a survey's editable text of one kind of e-mail. {{gemeente}}, {{naam}} and
// {{link}} are filled in per municipality.
type MailTemplate struct {
	SurveyID  uint   `gorm:"primaryKey;autoIncrement:false"`
	Kind      string `gorm:"primaryKey"`
	Subject   string `gorm:"not null"`
	Body      string `gorm:"not null"`
	UpdatedAt time.Time
}

// MailSend is one attempt to mail one invitation: who sent it, when, and how it went.
type MailSend struct {
	ID           uint      `gorm:"primaryKey"`
	SurveyID     uint      `gorm:"not null;index"`
	InvitationID uint      `gorm:"not null;index"`
	Kind         string    `gorm:"not null"`
	Email        string    `gorm:"not null"`
	Actor        string    `gorm:"not null"`
	At           time.Time `gorm:"not null"`
	OK           bool      `gorm:"not null"`
	Error        string    `gorm:"not null;default:''"`
}

// mailMessages are the catalogue messages of each kind's default texts: mail.default.invitation
// .subject and .body, and so on, in every language the catalogue has.
var mailMessages = map[string]string{
	MailInvitation:    "mail.default.invitation",
	MailReminder:      "mail.default.reminder",
	MailReminderDraft: "mail.default.reminder_draft",
}

// DefaultMailTemplates are the texts a survey starts with, by kind in each of the catalogue's
// languages (MailKindIn): the catalogue's mail.default messages, as written, so that
// {{link}} and the other placeholders stay for Fill.
func DefaultMailTemplates(c *locales.Catalogue) map[string]MailTemplate {
	out := map[string]MailTemplate{}
	for _, t := range c.Languages() {
		for _, kind := range MailKinds {
			out[MailKindIn(kind, t.Code())] = MailTemplate{Kind: MailKindIn(kind, t.Code()),
				Subject: t.Text(mailMessages[kind] + ".subject"), Body: t.Text(mailMessages[kind] + ".body")}
		}
	}
	return out
}

// MailKindIn is the kind of a template in language lang: "uitnodiging" in Dutch,
// "uitnodiging.en" in English, "uitnodiging.fy" in Frisian.
func MailKindIn(kind, lang string) string {
	if lang == "" || lang == DutchLanguage {
		return kind
	}
	return kind + "." + lang
}

// validMailKind reports whether k is a kind of mail, in Dutch or in another language.
func validMailKind(k string) bool {
	kind, lang, translated := strings.Cut(k, ".")
	if _, ok := mailMessages[kind]; !ok {
		return false
	}
	return !translated || (lang != DutchLanguage && languageCode.MatchString(lang))
}

// TemplateFor is the run's text in language lang: the one the run holds for it, else the
// Dutch.
func (r *MailRun) TemplateFor(lang string) MailTemplate {
	var texts map[string]MailTemplate
	if r.Texts != "" && json.Unmarshal([]byte(r.Texts), &texts) == nil {
		if t, ok := texts[lang]; ok {
			return t
		}
	}
	return MailTemplate{Subject: r.Subject, Body: r.Body}
}

// SetTexts keeps the templates of kind in every language but Dutch in the run.
func (r *MailRun) SetTexts(ts map[string]MailTemplate) {
	texts := map[string]MailTemplate{}
	for k, t := range ts {
		if kind, lang, ok := strings.Cut(k, "."); ok && kind == r.Kind {
			texts[lang] = MailTemplate{Subject: t.Subject, Body: t.Body}
		}
	}
	if len(texts) > 0 {
		body, _ := json.Marshal(texts)
		r.Texts = string(body)
	}
}

// MailTemplates returns survey id's templates, defaults where none was saved: the three
// kinds in every language of defaults (DefaultMailTemplates), and any other saved ones.
func MailTemplates(db *gorm.DB, surveyID uint, defaults map[string]MailTemplate) (map[string]MailTemplate, error) {
	var saved []MailTemplate
	if err := db.Where("survey_id = ?", surveyID).Find(&saved).Error; err != nil {
		return nil, err
	}
	out := map[string]MailTemplate{}
	for kind, t := range defaults {
		t.SurveyID, t.Kind = surveyID, kind
		out[kind] = t
	}
	for _, t := range saved {
		out[t.Kind] = t
	}
	return out, nil
}

// SaveMailTemplates stores the templates of a survey.
func SaveMailTemplates(db *gorm.DB, surveyID uint, ts []MailTemplate) error {
	return db.Transaction(func(tx *gorm.DB) error {
		for _, t := range ts {
			if !validMailKind(t.Kind) {
				return fmt.Errorf("mail template kind %q: %w", t.Kind, ErrNotFound)
			}
			t.SurveyID, t.UpdatedAt = surveyID, now()
			if err := tx.Save(&t).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// Placeholders are the values a template's {{…}} names stand for. Name is the contact's, or
// the language's way of writing to nobody in particular (mail.default.no_name).
type Placeholders struct {
	Survey, Municipality, Name, Link string
}

// Fill returns the template's subject and body with the placeholders filled in. Unknown
// names stay as they are, so a typo shows in the test mail rather than vanishing.
func (t MailTemplate) Fill(p Placeholders) (subject, body string) {
	r := strings.NewReplacer("{{peiling}}", p.Survey, "{{gemeente}}", p.Municipality, "{{naam}}", p.Name, "{{link}}", p.Link)
	// A subject is one line: a newline in it would start a new mail header.
	subject = strings.Join(strings.Fields(r.Replace(t.Subject)), " ")
	return subject, r.Replace(strings.ReplaceAll(t.Body, "\r\n", "\n"))
}

// ErrNoLink is a template without {{link}}: a mail without the link helps nobody.
var ErrNoLink = errors.New("template has no {{link}}")

// CheckTemplate returns ErrNoLink when the body lacks {{link}}.
func (t MailTemplate) CheckTemplate() error {
	if !strings.Contains(t.Body, "{{link}}") {
		return ErrNoLink
	}
	return nil
}

// Recipient is a live invitation to mail now.
type Recipient struct {
	Invitation
}

// Recipients returns the live invitations with an address that a mail of kind goes to at
// moment at, and how many were left out because they had a reminder less than interval ago.
//
//   - MailInvitation: those never mailed an invitation successfully (so a retry reaches
//     exactly the ones that failed, and a reissued link gets its own first mail);
//   - MailReminder: those whose municipality has no submitted response;
//   - MailReminderDraft: those whose municipality has a draft in progress.
//
// No address gets two reminders (of either kind) within interval.
func Recipients(db *gorm.DB, surveyID uint, kind string, interval time.Duration, at time.Time) ([]Recipient, int, error) {
	base := `SELECT i.* FROM invitations i
		WHERE i.survey_id = ? AND i.revoked_at IS NULL AND i.email <> ''`
	args := []any{surveyID}
	switch kind {
	case MailInvitation:
		base += ` AND NOT EXISTS (SELECT 1 FROM mail_sends s WHERE s.invitation_id = i.id AND s.kind = ? AND s.ok)`
		args = append(args, MailInvitation)
	case MailReminder:
		base += ` AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.survey_id = i.survey_id
			AND r.municipality_code = i.municipality_code AND r.status = ?)`
		args = append(args, ResponseSubmitted)
	case MailReminderDraft: // the link's own response is a draft
		base += ` AND EXISTS (SELECT 1 FROM responses r WHERE r.id = i.response_id AND r.status = ?)`
		args = append(args, ResponseDraft)
	default:
		return nil, 0, fmt.Errorf("mail kind %q: %w", kind, ErrNotFound)
	}
	var all []Recipient
	if err := db.Raw(base+` ORDER BY i.municipality_code`, args...).Scan(&all).Error; err != nil {
		return nil, 0, err
	}
	if kind == MailInvitation {
		return all, 0, nil
	}
	var recent []string
	err := db.Model(&MailSend{}).Where("survey_id = ? AND kind IN ? AND ok AND at > ?", surveyID, []string{MailReminder, MailReminderDraft}, at.Add(-interval)).
		Distinct().Pluck("lower(email)", &recent).Error
	if err != nil {
		return nil, 0, err
	}
	skip := map[string]bool{}
	for _, e := range recent {
		skip[e] = true
	}
	out := all[:0]
	skipped := 0
	for _, r := range all {
		if skip[strings.ToLower(r.Email)] {
			skipped++
			continue
		}
		skip[strings.ToLower(r.Email)] = true // one reminder per address, also within one run
		out = append(out, r)
	}
	return out, skipped, nil
}

// MailLog returns the latest sends of a survey, newest first.
func MailLog(db *gorm.DB, surveyID uint, limit int) ([]MailSend, error) {
	var out []MailSend
	err := db.Where("survey_id = ?", surveyID).Order("at DESC, id DESC").Limit(limit).Find(&out).Error
	return out, err
}

// MailSummary is, per invitation, when it was last mailed successfully.
type MailSummary struct {
	InvitationID uint
	InvitedAt    *time.Time
	RemindedAt   *time.Time
	Failed       bool // the latest attempt failed
}

// MailSummaries returns the mail state of each live invitation of a survey, by invitation id.
func MailSummaries(db *gorm.DB, surveyID uint) (map[uint]MailSummary, error) {
	var rows []struct {
		InvitationID uint
		Kind         string
		OK           bool
		At           string
	}
	err := db.Raw(`SELECT invitation_id, kind, ok, `+dialectOf(db).timeText("MAX(at)")+` AS at FROM mail_sends WHERE survey_id = ?
		GROUP BY invitation_id, kind, ok`, surveyID).Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := map[uint]MailSummary{}
	lastOK, lastFail := map[uint]string{}, map[uint]string{}
	for _, r := range rows {
		m := out[r.InvitationID]
		m.InvitationID = r.InvitationID
		t, err := parseTime(r.At)
		if err != nil {
			return nil, fmt.Errorf("mail send time: %w", err)
		}
		switch {
		case !r.OK:
			lastFail[r.InvitationID] = max(lastFail[r.InvitationID], r.At)
		case r.Kind == MailInvitation:
			m.InvitedAt = &t
			lastOK[r.InvitationID] = max(lastOK[r.InvitationID], r.At)
		default:
			if m.RemindedAt == nil || t.After(*m.RemindedAt) {
				m.RemindedAt = &t
			}
			lastOK[r.InvitationID] = max(lastOK[r.InvitationID], r.At)
		}
		out[r.InvitationID] = m
	}
	for id, f := range lastFail {
		m := out[id]
		m.Failed = f > lastOK[id]
		out[id] = m
	}
	return out, nil
}
