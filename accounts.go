package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"peiling/models"
)

// bootstrapResearcher makes sure the account from PEILING_ADMIN_EMAIL and
// PEILING_ADMIN_PASSWORD exists with that password. When no account exists at all, it returns
// the path of a fresh one-time setup link.
func bootstrapResearcher(db *models.DB, cfg Config, log *slog.Logger) (string, error) {
	if (cfg.AdminEmail == "") != (cfg.AdminPassword == "") {
		return "", errors.New("set both PEILING_ADMIN_EMAIL and PEILING_ADMIN_PASSWORD, or neither")
	}
	if cfg.AdminEmail != "" {
		r, err := models.SetResearcher(db.Write, cfg.AdminEmail, cfg.AdminPassword)
		if err != nil {
			return "", fmt.Errorf("researcher from PEILING_ADMIN_EMAIL: %w", err)
		}
		log.Info("researcher account from the environment is ready", "researcher", r.ID)
	}
	token, err := models.NewSetupToken(db.Write)
	if err != nil || token == "" {
		return "", err
	}
	return "/admin/setup/" + token, nil
}

// closeDueSurveys closes the surveys whose closing time is not after at.
func closeDueSurveys(db *models.DB, at time.Time, log *slog.Logger) {
	closed, err := models.CloseDueSurveys(db.Write, at.UTC())
	for _, slug := range closed {
		log.Info("survey closed at its closing time", "survey", slug)
		// Count the breakdowns by a question now, as a close by hand does (handlers/slicejobs.go);
		// a results page that asks before this is done starts its own pass, which stores nothing twice.
		if s, err := models.FindSurvey(db.Read, slug); err == nil {
			go func() {
				started := time.Now()
				n, err := models.PrecomputeSlices(db.Read, db.Write, s)
				if err != nil {
					log.Error("precompute slices", "survey", slug, "err", err)
					return
				}
				log.Info("slices computed", "survey", slug, "slices", n, "ms", time.Since(started).Milliseconds())
			}()
		}
	}
	if err != nil {
		log.Error("close surveys at their closing time", "err", err)
	}
}

// runCloser closes due surveys every interval, and deletes personal data whose retention
// has passed every purgeInterval, until ctx ends.
func runCloser(ctx context.Context, db *models.DB, every time.Duration, log *slog.Logger) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	nextPurge := time.Now().Add(purgeInterval)
	for {
		select {
		case <-ctx.Done():
			return
		case at := <-tick.C:
			closeDueSurveys(db, at, log)
			if !at.Before(nextPurge) {
				purgeDue(db, at, log)
				pruneExpired(db, at, log)
				nextPurge = at.Add(purgeInterval)
			}
		}
	}
}

// userCommand is "peiling user add|passwd|remove EMAIL". A new password and a removal end
// every session of the account at once, also while the server runs.
func userCommand(cfg Config, args []string, std Streams, log *slog.Logger) error {
	if len(args) != 2 || args[0] != "add" && args[0] != "passwd" && args[0] != "remove" {
		return errors.New("usage: peiling user add EMAIL | peiling user passwd EMAIL | peiling user remove EMAIL")
	}
	email, err := models.NormaliseEmail(args[1])
	if err != nil {
		return err
	}
	if args[0] == "remove" {
		return removeUser(cfg, email, std.Out, log)
	}
	password, err := readPassword(std)
	if err != nil {
		return err
	}
	if err := models.CheckPassword(password); err != nil {
		return fmt.Errorf("the password must be at least %d characters (at most %d bytes)", models.MinPasswordLength, models.MaxPasswordBytes)
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if args[0] == "add" {
		_, err = models.AddResearcher(db.Write, email, password, models.System)
		if errors.Is(err, models.ErrResearcherExists) {
			return fmt.Errorf("%s already has an account; use peiling user passwd %s", email, email)
		}
	} else {
		_, err = models.SetPassword(db.Write, email, password, models.System)
		if errors.Is(err, models.ErrNotFound) {
			return fmt.Errorf("%s has no account; use peiling user add %s", email, email)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(std.Out, "peiling: password set for %s\n", email)
	return nil
}

// removeUser deletes an account and revokes its API tokens; its sessions end at once.
func removeUser(cfg Config, email string, out io.Writer, log *slog.Logger) error {
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	err = models.RemoveResearcher(db.Write, email, models.System)
	if errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("%s has no account", email)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "peiling: account of %s removed; its sessions and API tokens no longer work\n", email)
	return nil
}

// readPassword reads a password from the terminal without echo, twice, or else the first
// line of standard input (for scripts: printf '%s\n' "$PW" | peiling user add EMAIL).
func readPassword(std Streams) (string, error) {
	if f, ok := std.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(std.Out, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.Out)
		if err != nil {
			return "", err
		}
		fmt.Fprint(std.Out, "Password again: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(std.Out)
		if err != nil {
			return "", err
		}
		if string(first) != string(again) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(std.In, 4096)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
