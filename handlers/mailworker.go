package handlers

import (
	"context"
	"errors"
	"time"

	"peiling/mail"
	"peiling/models"
)

// mailWorker holds what the background sender shares with the requests that queue mail.
type mailWorker struct {
	wakeup chan struct{} // one pending wake-up is enough: the worker reads the whole queue
	owner  string        // names this worker in the leases it takes (models.ClaimMailRun)
}

func newMailWorker() mailWorker {
	return mailWorker{wakeup: make(chan struct{}, 1), owner: models.NewToken()[:16]}
}

// wake tells the worker that mail was queued.
func (w mailWorker) wake() {
	select {
	case w.wakeup <- struct{}{}:
	default:
	}
}

// mailPoll is how often an idle worker looks at the queue without being woken. Another
// instance's queued runs, and runs whose sender stopped, are found this way.
const mailPoll = time.Minute

// mailLease is how long a worker holds a run after it last renewed its lease, which it does
// before each message; a message takes at most two of mail's 20-second timeouts (dial, send).
const mailLease = 2 * time.Minute

// SendQueuedMail sends the queued mail runs, one message at a time over one SMTP connection,
// until ctx ends; main runs it beside the server. It first resumes what an earlier process
// left queued. Each message is recorded in its own transaction once the server accepted it,
// so a process killed mid-run sends the one message that was in flight again after a
// restart, and loses none. With several instances on one database each runs a worker; a run
// is sent by the one that holds its lease (models.ClaimMailRun), and taken over by another
// when that one stops: the message in flight at a crash may then go out twice, none is lost.
func (h *Handler) SendQueuedMail(ctx context.Context) {
	if err := models.FinishIdleMailRuns(h.db.Write.WithContext(ctx), time.Now().UTC()); err != nil {
		h.log.Error("finish idle mail runs", "err", err)
	}
	defer func() { // the next worker need not wait for the lease to run out
		if err := models.ReleaseMailLeases(h.db.Write, h.mail.owner); err != nil {
			h.log.Error("release mail leases", "err", err)
		}
	}()
	var conn *mail.Conn
	defer func() {
		if conn != nil {
			_ = conn.Close()
		}
	}()
	for ctx.Err() == nil {
		run, err := models.ClaimMailRun(h.db.Write.WithContext(ctx), h.mail.owner, time.Now(), mailLease)
		switch {
		case errors.Is(err, models.ErrMailBusy):
			continue // another worker took that run a moment ago; there may be another
		case err != nil:
			if !errors.Is(err, models.ErrNotFound) && ctx.Err() == nil {
				h.log.Error("read mail queue", "err", err)
			}
			if conn != nil {
				_ = conn.Close()
				conn = nil
			}
			h.waitForMail(ctx)
			continue
		}
		conn = h.sendRun(ctx, conn, run)
	}
}

// sendRun sends the queued messages of run while this worker holds its lease, and returns
// the connection to use next.
func (h *Handler) sendRun(ctx context.Context, conn *mail.Conn, run *models.MailRun) *mail.Conn {
	for ctx.Err() == nil {
		q, err := models.NextQueuedMail(h.db.Read.WithContext(ctx), run.ID)
		if err != nil {
			if !errors.Is(err, models.ErrNotFound) && ctx.Err() == nil {
				h.log.Error("read mail queue", "run", run.ID, "err", err)
			}
			return conn
		}
		if err := models.RenewMailLease(h.db.Write.WithContext(ctx), run.ID, h.mail.owner, time.Now(), mailLease); err != nil {
			if !errors.Is(err, models.ErrMailBusy) && ctx.Err() == nil {
				h.log.Error("renew mail lease", "run", run.ID, "err", err)
			}
			return conn
		}
		conn = h.sendQueued(ctx, conn, q)
	}
	return conn
}

// waitForMail returns when mail was queued, mailPoll passed, or ctx ended.
func (h *Handler) waitForMail(ctx context.Context) {
	t := time.NewTimer(mailPoll)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-h.mail.wakeup:
	case <-t.C:
	}
}

// sendQueued sends one queued message over conn, dialling when conn is nil, records the
// outcome and returns the connection to use for the next message.
func (h *Handler) sendQueued(ctx context.Context, conn *mail.Conn, q *models.QueuedMail) *mail.Conn {
	msg, failure := h.composeMail(q)
	if failure == "" && conn == nil {
		var err error
		if conn, err = mail.Dial(ctx, h.cfg.Mail); err != nil {
			if ctx.Err() != nil {
				return nil // shutting down: the run stays queued for the next start
			}
			// Nothing of this run can go out now; a retry from the e-mail page queues it again.
			h.log.Warn("mail server unreachable", "run", q.Run.ID, "err", err)
			h.keepTrying(ctx, func() error {
				return models.FailQueuedMail(h.db.Write, q.Run, describeSendError(err), time.Now().UTC())
			})
			return nil
		}
	}
	if failure == "" {
		if err := conn.Send(msg); err != nil {
			failure = describeSendError(err)
			if !mail.Refused(err) { // the connection broke; the next message dials again
				_ = conn.Close()
				conn = nil
			}
		}
	}
	h.keepTrying(ctx, func() error { return models.RecordMail(h.db.Write, q, failure, time.Now().UTC()) })
	return conn
}

// keepTrying runs record until it succeeds or ctx ends. A message the server accepted
// must not stay queued while the process lives: it would go out again at once.
func (h *Handler) keepTrying(ctx context.Context, record func() error) {
	for {
		err := record()
		if err == nil {
			return
		}
		h.log.Error("record mail outcome", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// composeMail writes the message of q with the municipality's own link, or says in Dutch
// why it cannot go out.
func (h *Handler) composeMail(q *models.QueuedMail) (mail.Message, string) {
	if q.Invitation.RevokedAt != nil {
		return mail.Message{}, "Niet verstuurd: de uitnodigingslink is intussen ingetrokken of vernieuwd."
	}
	token, err := h.links.Token(&q.Invitation)
	if err != nil {
		return mail.Message{}, "Niet verstuurd: de link kon niet worden gemaakt (" + err.Error() + ")"
	}
	name := q.Invitation.MunicipalityCode
	if reg, err := h.registers.Get(h.db.Read, q.Survey.Register); err == nil {
		if m, ok := reg.ByCode(name); ok {
			name = m.Name
		}
	}
	// In the contact's language: the run's text and the survey's title, where they exist in it.
	t, title := q.Run.TemplateFor(q.Invitation.Lang), q.Survey.Title
	if def, err := q.Survey.Def(); err == nil {
		title = def.In(q.Invitation.Lang).Title
	}
	contact := q.Message.ContactName
	if contact == "" {
		lang := h.lang.Translator(q.Invitation.Lang)
		if lang == nil {
			lang = h.lang.Dutch()
		}
		contact = lang.Text("mail.default.no_name")
	}
	subject, body := t.Fill(models.Placeholders{Survey: title, Municipality: name, Name: contact, Link: q.Run.LinkBase + token})
	return mail.Message{To: q.Message.Email, ToName: q.Message.ContactName, Subject: subject, Body: body}, ""
}
