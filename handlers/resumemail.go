package handlers

import (
	"context"
	"net/http"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/mail"
)

// Resume mails are bounded three ways, because drafts cost nothing to make: per draft (enough
// for a respondent who mistyped an address), per address (someone who makes a draft per mail
// still reaches a stranger only a few times a day), and for the whole installation (a flood
// of drafts cannot turn it into a mailer).
const (
	resumeMailsPerHour       = 3   // per draft
	resumeMailsPerAddressDay = 3   // per recipient
	resumeMailsPerHourAll    = 200 // all drafts together
)

// mailResumeLink e-mails the draft's resume link to one address the respondent typed. The
// text is fixed; only the survey's title and the link go in. Only when mail is configured.
func (h *Handler) mailResumeLink(c *echo.Context) error {
	s, _, err := h.loadSurvey(c)
	if err != nil {
		return err
	}
	if err := s.Accepting(); err != nil {
		return err
	}
	if !h.cfg.Mail.Enabled() {
		return echo.ErrNotFound
	}
	r, def, ok, err := h.loadOwnDraft(c, s)
	if !ok {
		return err
	}
	link := h.absURL(c, "/s/"+s.Slug+"/hervat/"+h.draftToken(c, s.Slug))
	view := resumeView{Survey: s, Link: link, ContinueURL: continueURL(s.Slug, r, len(def.Sections)), MailEnabled: true,
		Email: strings.TrimSpace(c.FormValue("email"))}
	t := tr(c)
	refuse := func(status int, key string) error {
		msg := t.T("respond.resume." + key)
		view.MailError, view.Errors = msg, []problemView{{Href: "#email", Message: msg}}
		return c.Render(status, "respond/resume", view)
	}
	if problem := checkResumeAddress(view.Email); problem != "" {
		return refuse(http.StatusUnprocessableEntity, problem)
	}
	key, to, now, ctx := strconv.FormatUint(uint64(r.ID), 10), strings.ToLower(view.Email), time.Now(), c.Request().Context()
	limits := []struct {
		l   *failureLimiter
		key string
	}{{h.resumeMails, key}, {h.resumeMailsTo, to}, {h.resumeMailsAll, ""}}
	for i, lim := range limits {
		wait, err := lim.l.blocked(ctx, lim.key, now)
		if err != nil {
			return err
		}
		if wait > 0 && i == 0 {
			return refuse(http.StatusTooManyRequests, "mail_too_often")
		}
		if wait > 0 {
			return refuse(http.StatusTooManyRequests, "mail_address_too_often")
		}
	}
	for _, lim := range limits { // every attempt counts, sent or not
		if err := lim.l.fail(ctx, lim.key, now); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	msg := mail.Message{To: view.Email, Subject: t.T("mail.resume.subject", "Survey", s.Title), Body: resumeMailBody(t, s.Title, link)}
	if err := sendOne(ctx, h.cfg.Mail, msg); err != nil {
		h.log.Warn("resume mail not sent", "survey", s.Slug, "response", r.ID, "err", describeSendError(err))
		return refuse(http.StatusBadGateway, "mail_failed")
	}
	if err := h.flash(c, t.T("respond.resume.mailed", "Email", view.Email)); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/s/"+s.Slug+"/later")
}

// sendOne sends one message on its own connection, while the respondent waits: one mail
// needs no queue, and the page can say at once whether it went.
func sendOne(ctx context.Context, cfg mail.Config, m mail.Message) error {
	conn, err := mail.Dial(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Send(m)
}

// checkResumeAddress returns what is wrong with addr as one plain e-mail address: the key of
// its message (respond.resume.KEY), or "".
func checkResumeAddress(addr string) string {
	if addr == "" {
		return "email_missing"
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || len(addr) > 254 || strings.ContainsAny(addr, ",; \r\n") {
		return "email_invalid"
	}
	return ""
}

// resumeMailBody is the fixed text of the resume mail, in the respondent's language.
func resumeMailBody(t *locales.Translator, title, link string) string {
	return t.T("mail.resume.body", "Survey", title, "Link", link)
}
