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
	Run        *mailRunView // the latest run, nil before the first
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

// mailRunView is the progress of one run of background sending.
type mailRunView struct {
	ID                   uint
	Kind                 string
	At                   time.Time
	Who                  string
	Queued, Sent, Failed int
	Active               bool
	Failures             []mailLogRow
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
	view.Log = mailRows(log)
	run, err := models.LatestMailRun(db, o.ID)
	if errors.Is(err, models.ErrNotFound) {
		return view, nil
	}
	if err != nil {
		return nil, err
	}
	view.Run = &mailRunView{ID: run.ID, Kind: mailKindLabels[run.Kind], At: run.CreatedAt, Who: run.Actor,
		Queued: run.Queued, Sent: run.Sent, Failed: run.Failed, Active: run.FinishedAt == nil}
	for _, m := range run.Failures {
		view.Run.Failures = append(view.Run.Failures, mailLogRow{At: *m.At, Email: m.Email, Kind: view.Run.Kind, Error: m.Error})
	}
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

// sendMail queues one kind of mail for everyone it is due to now and redirects to the
// e-mail page at once; the mail worker sends it in the background (mailworker.go).
func (h *Handler) sendMail(c *echo.Context) error {
	ctx := c.Request().Context()
	s, err := models.FindSurvey(h.db.Read.WithContext(ctx), c.Param("slug"))
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
	ts, err := models.MailTemplates(h.db.Read.WithContext(ctx), s.ID)
	if err != nil {
		return err
	}
	run := &models.MailRun{SurveyID: s.ID, Kind: kind, Actor: researcher(c).Email, Subject: ts[kind].Subject, Body: ts[kind].Body,
		LinkBase: h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"), CreatedAt: time.Now().UTC()}
	run.SetTexts(ts)
	queued, skipped, err := models.StartMailRun(h.db.Write.WithContext(ctx), run, time.Duration(days)*24*time.Hour)
	if errors.Is(err, models.ErrMailBusy) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", mailBusy)
	}
	if err != nil {
		return err
	}
	msg := mailKindLabels[kind] + ": er was niemand om te mailen."
	if queued > 0 {
		h.mail.wake()
		h.log.Info("mail queued", "survey", s.Slug, "kind", kind, "run", run.ID, "queued", queued, "skipped", skipped)
		msg = fmt.Sprintf("%s: %d berichten staan klaar en gaan nu op de achtergrond uit. Hieronder ziet u de voortgang.", mailKindLabels[kind], queued)
	}
	if skipped > 0 {
		msg += fmt.Sprintf(" %d adressen overgeslagen: die kregen de afgelopen %d dagen al een herinnering.", skipped, days)
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", msg)
}

const mailBusy = "Er worden al berichten voor deze peiling verstuurd. Wacht tot dat klaar is en kijk dan hieronder wat er is verstuurd."

// retryMail puts the failed messages of a run back in the queue.
func (h *Handler) retryMail(c *echo.Context) error {
	ctx := c.Request().Context()
	s, err := models.FindSurvey(h.db.Read.WithContext(ctx), c.Param("slug"))
	if err != nil {
		return err
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return echo.ErrNotFound
	}
	if !h.cfg.Mail.Enabled() {
		return h.renderSendProblem(c, models.MailInvitation, "", "E-mail is niet ingesteld op deze server (PEILING_SMTP_URL).")
	}
	n, err := models.RetryFailedMail(h.db.Write.WithContext(ctx), s.ID, uint(id))
	if errors.Is(err, models.ErrMailBusy) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", mailBusy)
	}
	if err != nil {
		return err
	}
	msg := "Er was niets opnieuw te versturen: de mislukte berichten zijn intussen toch verstuurd, of hun link is ingetrokken."
	if n > 0 {
		h.mail.wake()
		h.log.Info("mail retried", "survey", s.Slug, "run", id, "queued", n)
		msg = fmt.Sprintf("%d mislukte berichten staan opnieuw klaar en gaan nu op de achtergrond uit.", n)
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
