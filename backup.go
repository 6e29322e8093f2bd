package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"peiling/models"
)

// backup writes a consistent copy of the database to FILE while the server may be running,
// without migrating it first (a backup before an upgrade keeps the old schema). A SQLite file
// is copied with VACUUM INTO; restoring is copying FILE back to the -db path while the server
// is stopped. A PostgreSQL database is dumped by pg_dump in its custom format; restoring is
// pg_restore into a new database (docs/deployment.md).
func backup(ctx context.Context, cfg Config, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) != 1 {
		return errors.New("usage: peiling backup FILE")
	}
	dest := args[0]
	started := time.Now()
	if models.IsPostgres(cfg.DB) {
		return pgDump(ctx, cfg.DB, dest, started, out)
	}
	if err := models.BackupFile(cfg.DB, dest); err != nil {
		return err
	}
	fmt.Fprintf(out, "backup of %s written to %s in %s\n", cfg.DB, dest, time.Since(started).Round(time.Millisecond))
	return nil
}

// pgDump backs up the PostgreSQL database at dsn to dest with pg_dump -Fc: one snapshot of the
// whole database, also while instances write to it. The password goes to pg_dump in its
// environment, not on its command line, where every user of the machine could read it.
func pgDump(ctx context.Context, dsn, dest string, started time.Time, out io.Writer) error {
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("backup %s: the file exists; choose a new name", dest)
	}
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		return errors.New("backup: pg_dump is not installed; a PostgreSQL database is backed up with pg_dump (Debian: apt-get install postgresql-client)")
	}
	dumpMajor, dumpVersion, err := pgDumpVersion(bin)
	if err != nil {
		return err
	}
	serverMajor, serverVersion, err := models.PostgresVersion(ctx, dsn)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// pg_dump reads servers of its own major version and older ones, never newer ones.
	if dumpMajor < serverMajor {
		return fmt.Errorf("backup: %s is pg_dump %s, which cannot dump the server's PostgreSQL %s; install pg_dump %d or newer (Debian: apt-get install postgresql-client-%d)",
			bin, dumpVersion, serverVersion, serverMajor, serverMajor)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return errors.New("backup: the database URL does not parse") // url.Parse's error would show the password
	}
	env := os.Environ()
	if pw, ok := u.User.Password(); ok {
		env = append(env, "PGPASSWORD="+pw)
		u.User = url.User(u.User.Username())
	}
	fmt.Fprintf(out, "backup of %s: running pg_dump -Fc (pg_dump %s, server %s)\n", u.Redacted(), dumpVersion, serverVersion)
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--file="+dest, "--dbname="+u.String())
	cmd.Env = env
	var stderr strings.Builder
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		_ = os.Remove(dest) // never leave a half-written dump that looks like a backup
		return fmt.Errorf("backup: pg_dump failed (%v): %s", err, strings.TrimSpace(stderr.String()))
	}
	info, err := os.Stat(dest)
	if err != nil {
		return fmt.Errorf("backup: pg_dump wrote no %s: %w", dest, err)
	}
	fmt.Fprintf(out, "backup of %s written to %s (%d kB, pg_dump custom format) in %s; restore it with pg_restore into a new database (docs/deployment.md)\n",
		u.Redacted(), dest, info.Size()>>10, time.Since(started).Round(time.Millisecond))
	return nil
}

// pgDumpVersion runs pg_dump --version ("pg_dump (PostgreSQL) 15.18 (Debian …)") and returns
// its major version and version number.
func pgDumpVersion(bin string) (int, string, error) {
	text, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return 0, "", fmt.Errorf("backup: %s --version: %w", bin, err)
	}
	fields := strings.Fields(string(text))
	if len(fields) < 3 {
		return 0, "", fmt.Errorf("backup: %s --version said %q", bin, text)
	}
	version := fields[2]
	major, err := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	if err != nil {
		return 0, "", fmt.Errorf("backup: %s --version said %q", bin, text)
	}
	return major, version, nil
}
