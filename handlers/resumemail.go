package handlers

import (
	"context"
	"fmt"
	"net/http"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

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
	refuse := func(status int, msg string) error {
		view.MailError, view.Errors = msg, []problemView{{Href: "#email", Message: msg}}
		return c.Render(status, "respond/resume", view)
	}
	if msg := checkResumeAddress(view.Email); msg != "" {
		return refuse(http.StatusUnprocessableEntity, msg)
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
			return refuse(http.StatusTooManyRequests, "U heeft de link het afgelopen uur al een paar keer laten mailen. Kopieer de link hierboven, of probeer het over een uur opnieuw")
		}
		if wait > 0 {
			return refuse(http.StatusTooManyRequests, "Naar dit adres is vandaag al een paar keer een link gemaild, of er worden nu te veel links gemaild. Kopieer de link hierboven en bewaar hem zelf")
		}
	}
	for _, lim := range limits { // every attempt counts, sent or not
		if err := lim.l.fail(ctx, lim.key, now); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	msg := mail.Message{To: view.Email, Subject: "Uw link om verder te gaan met " + s.Title, Body: resumeMailBody(s.Title, link)}
	if err := sendOne(ctx, h.cfg.Mail, msg); err != nil {
		h.log.Warn("resume mail not sent", "survey", s.Slug, "response", r.ID, "err", describeSendError(err))
		return refuse(http.StatusBadGateway, "Het mailen lukte niet. Kopieer de link hierboven en bewaar hem zelf")
	}
	if err := h.flash(c, "We hebben de link gemaild naar "+view.Email+". Ziet u hem niet? Kijk ook bij uw ongewenste e-mail."); err != nil {
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

// checkResumeAddress returns what is wrong with addr as one plain e-mail address, in Dutch.
func checkResumeAddress(addr string) string {
	if addr == "" {
		return "Vul uw e-mailadres in"
	}
	a, err := netmail.ParseAddress(addr)
	if err != nil || a.Address != addr || len(addr) > 254 || strings.ContainsAny(addr, ",; \r\n") {
		return "Vul één e-mailadres in, zoals naam@gemeente.nl"
	}
	return ""
}

// resumeMailBody is the fixed text of the resume mail.
func resumeMailBody(title, link string) string {
	return fmt.Sprintf(`Goedendag,

U vroeg om de link waarmee u verdergaat met de peiling "%s". Met deze link gaat u verder waar u was, ook op een andere computer:

%s

Deel de link alleen met collega's van uw gemeente. Iedereen met deze link kan de antwoorden zien en aanpassen, tot ze zijn verzonden.

Heeft u hier niet om gevraagd? Dan kunt u deze e-mail negeren.

Dit is een automatisch bericht van Peiling.`, title, link)
}
