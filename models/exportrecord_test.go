package models

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"peiling/models/dbtest"
)

// TestRecordsExportWhatTheAnswersExport: the CSV read from the records that Submit and the
// seeder store is, field for field, the CSV formatted from the answers: in both dialects,
// with and without the municipality, under either base of the multi questions, over two
// versions (the second with skip logic), with awkward texts and numbers and questions left
// open. With the answers out of reach it still is, so the records were read; packed after
// closing, with the records out of reach too, so the packs were; with records missing or made
// for another definition, those responses come from their answers, in order; after a version
// that changes the columns, the older records are passed over. Reopening drops the packs, a
// packing for an earlier close writes none, deleting the answers deletes records and packs.
func TestRecordsExportWhatTheAnswersExport(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "r.db"))
	s := referenceSurvey(t, db)
	var ms []Municipality
	if err := db.Read.Where("register = ?", s.Register).Order("code").Limit(12).Find(&ms).Error; err != nil || len(ms) != 12 {
		t.Fatalf("%d municipalities: %v", len(ms), err)
	}
	// Version 2: a number question, for decimals.
	two := withNumber(referenceDef(t))
	if c, err := ChangeDefinition(db.Write, s.ID, two, Actor{Name: "test"}, time.Now().UTC()); err != nil || c.Kind != ActionVersionCreated {
		t.Fatalf("version 2: %+v, %v", c, err)
	}
	s = referenceSurvey(t, db)
	rng := rand.New(rand.NewPCG(11, 12))
	awkward := []string{"=SUM(A1:A9)", "a;b, \"c\"\r\nd", "-geen-", "  @home", "+31 6 1234 5678", "gewoon, met komma"}
	numbers := []float64{12.5, -3.25, 0.1 + 0.2, 1e6, 7, 1234.5678}
	submit := func(m *Municipality, i int, lang string) {
		t.Helper()
		def, err := s.Def()
		if err != nil {
			t.Fatal(err)
		}
		r := completeDraft(t, db, s, def, m, rng)
		for _, q := range def.Questions() {
			switch q.Kind {
			case KindText:
				db.Write.Model(&Answer{}).Where("response_id = ? AND question = ?", r.ID, q.Code).Update("text", awkward[i%len(awkward)])
			case KindNumber:
				db.Write.Model(&Answer{}).Where("response_id = ? AND question = ?", r.ID, q.Code).Update("number", numbers[i%len(numbers)])
			}
		}
		if err := Submit(db.Write, s, r, NewToken(), lang); err != nil {
			t.Fatalf("submit %s: %v", m.Code, err)
		}
	}
	for i := range 4 {
		submit(&ms[i], i, []string{"nl", "en"}[i%2])
	}
	// Version 3: the same columns, with skip logic.
	def := withNumber(referenceDef(t))
	def.Sections[2].ShowIf = &Condition{Question: "overleg", Values: []string{"ja"}}
	def.Sections[3].Questions[0].ShowIf = &Condition{Question: "kc_plannen", Values: []string{"basis_op_orde", "sturing"}}
	if c, err := ChangeDefinition(db.Write, s.ID, def, Actor{Name: "test"}, time.Now().UTC()); err != nil || c.Kind != ActionVersionCreated {
		t.Fatalf("version 3: %+v, %v", c, err)
	}
	s = referenceSurvey(t, db)
	for i := 4; i < 8; i++ {
		submit(&ms[i], i, "nl")
	}
	// Seeded, as the benchmarks' responses are: some with a multi question and the open
	// questions left unanswered, one without a municipality.
	cur, err := s.Def()
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, q := range cur.Questions() {
		kinds[q.Code] = q.Kind
	}
	var seeded []SeededResponse
	for i := 8; i < 12; i++ {
		m := &ms[i]
		if i == 11 {
			m = nil
		}
		answers := RandomAnswers(cur, m, rng)
		if i%2 == 0 {
			multi := ""
			answers = slices.DeleteFunc(answers, func(a Answer) bool {
				if kinds[a.Question] == KindMulti && (multi == "" || multi == a.Question) {
					multi = a.Question
					return true
				}
				return kinds[a.Question] == KindText
			})
		}
		seeded = append(seeded, SeededResponse{Municipality: ms[i].Code, Answers: answers})
		if m == nil {
			seeded[len(seeded)-1].Municipality = ""
		}
	}
	if err := InsertSubmitted(db.Write, s, seeded); err != nil {
		t.Fatal(err)
	}
	if err := CloseSurvey(db.Write, s.ID, System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	s = referenceSurvey(t, db)
	if n := count(t, db, `SELECT COUNT(*) FROM response_records`); n != 12 {
		t.Fatalf("%d records for 12 sent responses", n)
	}

	type variant struct {
		name     string
		settings ResultSettings
		dutch    bool
	}
	var variants []variant
	for name, st := range map[string]ResultSettings{"default": {}, "anonymous": {AnonymousExport: true}, "base shown": {MultiBase: BaseShown}} {
		variants = append(variants, variant{name + ", Dutch", st, true}, variant{name + ", plain", st, false})
	}
	fromAnswers := func(v variant) []string {
		t.Helper()
		def, _ := s.Def()
		layout := NewRowLayout(Columns(def, v.settings))
		var out []string
		err := StreamResponses(db.Read, s, func(r *RawResponse) error {
			var f []string
			for _, cell := range layout.Row(r) {
				f = append(f, CSVCell(cell, v.dutch))
			}
			out = append(out, strings.Join(f, "\x1f"))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	exported := func(v variant) ([]string, error) {
		def, _ := s.Def()
		var out []string
		err := StreamCSV(db.Read, s, Columns(def, v.settings), v.dutch, func(f []string) error {
			out = append(out, strings.Join(f, "\x1f"))
			return nil
		})
		return out, err
	}
	// The spreadsheet's cells, as the XLSX writes them: numbers without noise, times as
	// Amsterdam wall clock to the second, texts as typed.
	sheetRow := func(row []Cell) string {
		var f []string
		for _, c := range row {
			switch {
			case c.IsTime:
				f = append(f, "time "+c.Time.In(amsterdam()).Format("2006-01-02 15:04:05"))
			case c.IsNumber:
				f = append(f, fmt.Sprint("number ", CleanNumber(c.Number)))
			default:
				f = append(f, "text "+c.Text)
			}
		}
		return strings.Join(f, "\x1f")
	}
	sheetFromAnswers := func(v variant) []string {
		t.Helper()
		def, _ := s.Def()
		layout := NewRowLayout(Columns(def, v.settings))
		var out []string
		if err := StreamResponses(db.Read, s, func(r *RawResponse) error {
			out = append(out, sheetRow(layout.Row(r)))
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	sheet := func(v variant) ([]string, error) {
		def, _ := s.Def()
		var out []string
		err := StreamCells(db.Read, s, Columns(def, v.settings), func(row []Cell) error {
			out = append(out, sheetRow(row))
			return nil
		})
		return out, err
	}
	want, wantSheet := make([][]string, len(variants)), make([][]string, len(variants))
	expect := func() {
		t.Helper()
		for i, v := range variants {
			want[i], wantSheet[i] = fromAnswers(v), sheetFromAnswers(v)
		}
	}
	expect()
	if len(want[0]) != 12 {
		t.Fatalf("%d rows from the answers", len(want[0]))
	}
	compare := func(when, what string, got, want []string) {
		t.Helper()
		for j := range max(len(got), len(want)) {
			if j >= len(got) || j >= len(want) || got[j] != want[j] {
				g, w := "", ""
				if j < len(got) {
					g = got[j]
				}
				if j < len(want) {
					w = want[j]
				}
				t.Fatalf("%s, %s, row %d:\n got %q\nwant %q", when, what, j, g, w)
			}
		}
	}
	same := func(when string) {
		t.Helper()
		for i, v := range variants {
			got, err := exported(v)
			if err != nil {
				t.Fatalf("%s, %s: %v", when, v.name, err)
			}
			compare(when, v.name, got, want[i])
			if !v.dutch {
				continue
			}
			cells, err := sheet(v)
			if err != nil {
				t.Fatalf("%s, %s cells: %v", when, v.name, err)
			}
			compare(when, v.name+" cells", cells, wantSheet[i])
		}
	}
	// Tables out of the export's reach cannot be what it wrote.
	away := func(table string, when string) {
		t.Helper()
		if err := db.Write.Exec(`ALTER TABLE ` + table + ` RENAME TO away`).Error; err != nil {
			t.Fatal(err)
		}
		same(when)
		if err := db.Write.Exec(`ALTER TABLE away RENAME TO ` + table).Error; err != nil {
			t.Fatal(err)
		}
	}
	pack := func(want int) {
		t.Helper()
		if n, err := PackRecords(db.Write, s); err != nil || n != want {
			t.Fatalf("packed %d responses (%v), want %d", n, err, want)
		}
	}
	unpack := func() {
		t.Helper()
		if _, err := exec(db.Write, `DELETE FROM record_packs`); err != nil {
			t.Fatal(err)
		}
	}
	defer func(size, bytes, per int) { packSize, packBytes, packsPerWrite = size, bytes, per }(packSize, packBytes, packsPerWrite)
	packSize, packBytes, packsPerWrite = 5, 600, 2 // packs of 5 responses, or fewer where they grow past 600 bytes; two to a write

	same("every response with its record")
	away("answers", "the answers out of reach")
	pack(12)
	if n := count(t, db, `SELECT COUNT(*) FROM record_packs WHERE first_id > 0`); n <= 3 {
		t.Fatalf("%d packs: 12 responses of 5 to a pack make 3, and some packs should have ended early on their size", n)
	}
	same("packed")
	pack(0) // done for this close
	// A packing that stopped halfway is finished by the next, from where it stopped.
	if _, err := exec(db.Write, `DELETE FROM record_packs WHERE first_id = 0 OR first_id = (SELECT MAX(first_id) FROM record_packs)`); err != nil {
		t.Fatal(err)
	}
	if n, err := PackRecords(db.Write, s); err != nil || n == 0 || n >= 12 {
		t.Fatalf("carrying on packed %d (%v): want the last pack's responses only", n, err)
	}
	same("packed in two goes")
	// Two at once (two instances) each add what the other has not.
	unpack()
	var wg sync.WaitGroup
	packedBy := make([]int, 2)
	for i := range packedBy {
		wg.Go(func() {
			n, err := PackRecords(db.Write, s)
			if err != nil {
				t.Error(err)
			}
			packedBy[i] = n
		})
	}
	wg.Wait()
	if packedBy[0]+packedBy[1] != 12 || count(t, db, `SELECT SUM(count) FROM record_packs WHERE first_id > 0`) != 12 {
		t.Fatalf("two packings at once packed %v", packedBy)
	}
	same("packed by two at once")
	away("response_records", "packed, the records out of reach")
	// A packing that does not count what was sent is not read (its packs, garbled here, would
	// not give these rows).
	if _, err := exec(db.Write, `UPDATE record_packs SET count = 11 WHERE first_id = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(db.Write, `UPDATE record_packs SET cells = $1 WHERE first_id > 0`, []byte{1, 1, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	same("a packing that does not count what was sent")
	unpack()

	if _, err := exec(db.Write, `DELETE FROM response_records WHERE response_id % 3 = 0`); err != nil {
		t.Fatal(err)
	}
	if _, err := exec(db.Write, `UPDATE response_records SET layout = 12345 WHERE response_id % 3 = 1`); err != nil {
		t.Fatal(err)
	}
	same("a third without a record, a third with a record of another definition")
	pack(12)
	same("packed, a third without a record, a third with a record of another definition")

	// Version 4 adds an option to a multi question: a column more, so the records of versions
	// 2 and 3 no longer fit and are passed over; the answers say what is in it.
	if err := OpenSurvey(db.Write, s.ID, System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM record_packs`); n != 0 {
		t.Fatalf("%d packs after reopening", n)
	}
	closedBefore := s
	three := withNumber(referenceDef(t))
	three.Sections[2].ShowIf, three.Sections[3].Questions[0].ShowIf = def.Sections[2].ShowIf, def.Sections[3].Questions[0].ShowIf
	added := false
	for si := range three.Sections {
		for qi := range three.Sections[si].Questions {
			if q := &three.Sections[si].Questions[qi]; q.Kind == KindMulti && !added {
				q.Options = append(q.Options, Option{Code: "nieuw", Label: "Nieuw"})
				added = true
			}
		}
	}
	if c, err := ChangeDefinition(db.Write, s.ID, three, Actor{Name: "test"}, time.Now().UTC()); err != nil || c.Kind != ActionVersionCreated {
		t.Fatalf("version 4: %+v, %v", c, err)
	}
	s = referenceSurvey(t, db)
	var more []Municipality
	if err := db.Read.Where("register = ?", s.Register).Order("code").Offset(12).Limit(2).Find(&more).Error; err != nil || len(more) != 2 {
		t.Fatalf("%d municipalities: %v", len(more), err)
	}
	submit(&more[0], 1, "en")
	submit(&more[1], 3, "nl")
	if err := CloseSurvey(db.Write, s.ID, System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	s = referenceSurvey(t, db)
	expect()
	same("after a version with another column")
	if n, err := PackRecords(db.Write, closedBefore); err != nil || n != 0 || count(t, db, `SELECT COUNT(*) FROM record_packs`) != 0 {
		t.Fatalf("packing after an earlier close: %d, %v", n, err)
	}
	pack(14)
	same("packed, after a version with another column")

	if _, err := PurgeAll(db.Write, s, time.Now().UTC(), System); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM response_records`) + count(t, db, `SELECT COUNT(*) FROM record_packs`); n != 0 {
		t.Errorf("%d records and packs after the answers were deleted: a copy of the answers survived", n)
	}
}

// TestAWithdrawnResponseLosesItsRecord: records are kept for submitted responses only.
func TestAWithdrawnResponseLosesItsRecord(t *testing.T) {
	db := openSeeded(t, dbtest.DSN(t, "w.db"))
	s := referenceSurvey(t, db)
	sent := queuedSubmits(t, db, s, 3)
	if err := WithdrawResponse(db.Write, s, sent[1].ID, "test", System, time.Now().UTC()); err != nil {
		t.Fatal(err)
	}
	var ids []uint
	if err := db.Read.Raw(`SELECT response_id FROM response_records ORDER BY response_id`).Scan(&ids).Error; err != nil {
		t.Fatal(err)
	}
	if want := []uint{sent[0].ID, sent[2].ID}; !slices.Equal(ids, want) {
		t.Errorf("records of %v, want %v", ids, want)
	}
}

// withNumber adds a number question with a unit to the last page of def.
func withNumber(def *Definition) *Definition {
	last := &def.Sections[len(def.Sections)-1]
	last.Questions = append(last.Questions, Question{Code: "fte", Kind: KindNumber, Text: "Hoeveel fte werkt aan klantcontact?", Unit: "fte"})
	return def
}

func count(t *testing.T, db *DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.Read.Raw(query).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}
