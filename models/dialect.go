package models

import (
	"database/sql"
	"net/url"
	"strings"
	"time"

	"gorm.io/gorm"
)

// dialect holds every piece of SQL that SQLite and PostgreSQL spell differently, so that the
// rest of models writes its queries once. Anything SQLite-only that is not here is a bug.
type dialect struct {
	name string // gorm's dialector name: "sqlite" or "postgres"

	// boolInt turns a condition into 0 or 1, for SUM(...) and MAX(...) over conditions.
	// SQLite's comparisons already are integers; PostgreSQL's are booleans, which do not sum.
	boolInt func(cond string) string
	// hourUTC formats a stored time as "2006-01-02 15" in UTC.
	hourUTC func(col string) string
	// like is the case-insensitive LIKE: SQLite's LIKE folds ASCII letters; PostgreSQL's
	// LIKE folds nothing, its ILIKE folds every letter.
	like string
	// insertIgnore begins an INSERT that skips rows clashing with a unique index; ignoreTail
	// ends it. SQLite keeps its INSERT OR IGNORE (which also skips NOT NULL failures).
	insertIgnore, ignoreTail string
	// upsertRowTwice: SQLite's INSERT … ON CONFLICT DO UPDATE may update one row many times
	// in one statement; PostgreSQL's refuses ("cannot affect row a second time"), so what
	// SQLite upserts row by row PostgreSQL first groups.
	upsertRowTwice bool
	// syncSequence is the statement that moves table's id sequence past rows inserted with
	// ids of their own; "" when there is none to move (SQLite takes MAX(rowid) + 1).
	syncSequence func(table string) string
	// timeResolution is what a stored time keeps: PostgreSQL's timestamptz keeps
	// microseconds, SQLite's text all of Go's nanoseconds (0).
	timeResolution time.Duration
	// timeText gives a time expression back as text in sqliteTime's layout, for queries whose
	// result loses the column's type (MAX of a time column comes back from SQLite as text).
	// PostgreSQL's form has a fixed six-digit fraction, so its texts also sort as times.
	timeText func(expr string) string
	// plainParams: statements built with many parameters (params in fixedsql.go: a section's
	// answers, six parameters each) write them as ?. SQLite reads $1 as a parameter named
	// "$1", and its driver looks each name up in the list of all of them: for an upsert of 360
	// parameters that lookup was a third of the statement. PostgreSQL reads only numbered
	// parameters.
	plainParams bool
	// lockRows ends a SELECT that locks the rows it read of the table named of (of every table
	// when of is "") until the transaction ends, in mode lockUpdate (against everyone) or
	// lockKeyShare (only against lockUpdate). A close takes the survey row for update and a
	// respondent's write takes it for key share (lifecycle.go), so several instances on one
	// PostgreSQL take turns on a survey's status as one process does. SQLite has no row locks
	// and needs none: a write transaction holds the whole database from its BEGIN IMMEDIATE
	// on, whichever process began it.
	lockRows func(mode, of string) string
	// migrationLock is the statement that makes instances starting at once migrate (and seed)
	// one after the other, held until the transaction ends; "" where BEGIN IMMEDIATE already
	// does (SQLite). Without it two PostgreSQL instances would both create the same new table.
	migrationLock string
	// writeLock is the statement every group of writes (groupwrite.go) runs first, so that the
	// groups of all instances take turns as SQLite's BEGIN IMMEDIATE makes them; "" on SQLite.
	// A group carries several respondents' writes, which lock the same tally rows in different
	// orders: without turns two instances deadlock, and PostgreSQL breaks that only after its
	// deadlock_timeout of a second (measured: 28 completed questionnaires/s, p99 1.1 s, against
	// 95/s, p99 106 ms with turns; docs/performance.md).
	writeLock string
	// snapshot begins a transaction that reads one state of the whole database (CopyDB).
	// SQLite's read transaction in WAL mode already does, and its driver takes no options.
	snapshot *sql.TxOptions
	// afterBulkLoad runs after many rows were loaded at once, "" when nothing needs to:
	// PostgreSQL plans from statistics that autovacuum would gather only later.
	afterBulkLoad string
	// answerList is an aggregate over answers a: each answer as question, item, option and
	// number (as text that reads back as the same float64, or empty) joined by the unit
	// separator (0x1f), the answers joined by the record separator (0x1e).
	answerList string
	// answerArray is an aggregate over answers a: one JSON array of [question, item, option,
	// text, number] arrays in the order the answers were saved, as text (parseAnswerList
	// reads it). Over no answers SQLite gives "[]" and PostgreSQL NULL.
	answerArray string
}

// Modes of lockRows.
const (
	lockUpdate   = "UPDATE"
	lockKeyShare = "KEY SHARE"
)

// sqliteTime is how the SQLite driver writes a time.Time.
const sqliteTime = "2006-01-02 15:04:05.999999999-07:00"

var sqliteDialect = &dialect{
	name:           "sqlite",
	boolInt:        func(cond string) string { return "(" + cond + ")" },
	hourUTC:        func(col string) string { return "strftime('%Y-%m-%d %H', " + col + ")" },
	like:           "LIKE",
	insertIgnore:   "INSERT OR IGNORE",
	upsertRowTwice: true,
	plainParams:    true,
	syncSequence:   func(string) string { return "" },
	timeText:       func(expr string) string { return expr },
	lockRows:       func(string, string) string { return "" },
	answerArray:    `json_group_array(json_array(a.question, a.item, a.option, a.text, a.number) ORDER BY a.id)`,
	answerList: `group_concat(a.question || char(31) || a.item || char(31) || a.option || char(31) ||
		CASE WHEN a.number IS NULL THEN '' ELSE printf('%.17g', a.number) END, char(30))`,
}

var postgresDialect = &dialect{
	name:         "postgres",
	boolInt:      func(cond string) string { return "(" + cond + ")::int" },
	hourUTC:      func(col string) string { return "to_char(" + col + " AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24')" },
	like:         "ILIKE",
	insertIgnore: "INSERT",
	ignoreTail:   " ON CONFLICT DO NOTHING",
	syncSequence: func(table string) string {
		return "SELECT setval(pg_get_serial_sequence('" + table + "', 'id'), (SELECT MAX(id) FROM " + table + "))"
	},
	timeResolution: time.Microsecond,
	timeText: func(expr string) string {
		return "to_char((" + expr + ") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US\"+00:00\"')"
	},
	// The key is any fixed number that nothing else locks: "peil" in ASCII.
	migrationLock: "SELECT pg_advisory_xact_lock(1885694316)",
	writeLock:     "SELECT pg_advisory_xact_lock(1885694317)",
	lockRows: func(mode, of string) string {
		if of == "" {
			return " FOR " + mode
		}
		return " FOR " + mode + " OF " + of
	},
	snapshot:      &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	afterBulkLoad: "ANALYZE",
	answerArray:   `json_agg(json_build_array(a.question, a.item, a.option, a.text, a.number) ORDER BY a.id)::text`,
	answerList: `string_agg(a.question || chr(31) || a.item || chr(31) || a.option || chr(31) ||
		COALESCE(a.number::text, ''), chr(30))`,
}

// dialectOf returns the dialect of the database db is on.
func dialectOf(db *gorm.DB) *dialect {
	if db.Dialector.Name() == postgresDialect.name {
		return postgresDialect
	}
	return sqliteDialect
}

// postgres reports whether d is PostgreSQL's.
func (d *dialect) postgres() bool { return d == postgresDialect }

// sameStoredTime reports whether a and b are the same time once stored.
func (d *dialect) sameStoredTime(a, b time.Time) bool {
	return a.Truncate(d.timeResolution).Equal(b.Truncate(d.timeResolution))
}

// parseTime reads a time that timeText gave back as text.
func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(sqliteTime, s)
	if err != nil {
		return time.Time{}, err
	}
	return t.UTC(), nil
}

// Redacted is dsn as it may be shown or logged: a PostgreSQL URL without its password.
func Redacted(dsn string) string {
	if !IsPostgres(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…" // unparsable: show nothing of it
	}
	return u.Redacted()
}

// IsPostgres reports whether dsn names a PostgreSQL database (postgres:// or postgresql://)
// rather than a SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}
