package models

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"peiling/models/dbtest"
)

// shapes holds, per schema version (len(steps)), the fingerprint of the tables' shape that
// version has. Never change an entry: a new shape gets a new step (an empty one when
// AutoMigrate makes the change) and a new entry under its number.
var shapes = map[int]string{
	8:  "edddf820651dcfee63abe35886a6c4e0c32d2a94998eed9d03d213190980a9e2",
	9:  "edddf820651dcfee63abe35886a6c4e0c32d2a94998eed9d03d213190980a9e2", // step 9 adds an index only
	10: "2e7f58fef06c8958a5e633dcf80e0b6007e4415dc692b5820bc5540b98736b33",
	11: "6dbbd0e447627340332e687984fa26f9a37b4c647d931cc6fe01a85978b55588", // the queue of the tallies
	12: "d2af8ed41b8b068e061a457cc1dfa99a3ebc3271f09b38a423c24267f96465d2", // the export's records of submitted responses, and their packs
}

// tableShape fingerprints the Go shape of the tables: every field's name, type and gorm tag.
func tableShape(models []any) string {
	var b strings.Builder
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			fmt.Fprintf(&b, "%s %s %q\n", f.Name, f.Type, f.Tag.Get("gorm"))
		}
	}
	for _, m := range models {
		t := reflect.TypeOf(m).Elem()
		fmt.Fprintf(&b, "table %s\n", t.Name())
		walk(t)
	}
	sum := sha256.Sum256([]byte(b.String()))
	return hex.EncodeToString(sum[:])
}

func TestTheSchemaVersionChangesWithTheTables(t *testing.T) {
	got := tableShape(append([]any{&schemaVersion{}}, tables...))
	if want, ok := shapes[len(steps)]; !ok || got != want {
		t.Fatalf("the tables' shape at schema version %d is %s, recorded %q. A changed shape needs a new step in "+
			"migrate.go (an empty one if AutoMigrate makes the change), so that older binaries refuse the new schema; "+
			"then add shapes[%d] = %q", len(steps), got, want, len(steps)+1, got)
	}
}

func TestABinaryRefusesASchemaNewerThanItKnows(t *testing.T) {
	dsn := dbtest.DSN(t, "p.db")
	db := openSeeded(t, dsn)
	if err := db.Write.Create(&schemaVersion{Version: len(steps) + 1, AppliedAt: now()}).Error; err != nil {
		t.Fatal(err)
	}
	// What the newer version dropped must stay dropped: the refusal changes nothing.
	if err := db.Write.Migrator().DropTable(&FailureCount{}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := Open(dsn, slog.New(slog.DiscardHandler))
	if !errors.Is(err, ErrSchemaNewer) {
		t.Fatalf("open: %v, want ErrSchemaNewer", err)
	}
	for _, want := range []string{fmt.Sprintf("schema version %d", len(steps)+1), fmt.Sprintf("up to %d", len(steps))} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal %q does not say %q", err, want)
		}
	}
	raw := rawOpen(t, dsn)
	if raw.Migrator().HasTable(&FailureCount{}) {
		t.Error("the refused migration made a table anyway")
	}
}

func TestAMigrationThatFailsLeavesTheDatabaseAsItWas(t *testing.T) {
	dsn := dbtest.DSN(t, "p.db")
	db := openSeeded(t, dsn)
	if err := db.Write.Migrator().DropTable(&FailureCount{}); err != nil { // as before the version that added it
		t.Fatal(err)
	}
	if err := db.Write.Where("version = ?", len(steps)).Delete(&schemaVersion{}).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	shipped := steps
	t.Cleanup(func() { steps = shipped })
	steps = append(append([]string{}, shipped...), `CREATE TABLE migration_probe (id integer)`, `ALTER TABLE nowhere ADD COLUMN x integer`)

	if _, err := Open(dsn, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("step %d", len(steps))) {
		t.Fatalf("open with a failing step: %v", err)
	}
	raw := rawOpen(t, dsn)
	v, err := SchemaVersion(raw)
	if err != nil || v != len(shipped)-1 {
		t.Errorf("schema version after the failed migration: %d (%v), want %d", v, err, len(shipped)-1)
	}
	if raw.Migrator().HasTable("migration_probe") || raw.Migrator().HasTable(&FailureCount{}) {
		t.Error("the failed migration left a table it made (its own step's, or AutoMigrate's)")
	}

	steps = shipped // the fixed binary: the same database migrates in full
	db = openSeeded(t, dsn)
	if v, _ := SchemaVersion(db.Read); v != len(steps) || !db.Read.Migrator().HasTable(&FailureCount{}) {
		t.Errorf("after the fix: version %d, want %d, with failure_counts", v, len(steps))
	}
}

// TestAnUpgradeThatRebuildsTheSurveysTableKeepsEveryResponse changes a column of surveys the
// way an old schema might differ, so that gorm's SQLite migrator copies and drops the table
// inside the migration's transaction. With foreign keys on, that DROP would cascade to every
// response.
func TestAnUpgradeThatRebuildsTheSurveysTableKeepsEveryResponse(t *testing.T) {
	dbtest.SkipOnPostgres(t, "PostgreSQL alters a column in place; only gorm's SQLite migrator copies the table")
	dsn := dbtest.DSN(t, "p.db")
	db := openSeeded(t, dsn)
	s := referenceSurvey(t, db)
	for range 3 {
		if _, _, err := StartDraft(db.Write, s, "nl"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw := rawOpen(t, dsn) // foreign keys off, as SQLite's procedure for a table change says
	var ddl string
	if err := raw.Raw("SELECT sql FROM sqlite_master WHERE name = 'surveys'").Scan(&ddl).Error; err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(ddl, `DEFAULT "draft"`, `DEFAULT "concept"`, 1) // an older default of status
	if old == ddl {
		t.Fatalf("surveys has no status defaulting to draft: %s", ddl)
	}
	for _, q := range []string{strings.Replace(old, "`surveys`", "`surveys_old`", 1),
		"INSERT INTO surveys_old SELECT * FROM surveys", "DROP TABLE surveys", "ALTER TABLE surveys_old RENAME TO surveys"} {
		if err := raw.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}

	db = openSeeded(t, dsn)
	var n int64
	db.Read.Model(&Response{}).Count(&n)
	if n != 3 {
		t.Errorf("%d responses after the upgrade, want 3", n)
	}
	if err := db.Read.Raw("SELECT sql FROM sqlite_master WHERE name = 'surveys'").Scan(&ddl).Error; err != nil || !strings.Contains(ddl, `DEFAULT "draft"`) {
		t.Errorf("surveys was not rebuilt (%v): %s", err, ddl)
	}
	var on int
	db.Write.Raw("PRAGMA foreign_keys").Scan(&on)
	if on != 1 {
		t.Error("foreign keys are off after the migration")
	}
}

// rawOpen opens dsn without migrating it (and, on SQLite, without foreign keys), to look at or
// change the schema as another version left it.
func rawOpen(t *testing.T, dsn string) *gorm.DB {
	t.Helper()
	var d gorm.Dialector = sqlite.Open(dsn)
	if dbtest.Postgres() {
		d = postgres.Open(dsn)
	}
	db, err := gorm.Open(d, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			sqlDB.Close()
		}
	})
	return db
}

func TestInstancesStartingTogetherOnANewDatabaseMigrateAndSeedItOnce(t *testing.T) {
	dsn := dbtest.DSN(t, "p.db")
	dbs := make([]*DB, 4)
	errs := make(chan error, len(dbs))
	for i := range dbs {
		open := func() {
			var err error
			dbs[i], err = Open(dsn, slog.New(slog.DiscardHandler))
			errs <- err
		}
		// A new SQLite file is made by one process (docs/deployment.md): creating it and
		// switching it to WAL from four at once can fail with SQLITE_BUSY before the busy
		// timeout applies. On PostgreSQL the four really start together.
		if dbtest.Postgres() {
			go open()
		} else {
			open()
		}
	}
	for range dbs {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	start := make(chan struct{}) // every instance migrated; now all seed at once
	for _, db := range dbs {
		go func() {
			<-start
			errs <- errors.Join(SeedDefaults(db.Write), db.Close())
		}()
	}
	close(start)
	for range dbs {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	raw := rawOpen(t, dsn)
	var versions int64
	raw.Model(&schemaVersion{}).Count(&versions)
	if v, _ := SchemaVersion(raw); v != len(steps) || versions != int64(len(steps)) {
		t.Errorf("schema version %d with %d steps recorded, want %d and %d", v, versions, len(steps), len(steps))
	}
	var surveys int64
	raw.Model(&Survey{}).Count(&surveys)
	registers, err := RegisterNames(raw)
	if err != nil || surveys != 1 || len(registers) != len(DefaultRegisters) {
		t.Errorf("%d surveys and registers %v (%v), want the reference survey and %d registers", surveys, registers, err, len(DefaultRegisters))
	}
}
