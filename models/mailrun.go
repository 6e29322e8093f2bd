package models

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// States of one queued message.
const (
	MailQueued = "queued" // waiting for the mail worker, or in flight when the process stopped
	MailSent   = "sent"   // the SMTP server accepted it
	MailFailed = "failed" // refused, or no connection; a retry puts it back in the queue
)

// MailRun is one press of a send button: one kind of mail to the recipients of that moment,
// sent in the background. It is unfinished while any of its messages is queued; schema step 3
// allows one unfinished run per survey.
type MailRun struct {
	ID       uint   `gorm:"primaryKey"`
	SurveyID uint   `gorm:"not null;index"`
	Kind     string `gorm:"not null"`
	Actor    string `gorm:"not null"`
	// Subject and Body are the template as it was when the run started; a text edited while
	// the run sends does not change it halfway.
	Subject string `gorm:"not null"`
	Body    string `gorm:"not null"`
	// Texts are the template in the other languages, as JSON (language → subject and body);
	// a contact whose language has none gets Subject and Body.
	Texts string `gorm:"not null;default:''"`
	// LinkBase is the invitation link up to the token. The token itself is opened only when
	// the message is sent: the queue holds no usable link.
	LinkBase   string    `gorm:"not null"`
	Skipped    int       `gorm:"not null;default:0"`
	CreatedAt  time.Time `gorm:"not null"`
	FinishedAt *time.Time
	// LeaseOwner is the mail worker that sends this run until LeaseUntil (ClaimMailRun): of
	// several instances on one database, one sends a run at a time, and another takes over
	// when the lease runs out because its owner stopped or crashed.
	LeaseOwner string `gorm:"not null;default:''"`
	LeaseUntil *time.Time
}

// MailMessage is one recipient of a run: the address is the one the invitation had when the
// run started.
type MailMessage struct {
	ID           uint       `gorm:"primaryKey"`
	RunID        uint       `gorm:"not null;index"`
	InvitationID uint       `gorm:"not null"`
	Email        string     `gorm:"not null"`
	ContactName  string     `gorm:"not null;default:''"`
	State        string     `gorm:"not null"`
	Error        string     `gorm:"not null;default:''"`
	At           *time.Time // when it was sent or failed
}

// errNobody ends a run's transaction that found nobody to mail.
var errNobody = errors.New("nobody to mail")

// StartMailRun queues run.Kind for everyone Recipients returns now, in one transaction with
// the run, and returns how many were queued and skipped. Nobody to mail leaves no run.
// While another run of the survey is unfinished it returns ErrMailBusy.
func StartMailRun(db *gorm.DB, run *MailRun, interval time.Duration) (queued, skipped int, err error) {
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(run).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrMailBusy
			}
			return err
		}
		rs, n, err := Recipients(tx, run.SurveyID, run.Kind, interval, run.CreatedAt)
		if err != nil {
			return err
		}
		skipped = n
		if len(rs) == 0 {
			return errNobody
		}
		msgs := make([]MailMessage, len(rs))
		for i, r := range rs {
			msgs[i] = MailMessage{RunID: run.ID, InvitationID: r.ID, Email: r.Email, ContactName: r.ContactName, State: MailQueued}
		}
		if err := tx.CreateInBatches(msgs, 200).Error; err != nil {
			return err
		}
		queued = len(msgs)
		return tx.Model(run).Update("skipped", skipped).Error
	})
	if errors.Is(err, errNobody) {
		return 0, skipped, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("start %s run of survey %d: %w", run.Kind, run.SurveyID, err)
	}
	return queued, skipped, nil
}

// QueuedMail is the next message to send, with what it takes to write it.
type QueuedMail struct {
	Message    MailMessage
	Run        MailRun
	Invitation Invitation
	Survey     Survey
}

// ClaimMailRun gives owner the lease on the oldest unfinished run with queued mail that no
// other worker holds a lease on at at, until at+lease, and returns it; ErrNotFound when there
// is none. The lease is taken by one conditional UPDATE: of two workers that read the same
// free run, the second finds it taken (on PostgreSQL it waits for the first's row lock and
// reads the row again) and gets ErrMailBusy.
func ClaimMailRun(db *gorm.DB, owner string, at time.Time, lease time.Duration) (*MailRun, error) {
	at = at.UTC()
	free := "(lease_until IS NULL OR lease_until <= ? OR lease_owner = ?)"
	var run MailRun
	err := db.Transaction(func(tx *gorm.DB) error {
		err := tx.Where("finished_at IS NULL AND "+free, at, owner).
			Where("EXISTS (SELECT 1 FROM mail_messages m WHERE m.run_id = mail_runs.id AND m.state = ?)", MailQueued).
			Order("id").Take(&run).Error
		if err != nil {
			return notFound(err)
		}
		until := at.Add(lease)
		res := tx.Model(&MailRun{}).Where("id = ? AND "+free, run.ID, at, owner).
			Updates(map[string]any{"lease_owner": owner, "lease_until": until})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return ErrMailBusy
		}
		run.LeaseOwner, run.LeaseUntil = owner, &until
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim a mail run: %w", err)
	}
	return &run, nil
}

// RenewMailLease extends owner's lease on run id to at+lease before the next message goes
// out. ErrMailBusy: owner no longer holds it (it ran out and another worker took the run), so
// owner must stop sending the run.
func RenewMailLease(db *gorm.DB, id uint, owner string, at time.Time, lease time.Duration) error {
	res := db.Model(&MailRun{}).Where("id = ? AND lease_owner = ?", id, owner).Update("lease_until", at.UTC().Add(lease))
	if res.Error != nil {
		return fmt.Errorf("renew the lease on mail run %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrMailBusy
	}
	return nil
}

// ReleaseMailLeases gives up owner's leases, so that another worker may send those runs at
// once instead of after the lease ran out.
func ReleaseMailLeases(db *gorm.DB, owner string) error {
	return db.Model(&MailRun{}).Where("lease_owner = ?", owner).Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
}

// ReleaseLeasesOfAnEarlierProcess gives up every lease at start on SQLite, where one process
// serves a file (docs/deployment.md): a lease found there is a killed process's, and waiting for
// it to run out would delay its mail by minutes. On PostgreSQL a lease may be a live instance's,
// so those run out instead.
func ReleaseLeasesOfAnEarlierProcess(db *gorm.DB) error {
	if dialectOf(db).postgres() {
		return nil
	}
	return db.Model(&MailRun{}).Where("lease_owner <> ''").Updates(map[string]any{"lease_owner": "", "lease_until": nil}).Error
}

// NextQueuedMail returns the oldest queued message of run runID (of any run when 0), or
// ErrNotFound when there is none.
func NextQueuedMail(db *gorm.DB, runID uint) (*QueuedMail, error) {
	var q QueuedMail
	where := db.Where("state = ?", MailQueued)
	if runID != 0 {
		where = where.Where("run_id = ?", runID)
	}
	if err := where.Order("id").Take(&q.Message).Error; err != nil {
		return nil, notFound(err)
	}
	if err := db.Take(&q.Run, q.Message.RunID).Error; err != nil {
		return nil, fmt.Errorf("run of mail message %d: %w", q.Message.ID, err)
	}
	if err := db.Take(&q.Invitation, q.Message.InvitationID).Error; err != nil {
		return nil, fmt.Errorf("invitation of mail message %d: %w", q.Message.ID, err)
	}
	if err := db.Take(&q.Survey, q.Run.SurveyID).Error; err != nil {
		return nil, fmt.Errorf("survey of mail run %d: %w", q.Run.ID, err)
	}
	return &q, nil
}

// RecordMail stores the outcome of one queued message in its own transaction: its state,
// a line in the mail log, and the end of its run when nothing of the run is queued any more.
// An empty failure means the server accepted the message. A message no longer queued is
// left alone.
func RecordMail(db *gorm.DB, q *QueuedMail, failure string, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		return record(tx, q.Run, q.Message, failure, at)
	})
}

func record(tx *gorm.DB, run MailRun, m MailMessage, failure string, at time.Time) error {
	state := MailSent
	if failure != "" {
		state = MailFailed
	}
	res := tx.Model(&MailMessage{}).Where("id = ? AND state = ?", m.ID, MailQueued).
		Updates(map[string]any{"state": state, "error": failure, "at": at})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return nil
	}
	send := MailSend{SurveyID: run.SurveyID, InvitationID: m.InvitationID, Kind: run.Kind, Email: m.Email,
		Actor: run.Actor, At: at, OK: failure == "", Error: failure}
	if err := tx.Create(&send).Error; err != nil {
		return err
	}
	return finishIdleRuns(tx, run.ID, at)
}

// FailQueuedMail marks every queued message of run as failed, as when the mail server
// cannot be reached.
func FailQueuedMail(db *gorm.DB, run MailRun, failure string, at time.Time) error {
	return db.Transaction(func(tx *gorm.DB) error {
		var queued []MailMessage
		if err := tx.Where("run_id = ? AND state = ?", run.ID, MailQueued).Order("id").Find(&queued).Error; err != nil {
			return err
		}
		for _, m := range queued {
			if err := record(tx, run, m, failure, at); err != nil {
				return err
			}
		}
		return finishIdleRuns(tx, run.ID, at)
	})
}

// FinishIdleMailRuns ends the unfinished runs that have nothing queued.
func FinishIdleMailRuns(db *gorm.DB, at time.Time) error {
	return finishIdleRuns(db, 0, at)
}

// finishIdleRuns ends run id (every run when 0) if nothing of it is queued.
func finishIdleRuns(db *gorm.DB, id uint, at time.Time) error {
	q := db.Model(&MailRun{}).Where("finished_at IS NULL AND NOT EXISTS (SELECT 1 FROM mail_messages m WHERE m.run_id = mail_runs.id AND m.state = ?)", MailQueued)
	if id != 0 {
		q = q.Where("id = ?", id)
	}
	return q.Update("finished_at", at).Error
}

// RetryFailedMail puts the failed messages of run id of survey surveyID back in the queue and
// returns how many. It leaves out revoked invitations and those that got this kind of mail
// since the run started. While another run of the survey is unfinished it returns ErrMailBusy.
func RetryFailedMail(db *gorm.DB, surveyID, id uint) (int, error) {
	var n int
	err := db.Transaction(func(tx *gorm.DB) error {
		var run MailRun
		if err := tx.Where("id = ? AND survey_id = ?", id, surveyID).Take(&run).Error; err != nil {
			return notFound(err)
		}
		res := tx.Exec(`UPDATE mail_messages SET state = ?, error = '', at = NULL
			WHERE run_id = ? AND state = ?
			AND invitation_id IN (SELECT id FROM invitations WHERE revoked_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM mail_sends s WHERE s.invitation_id = mail_messages.invitation_id
				AND s.kind = ? AND s.ok AND s.at >= ?)`, MailQueued, run.ID, MailFailed, run.Kind, run.CreatedAt)
		if res.Error != nil {
			return res.Error
		}
		n = int(res.RowsAffected)
		if n == 0 {
			return nil
		}
		err := tx.Model(&run).Update("finished_at", nil).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return ErrMailBusy
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("retry mail run %d: %w", id, err)
	}
	return n, nil
}

// MailRunStatus is a run with its progress.
type MailRunStatus struct {
	MailRun
	Queued, Sent, Failed int
	Failures             []MailMessage // the failed messages of live invitations, in the order they were queued
}

// LatestMailRun returns the survey's newest run with its counts and failures, or
// ErrNotFound when it never sent mail.
func LatestMailRun(db *gorm.DB, surveyID uint) (*MailRunStatus, error) {
	var st MailRunStatus
	if err := db.Where("survey_id = ?", surveyID).Order("id DESC").Take(&st.MailRun).Error; err != nil {
		return nil, notFound(err)
	}
	var counts []struct {
		State string
		N     int
	}
	if err := db.Model(&MailMessage{}).Select("state, COUNT(*) AS n").Where("run_id = ?", st.ID).Group("state").Scan(&counts).Error; err != nil {
		return nil, err
	}
	for _, c := range counts {
		switch c.State {
		case MailQueued:
			st.Queued = c.N
		case MailSent:
			st.Sent = c.N
		case MailFailed:
			st.Failed = c.N
		}
	}
	err := db.Where("run_id = ? AND state = ? AND invitation_id IN (SELECT id FROM invitations WHERE revoked_at IS NULL)", st.ID, MailFailed).
		Order("id").Find(&st.Failures).Error
	return &st, err
}
