package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"gorm.io/gorm"

	"peiling/models/dbtest"
)

const stmtCacheWhy = "the statement cache is SQLite's driver's (PostgreSQL's pgx keeps its own)"

// rawConn returns one connection of the write pool and its statement cache.
func rawConn(t *testing.T, db *DB) (*sql.Conn, *stmtCacheConn) {
	t.Helper()
	sqlDB, err := db.Write.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	var sc *stmtCacheConn
	if err := conn.Raw(func(c any) error {
		var ok bool
		sc, ok = c.(*stmtCacheConn)
		if !ok {
			return fmt.Errorf("the connection is a %T, not a *stmtCacheConn", c)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return conn, sc
}

func numbers(t *testing.T, conn *sql.Conn, n int) {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.ExecContext(ctx, "CREATE TABLE nums (n INTEGER PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := conn.ExecContext(ctx, "INSERT INTO nums (n) VALUES (?)", i); err != nil {
			t.Fatal(err)
		}
	}
}

// sum reads every number of nums through rows and adds them up.
func sum(t *testing.T, rows *sql.Rows) int {
	t.Helper()
	total := 0
	for rows.Next() {
		var n int
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	return total
}

// A data statement is compiled once per connection and kept; what runs through it gives the
// same answers the next time, with other arguments.
func TestStatementsAreKeptCompiledPerConnection(t *testing.T) {
	dbtest.SkipOnPostgres(t, stmtCacheWhy)
	db := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	conn, sc := rawConn(t, db)
	numbers(t, conn, 10)

	const insert = "INSERT INTO nums (n) VALUES (?)"
	const query = "SELECT n FROM nums WHERE n <= ? ORDER BY n"
	if _, ok := sc.stmts[insert]; !ok {
		t.Errorf("the INSERT run ten times is not kept")
	}
	if _, ok := sc.stmts["CREATE TABLE nums (n INTEGER PRIMARY KEY)"]; ok {
		t.Errorf("a CREATE TABLE is kept: only data statements should be")
	}
	for limit, want := range map[int]int{3: 6, 10: 55, 0: 0} {
		rows, err := conn.QueryContext(context.Background(), query, limit)
		if err != nil {
			t.Fatal(err)
		}
		if got := sum(t, rows); got != want {
			t.Errorf("sum of n <= %d: %d, want %d", limit, got, want)
		}
	}
	if _, ok := sc.stmts[query]; !ok {
		t.Errorf("the SELECT run three times is not kept")
	}
}

// The same SQL run again while its rows are still open runs beside them, not over them; and a
// statement pushed out of the cache while its rows are open is finalized only after them.
func TestAStatementInUseIsNeitherResetNorFinalizedUnderItsRows(t *testing.T) {
	dbtest.SkipOnPostgres(t, stmtCacheWhy)
	db := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	conn, sc := rawConn(t, db)
	numbers(t, conn, 100)
	ctx := context.Background()

	const query = "SELECT n FROM nums ORDER BY n"
	outer, err := conn.QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for i := 0; outer.Next(); i++ {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		total += n
		if i > 100 {
			t.Fatal("the outer rows run on past their 100 numbers: the statement was reset under them")
		}
		switch i {
		case 10: // the same statement, while outer is open
			inner, err := conn.QueryContext(ctx, query)
			if err != nil {
				t.Fatal(err)
			}
			if got := sum(t, inner); got != 5050 {
				t.Errorf("inner sum %d, want 5050", got)
			}
		case 20: // push outer's statement out of the cache
			for j := 0; j < stmtsPerConn+5; j++ {
				var x int
				if err := conn.QueryRowContext(ctx, fmt.Sprintf("SELECT %d", j)).Scan(&x); err != nil || x != j {
					t.Fatalf("SELECT %d: %d, %v", j, x, err)
				}
			}
		}
	}
	if err := outer.Err(); err != nil {
		t.Fatal(err)
	}
	if err := outer.Close(); err != nil {
		t.Fatal(err)
	}
	if total != 5050 {
		t.Errorf("outer sum %d, want 5050", total)
	}
	if len(sc.stmts) > stmtsPerConn || sc.lru.Len() != len(sc.stmts) {
		t.Errorf("%d statements kept (%d in the list), at most %d", len(sc.stmts), sc.lru.Len(), stmtsPerConn)
	}
	// and the statement works again, compiled anew
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(t, rows); got != 5050 {
		t.Errorf("sum after eviction %d, want 5050", got)
	}
}

// Times are stored as text in the format the earlier driver wrote, so rows written before and
// after the change still compare and sort as text; a broken unique key is still
// gorm.ErrDuplicatedKey.
func TestTimesAndErrorsAsBefore(t *testing.T) {
	dbtest.SkipOnPostgres(t, stmtCacheWhy)
	db := openTest(t, filepath.Join(t.TempDir(), "p.db"))
	if err := db.Write.Exec("CREATE TABLE stamps (id INTEGER PRIMARY KEY, at DATETIME, code TEXT UNIQUE)").Error; err != nil {
		t.Fatal(err)
	}
	at := time.Date(2017, 12, 4, 9, 30, 5, 123456789, time.UTC)
	if err := db.Write.Exec("INSERT INTO stamps (at, code) VALUES (?, ?)", at, "0344").Error; err != nil {
		t.Fatal(err)
	}
	var text string
	if err := db.Read.Raw("SELECT CAST(at AS TEXT) FROM stamps").Scan(&text).Error; err != nil {
		t.Fatal(err)
	}
	if want := "2017-12-04 09:30:05.123456789+00:00"; text != want {
		t.Errorf("stored %q, want %q", text, want)
	}
	var back time.Time
	if err := db.Read.Raw("SELECT at FROM stamps").Scan(&back).Error; err != nil {
		t.Fatal(err)
	}
	if !back.Equal(at) {
		t.Errorf("read back %v, want %v", back, at)
	}
	err := db.Write.Exec("INSERT INTO stamps (at, code) VALUES (?, ?)", at, "0344").Error
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		t.Errorf("a second 0344: %v, want gorm.ErrDuplicatedKey", err)
	}
}
