// Package sqlite stands in for github.com/glebarez/go-sqlite, the driver that gorm's
// dialector github.com/glebarez/sqlite links: it is modernc.org/sqlite's own driver,
// registered as "sqlite" by that package.
//
// Why: glebarez/go-sqlite is a fork of an older modernc.org/sqlite driver that compiles
// every statement again on each execution; modernc.org/sqlite's driver keeps a prepared
// statement's compiled program, which models/stmtcache.go reuses. Both register the driver
// name "sqlite", so the two cannot be linked into one binary: go.mod replaces the fork by
// this package. The dialector uses only the error type from it.
package sqlite

import msqlite "modernc.org/sqlite"

// Error is the driver's error, with its SQLite result code (Code).
type Error = msqlite.Error
