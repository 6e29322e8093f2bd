package models

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
	msqlite "modernc.org/sqlite"
)

// stmtsPerConn bounds the statements one SQLite connection keeps compiled. The hot paths use
// a few dozen fixed statements; queries built with a varying number of placeholders (IN
// lists, multi-row INSERTs) come and go through the least recently used end.
const stmtsPerConn = 128

// sqliteDialector opens the SQLite database dsn names for gorm through modernc.org/sqlite's
// driver, each connection keeping its statements compiled (stmtCacheConn).
func sqliteDialector(dsn string) (gorm.Dialector, error) {
	c, err := msqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return &sqlite.Dialector{Conn: sql.OpenDB(stmtCacheConnector{c})}, nil
}

// stmtCacheConnector hands out connections that keep their statements compiled.
type stmtCacheConnector struct{ driver.Connector }

func (c stmtCacheConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return newStmtCacheConn(conn), nil
}

// driverConn is what modernc.org/sqlite's connection implements and the wrapper forwards:
// hiding one of these would make database/sql fall back to the methods without a context.
type driverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// stmtCacheConn runs every statement on its connection through a prepared statement kept per
// SQL text, so SQLite compiles it once per connection instead of on every execution: with
// gorm, database/sql asks the driver to run SQL text directly, and the driver prepares and
// finalizes it each time (a sixth of the server's CPU for a questionnaire, issue 14).
//
// A connection is used by one goroutine at a time (database/sql), so the cache needs no lock.
// A statement whose rows are still open is busy: the same SQL then runs uncached rather
// than resetting the statement under the open rows.
type stmtCacheConn struct {
	driverConn
	stmts map[string]*list.Element // of *cachedStmt; front: most recently used
	lru   *list.List
}

type cachedStmt struct {
	query string
	stmt  driverStmt
	busy  bool // its rows are open
}

// driverStmt is what modernc.org/sqlite's prepared statement implements and the cache uses.
type driverStmt interface {
	driver.Stmt
	driver.StmtExecContext
	driver.StmtQueryContext
}

func newStmtCacheConn(c driver.Conn) driver.Conn {
	dc, ok := c.(driverConn)
	if !ok {
		return c // not the connection this was written for: run it as it is
	}
	return &stmtCacheConn{driverConn: dc, stmts: map[string]*list.Element{}, lru: list.New()}
}

// Unwrap gives modernc.org/sqlite's helpers (such as sqlite.Limit) the driver's connection.
func (c *stmtCacheConn) Unwrap() driver.Conn { return c.driverConn }

// cacheable: data statements only. Transaction control (gorm's SAVEPOINT names differ per
// transaction) and PRAGMAs are cheap to compile and would only push the others out.
func cacheable(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	for _, verb := range []string{"SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "WITH"} {
		if len(q) > len(verb) && strings.EqualFold(q[:len(verb)], verb) {
			return true
		}
	}
	return false
}

// lookup returns the idle compiled statement for query, preparing and keeping it if there is
// none; nil when query is not kept or its statement is busy.
func (c *stmtCacheConn) lookup(ctx context.Context, query string) (*cachedStmt, error) {
	if e, ok := c.stmts[query]; ok {
		cs := e.Value.(*cachedStmt)
		if cs.busy {
			return nil, nil
		}
		c.lru.MoveToFront(e)
		return cs, nil
	}
	if !cacheable(query) {
		return nil, nil
	}
	s, err := c.driverConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	st, ok := s.(driverStmt)
	if !ok {
		s.Close()
		return nil, nil
	}
	cs := &cachedStmt{query: query, stmt: st}
	c.stmts[query] = c.lru.PushFront(cs)
	for c.lru.Len() > stmtsPerConn {
		old := c.lru.Back()
		ocs := old.Value.(*cachedStmt)
		c.lru.Remove(old)
		delete(c.stmts, ocs.query)
		if !ocs.busy {
			ocs.stmt.Close()
		} // else its rows close it (cachedRows.Close)
	}
	return cs, nil
}

func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.driverConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.lookup(ctx, query)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.driverConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	dr, ok := rows.(driverRows)
	if !ok {
		rows.Close()
		return c.driverConn.QueryContext(ctx, query, args)
	}
	cs.busy = true
	return &cachedRows{driverRows: dr, conn: c, cs: cs}, nil
}

// Close finalizes the kept statements, then closes the connection.
func (c *stmtCacheConn) Close() error {
	for e := c.lru.Front(); e != nil; e = e.Next() {
		e.Value.(*cachedStmt).stmt.Close()
	}
	c.stmts, c.lru = nil, list.New()
	return c.driverConn.Close()
}

// driverRows is what modernc.org/sqlite's rows implement and the wrapper forwards
// (database/sql's ColumnTypes reads them).
type driverRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows frees its statement for the next use when closed.
type cachedRows struct {
	driverRows
	conn *stmtCacheConn
	cs   *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.driverRows.Close()
	r.cs.busy = false
	if e, ok := r.conn.stmts[r.cs.query]; !ok || e.Value != r.cs {
		r.cs.stmt.Close() // pushed out of the cache while its rows were open
	}
	return err
}
