package handlers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/textproto"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// mailKindLabels name the kinds of e-mail on the page: catalogue messages.
var mailKindLabels = map[string]string{
	models.MailInvitation:    "admin.mail.kind.invitation",
	models.MailReminder:      "admin.mail.kind.reminder",
	models.MailReminderDraft: "admin.mail.kind.reminder_draft",
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

// mailTemplateView is one kind of mail in one language: Key is its kind in that language
// (models.MailKindIn), ID the form fields' suffix.
type mailTemplateView struct {
	Kind, Key, ID, Label string
	Lang, LangName       string // the text's language, and its name in itself
	Subject, Body        string
}

// mailTexts are the kinds of mail in every language of the catalogue, Dutch first per kind.
func (h *Handler) mailTexts(ts map[string]models.MailTemplate) []mailTemplateView {
	var out []mailTemplateView
	for _, kind := range models.MailKinds {
		for _, l := range h.lang.Languages() {
			key := models.MailKindIn(kind, l.Code())
			t, ok := ts[key]
			if !ok {
				continue // not given: every catalogue language has its defaults (models.DefaultMailTemplates)
			}
			out = append(out, mailTemplateView{Kind: kind, Key: key, ID: strings.ReplaceAll(key, ".", "-"), Label: mailKindLabels[kind],
				Lang: l.Code(), LangName: l.Name(), Subject: t.Subject, Body: t.Body})
		}
	}
	return out
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
	ts, err := models.MailTemplates(db, o.ID, h.mailDefaults)
	if err != nil {
		return nil, err
	}
	view := &mailView{Researcher: researcher(c), Survey: o, Enabled: h.cfg.Mail.Enabled(), From: h.cfg.Mail.From, Days: strconv.Itoa(days)}
	view.Templates = h.mailTexts(ts)
	for _, kind := range models.MailKinds {
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
	view.Log = mailRows(tr(c), log)
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
		view.Run.Failures = append(view.Run.Failures, mailLogRow{At: *m.At, Email: m.Email, Kind: view.Run.Kind, Error: sendErrorIn(tr(c), m.Error)})
	}
	return view, nil
}

func mailRows(t *locales.Translator, sends []models.MailSend) []mailLogRow {
	out := make([]mailLogRow, len(sends))
	for i, s := range sends {
		out[i] = mailLogRow{At: s.At, Who: s.Actor, Email: s.Email, Kind: mailKindLabels[s.Kind], OK: s.OK, Error: sendErrorIn(t, s.Error)}
	}
	return out
}

// saveMailTemplates stores the texts of every kind in every language; each needs a subject and
// a body with {{link}}. A language whose fields the form does not carry keeps its texts.
func (h *Handler) saveMailTemplates(c *echo.Context) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	current, err := models.MailTemplates(h.db.Read.WithContext(c.Request().Context()), s.ID, h.mailDefaults)
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	var ts []models.MailTemplate
	var problems []problemView
	fields := map[string]string{}
	tl := tr(c)
	texts := h.mailTexts(current)
	for i, v := range texts {
		subjectField, bodyField := "onderwerp-"+v.ID, "tekst-"+v.ID
		_, hasSubject := form[subjectField]
		_, hasBody := form[bodyField]
		if v.Lang != models.DutchLanguage && !hasSubject && !hasBody {
			continue
		}
		t := models.MailTemplate{Kind: v.Key, Subject: strings.TrimSpace(form.Get(subjectField)), Body: strings.TrimSpace(form.Get(bodyField))}
		texts[i].Subject, texts[i].Body = t.Subject, t.Body
		label := strings.ToLower(tl.T(mailKindLabels[v.Kind]))
		if v.Lang != models.DutchLanguage {
			label += " (" + v.LangName + ")"
		}
		subjectMsg, bodyMsg := "", ""
		switch {
		case t.Subject == "":
			subjectMsg = tl.T("admin.mail.subject_missing", "Label", label)
		case utf8.RuneCountInString(t.Subject) > 200:
			subjectMsg = tl.T("admin.mail.subject_long", "Label", label)
		}
		switch {
		case t.Body == "":
			bodyMsg = tl.T("admin.mail.body_missing", "Label", label)
		case utf8.RuneCountInString(t.Body) > 10_000:
			bodyMsg = tl.T("admin.mail.body_long", "Label", label)
		case t.CheckTemplate() != nil:
			bodyMsg = tl.T("admin.mail.body_no_link", "Label", label, "Link", "{{link}}")
		}
		if subjectMsg != "" {
			fields[subjectField] = subjectMsg
			problems = append(problems, problemView{Href: "#" + subjectField, Message: subjectMsg})
		}
		if bodyMsg != "" {
			fields[bodyField] = bodyMsg
			problems = append(problems, problemView{Href: "#" + bodyField, Message: bodyMsg})
		}
		ts = append(ts, t)
	}
	if len(problems) > 0 {
		view, err := h.mailPage(c, defaultReminderDays)
		if err != nil {
			return err
		}
		view.Templates = texts
		view.Errors, view.Field = problems, fields
		return c.Render(http.StatusUnprocessableEntity, "admin/mail", view)
	}
	if err := models.SaveMailTemplates(h.db.Write.WithContext(c.Request().Context()), s.ID, ts); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", tr(c).T("admin.mail.saved"))
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
		days, problem = parseDays(tr(c), c.FormValue("dagen"))
	}
	if problem == "" && !h.cfg.Mail.Enabled() {
		problem = tr(c).T("admin.mail.not_set_up_send")
	}
	if problem != "" {
		return h.renderSendProblem(c, kind, c.FormValue("dagen"), problem)
	}
	ts, err := models.MailTemplates(h.db.Read.WithContext(ctx), s.ID, h.mailDefaults)
	if err != nil {
		return err
	}
	run := &models.MailRun{SurveyID: s.ID, Kind: kind, Actor: researcher(c).Email, Subject: ts[kind].Subject, Body: ts[kind].Body,
		LinkBase: h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"), CreatedAt: time.Now().UTC()}
	run.SetTexts(ts)
	queued, skipped, err := models.StartMailRun(h.db.Write.WithContext(ctx), run, time.Duration(days)*24*time.Hour)
	if errors.Is(err, models.ErrMailBusy) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", tr(c).T("admin.mail.busy"))
	}
	if err != nil {
		return err
	}
	t := tr(c)
	msg := t.T("admin.mail.nobody", "Label", t.T(mailKindLabels[kind]))
	if queued > 0 {
		h.mail.wake()
		h.log.Info("mail queued", "survey", s.Slug, "kind", kind, "run", run.ID, "queued", queued, "skipped", skipped)
		msg = t.T("admin.mail.queued", "Label", t.T(mailKindLabels[kind]), "Count", queued)
	}
	if skipped > 0 {
		msg += " " + t.T("admin.mail.skipped", "Count", skipped, "Days", days)
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", msg)
}

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
		return h.renderSendProblem(c, models.MailInvitation, "", tr(c).T("admin.mail.not_set_up"))
	}
	n, err := models.RetryFailedMail(h.db.Write.WithContext(ctx), s.ID, uint(id))
	if errors.Is(err, models.ErrMailBusy) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", tr(c).T("admin.mail.busy"))
	}
	if err != nil {
		return err
	}
	msg := tr(c).T("admin.mail.nothing_to_retry")
	if n > 0 {
		h.mail.wake()
		h.log.Info("mail retried", "survey", s.Slug, "run", id, "queued", n)
		msg = tr(c).T("admin.mail.retried", "Count", n)
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/email", msg)
}

func parseDays(t *locales.Translator, v string) (int, string) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 60 {
		return 0, t.T("admin.mail.days_invalid", "Label", t.T("admin.mail.days_label"))
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

// sendErrorWords are the stored descriptions of a failed mail (describeSendError, composeMail):
// Dutch, as the mail worker has no reader; the e-mail page words them again in the reader's
// language, the server's own words (Detail) as they were.
var sendErrorWords = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`(?s)^De mailserver weigerde het bericht: (.*)$`), "admin.mail.error.refused"},
	{regexp.MustCompile(`(?s)^Geen verbinding met de mailserver \((.*)\)$`), "admin.mail.error.no_connection"},
	{regexp.MustCompile(`^De mailserver antwoordde niet op tijd()$`), "admin.mail.error.timeout"},
	{regexp.MustCompile(`(?s)^Versturen mislukt: (.*)$`), "admin.mail.error.failed"},
	{regexp.MustCompile(`^Niet verstuurd: de uitnodigingslink is intussen ingetrokken of vernieuwd\.()$`), "admin.mail.error.revoked"},
	{regexp.MustCompile(`(?s)^Niet verstuurd: de link kon niet worden gemaakt \((.*)\)$`), "admin.mail.error.no_link"},
}

// sendErrorIn words a stored send failure in t's language; an unknown one stays as stored.
func sendErrorIn(t *locales.Translator, stored string) string {
	for _, w := range sendErrorWords {
		if m := w.re.FindStringSubmatch(stored); m != nil {
			return t.T(w.key, "Detail", m[1])
		}
	}
	return stored
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
