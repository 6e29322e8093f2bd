package models

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// query runs a fixed statement on db's pool, or its transaction, through database/sql
// itself. gorm's Raw builds a Statement, clones it and runs its callbacks on every call; for
// the reads every respondent's page makes (FindResponse, AnswersOf) that was a fifth of their
// cost and most of their garbage. The statement is written with $1, $2, … placeholders, which
// PostgreSQL and SQLite both read by position (gorm would have rewritten ? for PostgreSQL).
func query(db *gorm.DB, q string, args ...any) (*sql.Rows, error) {
	if db.Error != nil {
		return nil, db.Error
	}
	return db.Statement.ConnPool.QueryContext(contextOf(db), q, args...)
}

func contextOf(db *gorm.DB) context.Context {
	if ctx := db.Statement.Context; ctx != nil {
		return ctx
	}
	return context.Background()
}

// exec runs a fixed statement as query does: the writes every section save and submit make
// inside the group writer's turn, where gorm's statement building and callbacks were a third
// of the write's cost. As through gorm (TranslateError), a unique key that refuses the write
// comes back as gorm.ErrDuplicatedKey.
func exec(db *gorm.DB, q string, args ...any) (sql.Result, error) {
	if db.Error != nil {
		return nil, db.Error
	}
	res, err := db.Statement.ConnPool.ExecContext(contextOf(db), q, args...)
	if err != nil && db.TranslateError {
		if t, ok := db.Dialector.(gorm.ErrorTranslator); ok {
			err = t.Translate(err)
		}
	}
	return res, err
}

// queryRow runs a fixed statement that reads one row into dest; sql.ErrNoRows when there is
// none.
func queryRow(db *gorm.DB, q string, args []any, dest ...any) error {
	if db.Error != nil {
		return db.Error
	}
	return db.Statement.ConnPool.QueryRowContext(contextOf(db), q, args...).Scan(dest...)
}

// params writes a statement's parameters in the spelling of its database: numbered ($1, $2)
// for PostgreSQL, which reads no other, and plain ? for SQLite (dialect.plainParams).
type params struct {
	b     *strings.Builder
	plain bool
	n     int // parameters written so far
}

func newParams(db *gorm.DB, b *strings.Builder) *params {
	return &params{b: b, plain: dialectOf(db).plainParams}
}

// one writes the next parameter.
func (p *params) one() {
	p.n++
	if p.plain {
		p.b.WriteByte('?')
		return
	}
	p.b.WriteByte('$')
	p.b.WriteString(strconv.Itoa(p.n))
}

// rows writes n groups of width parameters: "(?, ?), (?, ?)".
func (p *params) rows(n, width int) {
	for i := range n {
		if i > 0 {
			p.b.WriteString(", ")
		}
		p.b.WriteByte('(')
		for j := range width {
			if j > 0 {
				p.b.WriteString(", ")
			}
			p.one()
		}
		p.b.WriteByte(')')
	}
}
