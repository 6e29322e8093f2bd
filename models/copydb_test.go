package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// fillInstallation gives every table of db rows, the way the app makes them: the article's 119
// responses in the reference survey, closed, with result settings, retention, a theme and a
// stored slice; a researcher with an API token; a second survey in fieldwork with invitations,
// mail templates, a mail run with one message sent and a draft.
func fillInstallation(t *testing.T, db *DB) {
	t.Helper()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	at := now()
	_, err := SessionKey(db.Write)
	must(err)
	r, err := AddResearcher(db.Write, "onderzoeker@example.nl", "een lang wachtwoord", System)
	must(err)
	_, _, err = CreateToken(db.Write, r, "dashboard")
	must(err)

	s := referenceSurvey(t, db)
	article, err := ArticleResponses(db.Read, s)
	must(err)
	must(InsertSubmitted(db.Write, s, article))
	must(CloseSurvey(db.Write, s.ID, System, at))
	s = referenceSurvey(t, db)
	_, err = PackRecords(db.Write, s) // as the pass after closing does
	must(err)
	must(SaveSettings(db.Write, s, ResultSettings{SurveyID: s.ID, MinGroupSize: 3, MultiBase: BaseAnswered, AnsweredOnly: "kc_plannen"}))
	must(SaveRetention(db.Write, s.ID, 10, 20, 400, System, at))
	must(CreateTheme(db.Write, s, "kc_concreet", "Digitaal"))
	var theme Theme
	must(db.Read.Take(&theme).Error)
	var ids []uint
	must(db.Read.Model(&Answer{}).Where("question = ? AND text <> ''", "kc_concreet").Order("id").Limit(3).Pluck("id", &ids).Error)
	_, err = TagAnswers(db.Write, s, "kc_concreet", theme.ID, ids, true)
	must(err)
	must(EnsureSlice(db.Write, s, "provincie", nil))
	must(CountFailureInWindow(db.Write, "login", "192.0.2.1", at, time.Hour)) // the limits of every instance
	must(SavePreview(db.Write, "preview-of-the-reference", `{"answers":{}}`, at))

	ref, err := ReferenceSurvey()
	must(err)
	def, err := ParseDefinition("next.yaml", []byte(strings.Replace(string(ref), "slug: klantcontact-2018", "slug: klantcontact-2019", 1)))
	must(err)
	next, err := ImportSurvey(db.Write, def, StatusOpen)
	must(err)
	contacts := []Contact{{Code: "0344", Name: "Anna", Email: "anna@utrecht.nl"}, {Code: "0014", Email: "kees@groningen.nl"}}
	key := NewLinkKey(make([]byte, 64))
	_, _, err = Invite(db.Write, next, key, contacts, System, at)
	must(err)
	must(SaveMailTemplates(db.Write, next.ID, []MailTemplate{{SurveyID: next.ID, Kind: MailInvitation, Subject: "Uitnodiging", Body: "Beste {{naam}}, {{link}}"}}))
	_, _, err = StartMailRun(db.Write, &MailRun{SurveyID: next.ID, Kind: MailInvitation, Actor: r.Email, Subject: "x", Body: "{{link}}", LinkBase: "http://x/", CreatedAt: at}, 0)
	must(err)
	q, err := NextQueuedMail(db.Read, 0)
	must(err)
	must(RecordMail(db.Write, q, "", at))
	invs, err := LiveInvitations(db.Read, next.ID)
	must(err)
	_, _, err = StartInvitedDraft(db.Write, next, &invs[0])
	must(err)
	// A response sent and not yet tallied (no background pass runs here): queued.
	nextDef, err := next.Def()
	must(err)
	var m Municipality
	must(db.Read.Where("register = ?", next.Register).Order("code DESC").First(&m).Error)
	sent := completeDraft(t, db, next, nextDef, &m, rand.New(rand.NewPCG(1, 1)))
	must(Submit(db.Write, next, sent, NewToken(), "nl"))

	for _, m := range tables {
		var n int64
		must(db.Read.Model(m).Count(&n).Error)
		if n == 0 {
			t.Fatalf("fillInstallation left %s empty: the copy of that table would go untested", tableOf(db.Read, m).Table)
		}
	}
}

// tableRows returns every row of every table of db as text, table by table in key order, with
// times in UTC at PostgreSQL's resolution (microseconds), so that two databases can be compared.
func tableRows(t *testing.T, db *DB) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	for _, m := range tables {
		sch := tableOf(db.Read, m)
		var after []any
		for {
			rows, err := readBatch(db.Read, sch, after, CopyBatch)
			if err != nil {
				t.Fatal(err)
			}
			if rows.Len() == 0 {
				break
			}
			for i := range rows.Len() {
				var cols []string
				for _, name := range sch.DBNames {
					v, _ := sch.FieldsByDBName[name].ValueOf(ctx, rows.Index(i))
					if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer {
						v = "<nil>"
						if !rv.IsNil() {
							v = rv.Elem().Interface()
						}
					}
					if tm, ok := v.(time.Time); ok {
						v = tm.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
					}
					cols = append(cols, fmt.Sprintf("%s=%v", name, v))
				}
				out[sch.Table] = append(out[sch.Table], strings.Join(cols, " "))
			}
			after = keyOf(ctx, sch, rows.Index(rows.Len()-1))
		}
	}
	return out
}

func sameRows(t *testing.T, a, b map[string][]string) {
	t.Helper()
	for table, rows := range a {
		if !reflect.DeepEqual(rows, b[table]) {
			t.Errorf("%s differs: %d rows in the source, %d in the copy", table, len(rows), len(b[table]))
			for i := range min(len(rows), len(b[table])) {
				if rows[i] != b[table][i] {
					t.Errorf("first difference:\n%s\n%s", rows[i], b[table][i])
					break
				}
			}
		}
	}
}

// copyAndCompare fills a database at fromDSN, copies it to toDSN and checks that the copy
// holds exactly the same rows and goes on working: a new response gets a fresh id.
func copyAndCompare(t *testing.T, fromDSN, toDSN string) {
	from := openSeeded(t, fromDSN)
	fillInstallation(t, from)
	to := openTest(t, toDSN)
	var told []string
	rep, err := CopyDB(context.Background(), from, to, func(c TableCount) { told = append(told, c.Table) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.ClosedSurveys != 1 || len(rep.Tables) != len(tables)+1 || len(told) != len(tables) {
		t.Errorf("report %+v, progress for %v", rep, told)
	}
	sameRows(t, tableRows(t, from), tableRows(t, to))

	// The sequences moved past the copied ids: the app writes on in the copy.
	next, err := FindSurvey(to.Read, "klantcontact-2019")
	if err != nil {
		t.Fatal(err)
	}
	var maxID uint
	to.Read.Model(&Response{}).Select("MAX(id)").Scan(&maxID)
	r, _, err := StartDraft(to.Write, next, "nl")
	if err != nil {
		t.Fatalf("a new draft in the copy: %v", err)
	}
	if r.ID <= maxID {
		t.Errorf("new response id %d, the copied ones go up to %d", r.ID, maxID)
	}
}

func openTest(t *testing.T, dsn string) *DB {
	t.Helper()
	db, err := Open(dsn, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// TestCopyDBFromSQLiteCopiesEveryRowAndVerifiesTheAggregates copies a SQLite installation
// into the test run's backend (PostgreSQL in scripts/test's postgres stage).
func TestCopyDBFromSQLiteCopiesEveryRowAndVerifiesTheAggregates(t *testing.T) {
	copyAndCompare(t, filepath.Join(t.TempDir(), "from.db"), dbtest.DSN(t, "to.db"))
}

// TestCopyDBIntoSQLiteCopiesEveryRow is the way back: from the test run's backend into SQLite.
func TestCopyDBIntoSQLiteCopiesEveryRow(t *testing.T) {
	copyAndCompare(t, dbtest.DSN(t, "from.db"), filepath.Join(t.TempDir(), "to.db"))
}

// TestCopyDBRefusesANonEmptyTargetAndUnknownTables: a copy never mixes into data, and never
// leaves a table behind that this binary does not know.
func TestCopyDBRefusesANonEmptyTargetAndUnknownTables(t *testing.T) {
	from := openSeeded(t, filepath.Join(t.TempDir(), "from.db"))
	to := openSeeded(t, dbtest.DSN(t, "to.db"))
	var before int64
	to.Read.Model(&Municipality{}).Count(&before)
	_, err := CopyDB(context.Background(), from, to, nil)
	if !errors.Is(err, ErrTargetNotEmpty) || !strings.Contains(err.Error(), "municipalities: ") {
		t.Fatalf("copy into a seeded database: %v", err)
	}
	var after int64
	to.Read.Model(&Municipality{}).Count(&after)
	if after != before {
		t.Errorf("the refused copy changed the target: %d municipalities, then %d", before, after)
	}

	if err := from.Write.Exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)").Error; err != nil {
		t.Fatal(err)
	}
	empty := openTest(t, dbtest.DSN(t, "empty.db"))
	if _, err := CopyDB(context.Background(), from, empty, nil); err == nil || !strings.Contains(err.Error(), "(notes)") {
		t.Errorf("copy of a source with an unknown table: %v", err)
	}
}

// TestCopyDBFindsAggregatesThatDoNotAddUp: the check after copying is real. A stored
// aggregate that the tallies do not give fails the copy, and the target stays empty.
func TestCopyDBFindsAggregatesThatDoNotAddUp(t *testing.T) {
	from := openSeeded(t, filepath.Join(t.TempDir(), "from.db"))
	s := referenceSurvey(t, from)
	article, err := ArticleResponses(from.Read, s)
	if err != nil {
		t.Fatal(err)
	}
	if err := InsertSubmitted(from.Write, s, article); err != nil {
		t.Fatal(err)
	}
	closeForTest(t, from, s)
	if err := from.Write.Exec("UPDATE aggregates SET n = n + 1 WHERE survey_id = ? AND dimension = '' AND question = 'afdeling'", s.ID).Error; err != nil {
		t.Fatal(err)
	}
	to := openTest(t, dbtest.DSN(t, "to.db"))
	_, err = CopyDB(context.Background(), from, to, nil)
	if err == nil || !strings.Contains(err.Error(), "differ from the source's") {
		t.Fatalf("copy of wrong aggregates: %v", err)
	}
	var n int64
	to.Read.Model(&Response{}).Count(&n)
	if n != 0 {
		t.Errorf("a failed copy left %d responses in the target", n)
	}
}
