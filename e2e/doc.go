// Package e2e holds Peiling's browser tests. They build the real binary, serve it on
// 127.0.0.1 with a throwaway SQLite file and drive Debian's Chromium through it, as a
// respondent would. They sit behind the build tag e2e, so `go test ./...` stays fast:
//
//	go test -tags e2e -count=1 ./e2e/
//
// scripts/test runs them after the unit and HTTP tests. With PEILING_TEST_POSTGRES set to a
// PostgreSQL server's URL, the tests that take their database from newDB serve a new database
// on that server instead (scripts/test's postgres stage runs them so).
package e2e
