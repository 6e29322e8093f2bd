package models

import (
	"context"
	"database/sql"

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
