package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"peiling/models"
)

// purgeInterval is how often serve deletes personal data whose retention has passed
// (models/retention.go). Retention is set in days, so an hour late is well within it.
const purgeInterval = time.Hour

// purgeDue deletes, as the system, the personal data of every closed survey that is due at at.
func purgeDue(db *models.DB, at time.Time, log *slog.Logger) {
	done, err := models.PurgeDue(db.Write, at.UTC())
	for _, p := range done {
		log.Info("personal data deleted under the retention setting", "survey", p.Slug,
			"contacts", p.Contacts, "pending", p.Pending, "answers", p.Answers+p.PendingAnswers)
	}
	if err != nil {
		log.Error("delete personal data under the retention setting", "err", err)
	}
}

// pruneExpired deletes the counts of failed logins and links that expired
// (models.FailureCount) and the previews past their lifetime (models.Preview), so that a
// flood of addresses or of shared-preview visitors does not grow the database for good.
func pruneExpired(db *models.DB, at time.Time, log *slog.Logger) {
	failures, err := models.PruneFailures(db.Write, at)
	if err != nil {
		log.Error("prune expired failure counts", "err", err)
	}
	previews, err := models.PrunePreviews(db.Write, at)
	if err != nil {
		log.Error("prune expired previews", "err", err)
	}
	log.Debug("expired rows pruned", "failure_counts", failures, "previews", previews)
}

// purgeCommand is "peiling purge [-now] [-at TIME] [SLUG]".
func purgeCommand(cfg Config, args []string, out io.Writer, log *slog.Logger) error {
	fl := flag.NewFlagSet("purge", flag.ContinueOnError)
	all := fl.Bool("now", false, "delete all personal data of SLUG now, whatever its retention setting")
	atText := fl.String("at", "", "purge as at this moment (RFC 3339, e.g. 2019-04-01T00:00:00Z) instead of now, to check what a date would delete")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 1 || *all && fl.NArg() != 1 {
		return errors.New("usage: peiling purge [-at TIME] [SLUG] | peiling purge -now SLUG")
	}
	at := time.Now().UTC()
	if *atText != "" {
		t, err := time.Parse(time.RFC3339, *atText)
		if err != nil {
			return fmt.Errorf("purge -at: %w", err)
		}
		at = t.UTC()
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	var done []models.Purged
	if fl.NArg() == 0 {
		done, err = models.PurgeDue(db.Write, at)
	} else {
		s, ferr := models.FindSurvey(db.Read, fl.Arg(0))
		if ferr != nil {
			return fmt.Errorf("survey %q: %w", fl.Arg(0), ferr)
		}
		purge := models.Purge
		if *all {
			purge = models.PurgeAll
		}
		var p models.Purged
		p, err = purge(db.Write, s, at, models.System)
		if p.Any() {
			done = append(done, p)
		}
	}
	for _, p := range done {
		fmt.Fprintf(out, "%s: %d contact rows blanked, %d drafts and set-aside responses deleted (%d answers), %d answers of sent responses deleted\n",
			p.Slug, p.Contacts, p.Pending, p.PendingAnswers, p.Answers)
	}
	if len(done) == 0 && err == nil {
		fmt.Fprintln(out, "nothing was due")
	}
	return err
}
