package models

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// openPostgres opens the PostgreSQL database at the URL dsn and migrates it. It gives the
// pools the shape they have on SQLite: one write connection (so writes in this process take
// turns, as the group writer and the close/submit rules expect) and eight read connections
// that refuse to write, as SQLite's query_only does.
func openPostgres(dsn string, log *slog.Logger) (*DB, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err) // the error may hold the password: not the URL
	}
	where := u.Redacted()
	// TimeZone=UTC: the session's zone is what to_char and date arithmetic use; time is stored
	// in UTC (timestamptz), so the session reads it in UTC too. synchronous_commit=on: a
	// server configured with it off would acknowledge commits it could still lose, and an
	// answer is confirmed only once it is on disk.
	return openPools(where, postgres.Open(withParams(u, "TimeZone", "UTC", "synchronous_commit", "on")),
		postgres.Open(withParams(u, "TimeZone", "UTC", "default_transaction_read_only", "on")), log)
}

// withParams returns u with the query parameters kv (key, value, ...) set; pgx passes the
// ones it does not know to the server as run-time settings.
func withParams(u *url.URL, kv ...string) string {
	c := *u
	q := c.Query()
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	c.RawQuery = q.Encode()
	return c.String()
}

// compactPostgres is Compact on PostgreSQL: VACUUM makes the space of deleted rows reusable
// without locking anybody out. It does not zero it, as SQLite's secure_delete does: the bytes
// stay in the server's files until new rows overwrite them or a VACUUM FULL (which locks each
// table while it rewrites it) is run in a quiet hour (docs/deployment.md).
func compactPostgres(db *gorm.DB) error {
	if err := db.Exec("VACUUM").Error; err != nil {
		return fmt.Errorf("vacuum: %w", err)
	}
	return nil
}

// postgresCode returns the SQLSTATE of a PostgreSQL error in err's chain.
func postgresCode(err error) (string, bool) {
	var pg *pgconn.PgError
	if !errors.As(err, &pg) {
		return "", false
	}
	return pg.Code, true
}

// postgresStorageFailure reports whether SQLSTATE code says the server could not store
// anything, as storageFailure's SQLite codes do: out of disk, memory or connections (class
// 53), an I/O or system error (58), a shutting-down server (57P01-57P03), a read-only
// transaction (25006) or an internal error such as corrupt data (XX).
func postgresStorageFailure(code string) bool {
	switch {
	case strings.HasPrefix(code, "53"), strings.HasPrefix(code, "58"), strings.HasPrefix(code, "XX"):
		return true
	}
	switch code {
	case "57P01", "57P02", "57P03", "25006":
		return true
	}
	return false
}
