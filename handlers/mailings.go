package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"peiling/mail"
	"peiling/models"
)

// mailKindLabels name the kinds of e-mail on the page.
var mailKindLabels = map[string]string{
	models.MailInvitation:    "Uitnodiging",
	models.MailReminder:      "Herinnering aan gemeenten zonder verzonden antwoorden",
	models.MailReminderDraft: "Herinnering aan gemeenten met een concept",
}

// defaultReminderDays is how long an address is left alone after a reminder, unless the
// researcher chooses otherwise on the form.
const defaultReminderDays = 3

type mailView struct {
	Researcher *models.Researcher
	Survey     *models.SurveyOverview
	Enabled    bool
	From       string
	Templates  []mailTemplateView
	Audiences  []mailAudience
	Days       string // the reminder interval as typed
	Log        []mailLogRow
	Failures   []mailLogRow
	Errors     []problemView
	Field      map[string]string
}

type mailTemplateView struct {
	Kind, Label   string
	Subject, Body string
}

// mailAudience is who one kind of mail would go to now.
type mailAudience struct {
	Kind, Label string
	Count       int
	Skipped     int // reminded within the interval
}

type mailLogRow struct {
	At    time.Time
	Who   string
	Email string
	Kind  string
	OK    bool
	Error string
}

func (h *Handler) showMail(c *echo.Context) error {
	view, err := h.mailPage(c, defaultReminderDays)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/mail", view)
}

func (h *Handler) mailPage(c *echo.Context, days int) (*mailView, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	o, err := models.FindSurveyOverview(db, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	ts, err := models.MailTemplates(db, o.ID)
	if err != nil {
		return nil, err
	}
	view := &mailView{Researcher: researcher(c), Survey: o, Enabled: h.cfg.Mail.Enabled(), From: h.cfg.Mail.From, Days: strconv.Itoa(days)}
	for _, kind := range models.MailKinds {
		t := ts[kind]
		view.Templates = append(view.Templates, mailTemplateView{Kind: kind, Label: mailKindLabels[kind], Subject: t.Subject, Body: t.Body})
		rs, skipped, err := models.Recipients(db, o.ID, kind, time.Duration(days)*24*time.Hour, time.Now().UTC())
		if err != nil {
			return nil, err
		}
		view.Audiences = append(view.Audiences, mailAudience{Kind: kind, Label: mailKindLabels[kind], Count: len(rs), Skipped: skipped})
	}
	log, err := models.MailLog(db, o.ID, 50)
	if err != nil {
		return nil, err
	}
	failures, err := models.MailFailures(db, o.ID)
	if err != nil {
		return nil, err
	}
	view.Log, view.Failures = mailRows(log), mailRows(failures)
	return view, nil
}

func mailRows(sends []models.MailSend) []mailLogRow {
	out := make([]mailLogRow, len(sends))
	for i, s := range sends {
		out[i] = mailLogRow{At: s.At, Who: s.Actor, Email: s.Email, Kind: mailKindLabels[s.Kind], OK: s.OK, Error: s.Error}
	}
	return out
}

// saveMailTemplates stores the three texts; each needs a subject and a body with {{link}}.
func (h *Handler) saveMailTemplates(c *echo.Context) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	var ts []models.MailTemplate
	var problems []problemView
	fields := map[string]string{}
	for _, kind := range models.MailKinds {
		t := models.MailTemplate{Kind: kind, Subject: strings.TrimSpace(c.FormValue("onderwerp-" + kind)), Body: strings.TrimSpace(c.FormValue("tekst-" + kind))}
		label := strings.ToLower(mailKindLabels[kind])
		subjectMsg, bodyMsg := "", ""
		switch {
		case t.Subject == "":
			subjectMsg = "Vul het onderwerp van de " + label + " in"
		case utf8.RuneCountInString(t.Subject) > 200:
			subjectMsg = "Het onderwerp van de " + label + " mag hoogstens 200 tekens zijn"
		}
		switch {
		case t.Body == "":
			bodyMsg = "Vul de tekst van de " + label + " in"
		case utf8.RuneCountInString(t.Body) > 10_000:
			bodyMsg = "De tekst van de " + label + " mag hoogstens 10.000 tekens zijn"
		case t.CheckTemplate() != nil:
			bodyMsg = "Zet {{link}} in de tekst van de " + label + ": zonder link kan de gemeente niet beginnen"
		}
		for field, msg := range map[string]string{"onderwerp-" + kind: subjectMsg, "tekst-" + kind: bodyMsg} {
			if msg != "" {
				fields[field] = msg
			}
		}
		if subjectMsg != "" {
			problems = append(problems, problemView{Href: "#onderwerp-" + kind, Message: subjectMsg})
		}
		if bodyMsg != "" {
			problems = append(problems, problemView{Href: "#tekst-" + kind, Message: bodyMsg})
		}
		ts = append(ts, t)
	}
	if len(problems) > 0 {
		view, err := h.mailPage(c, defaultReminderDays)
		if err != nil {
			return err
		}
		for i := range view.Templates {
			view.Templates[i].Subject, view.Templates[i].Body = ts[i].Subject, ts[i].Body
		}
		view.Errors, view.Field = problems, fields
		return c.Render(http.StatusUnprocessableEntity, "admin/mail", view)
	}
	if err := models.SaveMailTemplates(h.db.Write.WithContext(c.Request().Context()), s.ID, ts); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", "De teksten zijn opgeslagen.")
}

// sendMail mails one kind to everyone it is due to, records each attempt and reports.
func (h *Handler) sendMail(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return err
	}
	kind := c.FormValue("soort")
	if _, ok := mailKindLabels[kind]; !ok {
		return echo.ErrBadRequest
	}
	days, problem := defaultReminderDays, ""
	if kind != models.MailInvitation {
		days, problem = parseDays(c.FormValue("dagen"))
	}
	if problem == "" && !h.cfg.Mail.Enabled() {
		problem = "E-mail is niet ingesteld op deze server (PEILING_SMTP_URL). Download de links en verstuur ze met uw eigen mailprogramma."
	}
	if problem != "" {
		return h.renderSendProblem(c, kind, c.FormValue("dagen"), problem)
	}
	if _, busy := h.sending.LoadOrStore(s.ID, struct{}{}); busy {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email",
			"Er worden al berichten voor deze peiling verstuurd. Wacht tot dat klaar is en kijk dan hieronder wat er is verstuurd.")
	}
	defer h.sending.Delete(s.ID)
	recipients, skipped, err := models.Recipients(db, s.ID, kind, time.Duration(days)*24*time.Hour, time.Now().UTC())
	if err != nil {
		return err
	}
	sent, failed, err := h.deliver(c, s, kind, recipients)
	if err != nil {
		return err
	}
	h.log.Info("mail sent", "survey", s.Slug, "kind", kind, "sent", sent, "failed", failed, "skipped", skipped)
	msg := fmt.Sprintf("%s: %d verstuurd, %d mislukt.", mailKindLabels[kind], sent, failed)
	if skipped > 0 {
		msg += fmt.Sprintf(" %d adressen overgeslagen: die kregen de afgelopen %d dagen al een herinnering.", skipped, days)
	}
	if failed > 0 {
		msg += " Mislukte berichten zijn niet als verstuurd gemarkeerd; u kunt ze hieronder opnieuw versturen."
	}
	if len(recipients) == 0 {
		msg = mailKindLabels[kind] + ": er was niemand om te mailen."
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", msg)
}

func parseDays(v string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 60 {
		return 0, "Vul bij ‘Niet opnieuw herinneren binnen’ een aantal dagen in van 1 tot en met 60"
	}
	return n, ""
}

func (h *Handler) renderSendProblem(c *echo.Context, kind, days, problem string) error {
	view, err := h.mailPage(c, defaultReminderDays)
	if err != nil {
		return err
	}
	view.Days = days
	href := "#dagen-" + kind
	if kind == models.MailInvitation {
		href = "#verzenden-" + kind
	}
	view.Errors = []problemView{{Href: href, Message: problem}}
	view.Field = map[string]string{"verzenden-" + kind: problem}
	return c.Render(http.StatusUnprocessableEntity, "admin/mail", view)
}

// deliver sends kind to recipients over SMTP and records every attempt, also when the
// browser went away meanwhile: what the server accepted must be on record.
func (h *Handler) deliver(c *echo.Context, s *models.Survey, kind string, recipients []models.Recipient) (sent, failed int, err error) {
	if len(recipients) == 0 {
		return 0, 0, nil
	}
	ctx := context.WithoutCancel(c.Request().Context())
	ts, err := models.MailTemplates(h.db.Read.WithContext(ctx), s.ID)
	if err != nil {
		return 0, 0, err
	}
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return 0, 0, err
	}
	msgs := make([]mail.Message, len(recipients))
	for i, r := range recipients {
		token, err := h.links.Token(&r.Invitation)
		if err != nil {
			return 0, 0, err
		}
		name := r.MunicipalityCode
		if m, ok := reg.ByCode(r.MunicipalityCode); ok {
			name = m.Name
		}
		subject, body := ts[kind].Fill(models.Placeholders{Survey: s.Title, Municipality: name, Name: r.ContactName,
			Link: h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"+token)})
		msgs[i] = mail.Message{To: r.Email, ToName: r.ContactName, Subject: subject, Body: body}
	}
	sendCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	errs := mail.Send(sendCtx, h.cfg.Mail, msgs)
	who, at := researcher(c).Email, time.Now().UTC()
	records := make([]models.MailSend, len(recipients))
	for i, r := range recipients {
		records[i] = models.MailSend{SurveyID: s.ID, InvitationID: r.ID, Kind: kind, Email: r.Email, Actor: who, At: at, OK: errs[i] == nil}
		if errs[i] != nil {
			records[i].Error = describeSendError(errs[i])
			failed++
		} else {
			sent++
		}
	}
	if err := models.RecordSends(h.db.Write.WithContext(ctx), records); err != nil {
		return 0, 0, fmt.Errorf("record %d sends: %w", len(records), err)
	}
	return sent, failed, nil
}

// describeSendError says in Dutch what went wrong, with the server's own words.
func describeSendError(err error) string {
	var proto *textproto.Error
	if errors.As(err, &proto) {
		return fmt.Sprintf("De mailserver weigerde het bericht: %d %s", proto.Code, proto.Msg)
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return "Geen verbinding met de mailserver (" + op.Err.Error() + ")"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "De mailserver antwoordde niet op tijd"
	}
	return "Versturen mislukt: " + err.Error()
}
