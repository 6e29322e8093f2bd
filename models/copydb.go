package models

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// ErrTargetNotEmpty is CopyDB's answer when the target already holds data: a copy goes into
// an empty database only, so nothing of the target is ever overwritten or mixed in.
var ErrTargetNotEmpty = errors.New("the target database is not empty")

// CopyBatch is how many rows CopyDB reads and writes at a time: memory stays the same
// whatever the size of the installation.
const CopyBatch = 500

// TableCount is the number of rows of one table; while CopyDB still copies it, Copying is set
// and Rows is how many it has copied so far.
type TableCount struct {
	Table   string
	Rows    int64
	Copying bool
}

// copyProgressEvery is how often CopyDB reports on a table it is still copying, in rows.
const copyProgressEvery = 1_000_000

// CopyReport says what CopyDB copied and verified.
type CopyReport struct {
	Tables []TableCount // rows per table, equal in source and target
	// ClosedSurveys is how many closed surveys had their aggregates recomputed on the target,
	// each equal to the source's stored aggregates.
	ClosedSurveys int
}

// CopyDB copies every table of the installation in from into to, which must be empty (a new
// database that Open migrated), in one transaction on the target: a failure or a failed check
// leaves the target empty. It reads the source in one snapshot, so it may run while the
// source serves (what is written after the snapshot began is not in the copy). Rows keep
// their ids; PostgreSQL's id sequences are moved past them. Before committing it verifies the
// copy: the row count of every table, and the aggregates of every closed survey recomputed on
// the target from the copied tallies (as closing computes them) against the source's stored
// aggregates. progress, when not nil, is told each table's count once it is copied, and every
// million rows of a table still being copied.
func CopyDB(ctx context.Context, from, to *DB, progress func(TableCount)) (CopyReport, error) {
	var rep CopyReport
	src, dst := from.Read.WithContext(ctx), to.Write.WithContext(ctx)
	if err := knowsEveryTable(src); err != nil {
		return rep, err
	}
	err := src.Transaction(func(stx *gorm.DB) error {
		return dst.Transaction(func(ttx *gorm.DB) error {
			if err := checkEmpty(ttx); err != nil {
				return err
			}
			for _, m := range tables {
				n, err := copyTable(stx, ttx, m, progress)
				if err != nil {
					return err
				}
				if progress != nil {
					progress(TableCount{Table: tableOf(ttx, m).Table, Rows: n})
				}
			}
			var err error
			if rep.Tables, err = sameCounts(stx, ttx); err != nil {
				return err
			}
			rep.ClosedSurveys, err = sameAggregates(stx, ttx)
			return err
		})
	}, dialectOf(src).snapshot)
	if err != nil {
		return rep, err
	}
	if sql := dialectOf(dst).afterBulkLoad; sql != "" {
		if err := dst.Exec(sql).Error; err != nil {
			return rep, fmt.Errorf("copied, but %s failed: %w", sql, err)
		}
	}
	return rep, nil
}

// tableOf is the parsed gorm schema of model m.
func tableOf(db *gorm.DB, m any) *schema.Schema {
	stmt := &gorm.Statement{DB: db}
	if err := stmt.Parse(m); err != nil {
		panic(fmt.Sprintf("models: parse %T: %v", m, err)) // a model of ours that gorm cannot read
	}
	return stmt.Schema
}

// knowsEveryTable refuses a source with a table CopyDB would not copy (one a newer or another
// binary made): silently leaving data behind is the one thing a copy must not do.
func knowsEveryTable(src *gorm.DB) error {
	known := map[string]bool{tableOf(src, &schemaVersion{}).Table: true}
	for _, m := range tables {
		known[tableOf(src, m).Table] = true
	}
	names, err := src.Migrator().GetTables()
	if err != nil {
		return fmt.Errorf("list the source's tables: %w", err)
	}
	var unknown []string
	for _, n := range names {
		if !known[n] && !strings.HasPrefix(n, "sqlite_") {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return fmt.Errorf("the source has tables this peiling does not know (%s): copy with the binary that made them", strings.Join(unknown, ", "))
	}
	return nil
}

// checkEmpty refuses a target that holds any row (schema_versions aside: Open wrote those).
func checkEmpty(tx *gorm.DB) error {
	var full []string
	for _, m := range tables {
		var n int64
		if err := tx.Model(m).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			full = append(full, fmt.Sprintf("%s: %d rows", tableOf(tx, m).Table, n))
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (%s); copy into a new, empty database", ErrTargetNotEmpty, strings.Join(full, ", "))
	}
	return nil
}

// copyTable copies every row of model m's table from src to dst in batches, in primary key
// order, and returns how many it copied.
func copyTable(src, dst *gorm.DB, m any, progress func(TableCount)) (int64, error) {
	sch := tableOf(src, m)
	if len(sch.PrimaryFields) == 0 {
		return 0, fmt.Errorf("copy %s: no primary key to page by", sch.Table)
	}
	var copied int64
	var after []any // the primary key of the last row copied
	for {
		rows, err := readBatch(src, sch, after, CopyBatch)
		if err != nil {
			return copied, fmt.Errorf("read %s: %w", sch.Table, err)
		}
		if rows.Len() == 0 {
			break
		}
		if err := insertRows(dst, sch, rows); err != nil {
			return copied, fmt.Errorf("write %s: %w", sch.Table, err)
		}
		if progress != nil && (copied+int64(rows.Len()))/copyProgressEvery > copied/copyProgressEvery {
			progress(TableCount{sch.Table, copied + int64(rows.Len()), true})
		}
		copied += int64(rows.Len())
		after = keyOf(src.Statement.Context, sch, rows.Index(rows.Len()-1))
	}
	if sync := dialectOf(dst).syncSequence(sch.Table); sync != "" && len(sch.PrimaryFields) == 1 && sch.PrimaryFields[0].AutoIncrement {
		if err := dst.Exec(sync).Error; err != nil {
			return copied, fmt.Errorf("move the id sequence of %s: %w", sch.Table, err)
		}
	}
	return copied, nil
}

// readBatch reads up to n rows of sch's table whose primary key comes after the key after
// (all rows from the start when nil), in key order: keyset paging, so every batch costs the
// same however far into a million rows it is.
func readBatch(db *gorm.DB, sch *schema.Schema, after []any, n int) (reflect.Value, error) {
	var cols []string
	for _, f := range sch.PrimaryFields {
		cols = append(cols, db.Statement.Quote(f.DBName))
	}
	keys := strings.Join(cols, ", ")
	q := db.Table(sch.Table).Order(keys).Limit(n)
	if after != nil {
		q = q.Where("("+keys+") > ("+strings.TrimSuffix(strings.Repeat("?, ", len(after)), ", ")+")", after...)
	}
	rows := reflect.New(reflect.SliceOf(sch.ModelType))
	if err := q.Find(rows.Interface()).Error; err != nil {
		return reflect.Value{}, err
	}
	return rows.Elem(), nil
}

// keyOf returns the primary key values of row.
func keyOf(ctx context.Context, sch *schema.Schema, row reflect.Value) []any {
	var key []any
	for _, f := range sch.PrimaryFields {
		v, _ := f.ValueOf(ctx, row)
		key = append(key, v)
	}
	return key
}

// insertRows writes rows as they are, every column included: gorm's Create would put a
// column's default in place of a zero value and the clock in place of a zero time, and a
// copy must not change a thing.
func insertRows(db *gorm.DB, sch *schema.Schema, rows reflect.Value) error {
	var cols []string
	for _, name := range sch.DBNames {
		cols = append(cols, db.Statement.Quote(name))
	}
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	values := make([]string, rows.Len())
	args := make([]any, 0, rows.Len()*len(cols))
	for i := range rows.Len() {
		values[i] = one
		for _, name := range sch.DBNames {
			v, _ := sch.FieldsByDBName[name].ValueOf(db.Statement.Context, rows.Index(i))
			args = append(args, inUTC(v))
		}
	}
	return db.Exec("INSERT INTO "+db.Statement.Quote(sch.Table)+" ("+strings.Join(cols, ", ")+") VALUES "+strings.Join(values, ", "), args...).Error
}

// inUTC gives times in UTC: PostgreSQL's driver reads them in the process's zone, and SQLite
// stores a time as text with its offset, whose comparisons hold only when every stored time
// is in the one zone the app writes, UTC.
func inUTC(v any) any {
	switch t := v.(type) {
	case time.Time:
		return t.UTC()
	case *time.Time:
		if t != nil {
			u := t.UTC()
			return &u
		}
	}
	return v
}

// sameCounts counts every table on both sides and returns the counts, or an error naming
// every table whose counts differ.
func sameCounts(src, dst *gorm.DB) ([]TableCount, error) {
	var counts []TableCount
	var differ []string
	for _, m := range append([]any{&schemaVersion{}}, tables...) {
		var a, b int64
		if err := src.Model(m).Count(&a).Error; err != nil {
			return nil, err
		}
		if err := dst.Model(m).Count(&b).Error; err != nil {
			return nil, err
		}
		name := tableOf(dst, m).Table
		if a != b {
			differ = append(differ, fmt.Sprintf("%s: %d in the source, %d in the target", name, a, b))
		}
		counts = append(counts, TableCount{Table: name, Rows: b})
	}
	if len(differ) > 0 {
		return nil, fmt.Errorf("verify the copy: row counts differ (%s)", strings.Join(differ, "; "))
	}
	return counts, nil
}

// sameAggregates recomputes the aggregates of every closed survey on the target, inside a
// savepoint that is rolled back, and compares them with the source's stored ones. It returns
// the number of closed surveys.
func sameAggregates(src, dst *gorm.DB) (int, error) {
	var closed []Survey
	if err := dst.Where("status = ?", StatusClosed).Order("id").Find(&closed).Error; err != nil {
		return 0, err
	}
	for _, s := range closed {
		stored, err := storedAggregates(src, s.ID)
		if err != nil {
			return 0, err
		}
		if err := dst.SavePoint("recompute").Error; err != nil {
			return 0, err
		}
		recomputed, err := recomputedAggregates(dst, s.ID)
		if rerr := dst.RollbackTo("recompute").Error; err == nil {
			err = rerr
		}
		if err != nil {
			return 0, fmt.Errorf("verify the copy: recompute the aggregates of %s: %w", s.Slug, err)
		}
		kept, err := answersKept(dst, s.ID)
		if err != nil {
			return 0, err
		}
		if diff := aggregatesDiffer(stored, recomputed, kept); diff != "" {
			return 0, fmt.Errorf("verify the copy: the aggregates of %s recomputed on the target differ from the source's: %s", s.Slug, diff)
		}
	}
	return len(closed), nil
}

func storedAggregates(db *gorm.DB, surveyID uint) ([]Aggregate, error) {
	var rows []Aggregate
	err := db.Where("survey_id = ?", surveyID).Find(&rows).Error
	return rows, err
}

func recomputedAggregates(tx *gorm.DB, surveyID uint) ([]Aggregate, error) {
	if err := ComputeAggregates(tx, surveyID); err != nil {
		return nil, err
	}
	return storedAggregates(tx, surveyID)
}

// answersKept reports whether survey surveyID still has its raw answers: a retention purge
// deletes them and keeps the tallies, so the medians, minima and maxima of number questions,
// which only answers give, can then not be recomputed.
func answersKept(db *gorm.DB, surveyID uint) (bool, error) {
	var n int64
	err := db.Model(&Retention{}).Where("survey_id = ? AND answers_deleted_at IS NOT NULL", surveyID).Count(&n).Error
	return n == 0, err
}

// aggregatesDiffer describes the first differences between two sets of aggregate rows, ""
// when they agree. Totals are sums of floating-point numbers, whose last bits depend on the
// order the database added them in, so they need only agree to a part in 10^9. Without the
// raw answers the statistics rows (#median …) are left out of the comparison.
func aggregatesDiffer(a, b []Aggregate, answersKept bool) string {
	key := func(r Aggregate) string {
		return strings.Join([]string{r.Dimension, r.Grp, r.Question, r.Item, r.Option}, "|")
	}
	index := func(rows []Aggregate) map[string]Aggregate {
		m := map[string]Aggregate{}
		for _, r := range rows {
			if answersKept || !strings.HasPrefix(r.Option, "#") {
				m[key(r)] = r
			}
		}
		return m
	}
	am, bm := index(a), index(b)
	var diffs []string
	for k, x := range am {
		y, ok := bm[k]
		switch {
		case !ok:
			diffs = append(diffs, k+" missing")
		case x.N != y.N || math.Abs(x.Total-y.Total) > 1e-9*math.Max(1, math.Abs(x.Total)):
			diffs = append(diffs, fmt.Sprintf("%s: n %d, total %g against n %d, total %g", k, x.N, x.Total, y.N, y.Total))
		}
	}
	for k := range bm {
		if _, ok := am[k]; !ok {
			diffs = append(diffs, k+" extra")
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	sort.Strings(diffs)
	if len(diffs) > 5 {
		diffs = append(diffs[:5], fmt.Sprintf("and %d more", len(diffs)-5))
	}
	return strings.Join(diffs, "; ")
}
