package models

import (
	"encoding/binary"
	"errors"
	"fmt"

	"gorm.io/gorm"
)

// After a survey closes, the pass after closing packs its responses' export records
// (exportrecord.go) into packs of packSize, in id order. A CSV export then reads one row per
// pack instead of one per response: reading a row costs SQLite about a microsecond whatever
// it holds, as much as encoding/csv takes to write the row, so a row per response kept the
// export at a quarter of a bare writer's rate (issue 14).
//
// A survey's set of submitted responses cannot change while it stays closed: withdrawing needs
// fieldwork, reopening drops the packs (DropAggregates), and deleting the answers deletes them
// too (purgeResponses). Packs carry the moment of the close they were made after, and a pack
// is only read when that is the survey's, and when the count the packing wrote at its end
// equals the survey's submitted responses; else the export reads record by record.

// packSize is how many responses one pack holds at most: 30–200 KB for answers of the usual
// length; packBytes is how large a pack may grow before it ends early (open answers run to
// 20,000 characters, and an export holds one pack in memory); packsPerWrite is how many packs
// one write transaction stores: the writer is the respondents' too, so a million-response
// survey is packed in short turns. Variables for the tests only.
var packSize, packBytes, packsPerWrite = 500, 1 << 20, 10

// packFormat is the version of how a pack is written (readPack), kept in every pack: a pack
// written otherwise is not read, and the next pass packs again.
const packFormat = 1

// RecordPack is up to packSize consecutive submitted responses of a closed survey as the
// export reads them: for each, its id, version, municipality code and record.
type RecordPack struct {
	SurveyID uint    `gorm:"primaryKey;autoIncrement:false"`
	Survey   *Survey `gorm:"constraint:OnDelete:CASCADE"`
	// Closed is the close it was packed after (closedStamp).
	Closed int64 `gorm:"primaryKey;autoIncrement:false"`
	// FirstID is its first response's id; 0 marks the end of the packing, and its Count is
	// then how many responses all packs hold.
	FirstID uint   `gorm:"primaryKey;autoIncrement:false"`
	LastID  uint   `gorm:"not null;default:0"`
	Count   int    `gorm:"not null"`
	Format  int    `gorm:"not null;default:0"` // packFormat; 0 in packs made before it was kept: never read
	Cells   []byte // none in the end mark
}

func (RecordPack) TableName() string { return "record_packs" }

// errNoLongerClosed stops a packing whose survey was reopened or closed again meanwhile.
var errNoLongerClosed = errors.New("survey no longer closed as it was")

// PackRecords packs the records of closed survey s, unless that was done for this close; it
// returns how many responses it packed. Each turn carries on from the packs already stored,
// under the survey's lock: a packing that stopped halfway (a process that ended) is finished
// by the next, and two instances packing at once each add what the other has not.
func PackRecords(write *gorm.DB, s *Survey) (int, error) {
	if s.Status != StatusClosed || s.ClosedAt == nil {
		return 0, nil
	}
	stamp := closedStamp(s)
	if n, err := packedCount(write, s.ID, stamp); err != nil || n >= 0 {
		return 0, err // packed already: no write transaction for every export that asks
	}
	packed := 0
	for {
		done := false
		err := write.Transaction(func(tx *gorm.DB) error {
			now, err := takeSurvey(tx, s.ID)
			if err != nil {
				return err
			}
			if now.Status != StatusClosed || closedStamp(now) != stamp {
				return errNoLongerClosed
			}
			if err := CheckAnswersKept(tx, s.ID); err != nil {
				return err
			}
			if n, err := packedCount(tx, s.ID, stamp); err != nil || n >= 0 {
				done = true // finished by another instance meanwhile
				return err
			}
			if err := tx.Where("survey_id = ? AND (closed <> ? OR format <> ?)", s.ID, stamp, packFormat).Delete(&RecordPack{}).Error; err != nil {
				return err
			}
			var sofar struct {
				Last  uint
				Total int
			}
			if err := tx.Raw(`SELECT COALESCE(MAX(last_id), 0) AS last, COALESCE(SUM(count), 0) AS total FROM record_packs
				WHERE survey_id = ? AND closed = ? AND first_id > 0`, s.ID, stamp).Scan(&sofar).Error; err != nil {
				return err
			}
			for range packsPerWrite {
				pack, firstID, lastID, n, err := readPack(tx, s, sofar.Last)
				if err != nil {
					return err
				}
				if n == 0 {
					done = true
					return tx.Create(&RecordPack{SurveyID: s.ID, Closed: stamp, FirstID: 0, Count: sofar.Total, Format: packFormat}).Error
				}
				pk := RecordPack{SurveyID: s.ID, Closed: stamp, FirstID: firstID, LastID: lastID, Count: n, Format: packFormat, Cells: pack}
				if err := tx.Create(&pk).Error; err != nil {
					return err
				}
				sofar.Total += n
				sofar.Last = lastID
				packed += n
			}
			return nil
		})
		if errors.Is(err, errNoLongerClosed) || errors.Is(err, ErrAnswersDeleted) {
			return packed, nil
		}
		if err != nil {
			return packed, fmt.Errorf("pack records of %s: %w", s.Slug, err)
		}
		if done {
			return packed, nil
		}
	}
}

// packedCount is how many responses the finished packing of survey surveyID after close stamp
// holds, or -1 when there is none in this packFormat.
func packedCount(tx *gorm.DB, surveyID uint, stamp int64) (int, error) {
	var counts []int
	err := tx.Raw(`SELECT count FROM record_packs WHERE survey_id = ? AND closed = ? AND first_id = 0 AND format = ?`,
		surveyID, stamp, packFormat).Scan(&counts).Error
	if err != nil || len(counts) == 0 {
		return -1, err
	}
	return counts[0], nil
}

// readPack reads the next up to packSize submitted responses of s after id last into a pack,
// fewer when it would grow past packBytes.
// A pack is a table of the distinct texts in it (most cells are a handful of codes), then per
// response its id, version, municipality code, record layout (0: none) and record's fields,
// each text as its place in the table: a third of the bytes of the records themselves.
func readPack(tx *gorm.DB, s *Survey, last uint) (pack []byte, firstID, lastID uint, n int, err error) {
	rows, err := tx.Raw(recordRowsSQL, s.ID, ResponseSubmitted, last, packSize).Rows()
	if err != nil {
		return nil, 0, 0, 0, err
	}
	defer rows.Close()
	var (
		texts   []string
		places  = map[string]uint64{}
		entries []byte
		fields  []string
		size    int // the texts' bytes so far
	)
	text := func(s string) uint64 {
		i, ok := places[s]
		if !ok {
			i = uint64(len(texts))
			places[s] = i
			texts = append(texts, s)
			size += len(s)
		}
		return i
	}
	for rows.Next() {
		if n > 0 && size+len(entries) > packBytes {
			break // the rest goes into the next pack
		}
		var (
			id, version uint64
			layout      int64
			code        string
			record      []byte // NULL without one
		)
		if err := rows.Scan(&id, &version, &code, &layout, &record); err != nil {
			return nil, 0, 0, 0, err
		}
		if n == 0 {
			firstID = uint(id)
		}
		lastID = uint(id)
		n++
		var ok bool
		if fields, ok = appendFields(fields[:0], string(record)); !ok || layout == 0 {
			layout, fields = 0, fields[:0] // none, or damaged: read from the answers
		}
		entries = binary.AppendUvarint(entries, id)
		entries = binary.AppendUvarint(entries, version)
		entries = binary.AppendUvarint(entries, text(code))
		entries = binary.AppendUvarint(entries, uint64(layout))
		entries = binary.AppendUvarint(entries, uint64(len(fields)))
		for _, f := range fields {
			entries = binary.AppendUvarint(entries, text(f))
		}
	}
	if err := rows.Err(); err != nil || n == 0 {
		return nil, 0, 0, 0, err
	}
	pack = binary.AppendUvarint(pack, uint64(len(texts)))
	for _, t := range texts {
		pack = appendField(pack, t)
	}
	return append(pack, entries...), firstID, lastID, n, nil
}

// packEntry is one response of a pack; its record's fields are read into a slice of the
// caller's.
type packEntry struct {
	id      uint
	version int
	code    string
	layout  int64
	fields  int // how many fields it has: 0 without a record
}

// packReader reads a pack's responses in order.
type packReader struct {
	texts []string
	rest  string
}

// readPackTexts reads the table of texts at the start of pack into texts (reused), as slices
// of pack.
func readPackTexts(pack string, texts []string) (packReader, bool) {
	p := packReader{rest: pack}
	n, ok := p.num()
	if !ok || n > uint64(len(pack)) {
		return p, false
	}
	texts = texts[:0]
	for range n {
		l, ok := p.num()
		if !ok || uint64(len(p.rest)) < l {
			return p, false
		}
		texts, p.rest = append(texts, p.rest[:l]), p.rest[l:]
	}
	p.texts = texts
	return p, true
}

func (p *packReader) num() (uint64, bool) {
	n, w := uvarint(p.rest)
	if w <= 0 {
		return 0, false
	}
	p.rest = p.rest[w:]
	return n, true
}

func (p *packReader) text() (string, bool) {
	i, ok := p.num()
	if !ok || i >= uint64(len(p.texts)) {
		return "", false
	}
	return p.texts[i], true
}

// next reads the next response, its record's fields into record and their entries in safe
// (the pack's texts neutralised) into neutral; ok is false when the pack is damaged or the
// record has more fields than record holds.
func (p *packReader) next(record, neutral, safe []string) (e packEntry, ok bool) {
	var id, version, layout, n uint64
	if id, ok = p.num(); !ok {
		return e, false
	}
	if version, ok = p.num(); !ok {
		return e, false
	}
	if e.code, ok = p.text(); !ok {
		return e, false
	}
	if layout, ok = p.num(); !ok {
		return e, false
	}
	if n, ok = p.num(); !ok || n > uint64(len(record)) {
		return e, false
	}
	rest, texts := p.rest, p.texts
	for i := range n {
		var t uint64
		if rest != "" && rest[0] < 0x80 { // one byte: the first 128 texts of a pack, most cells
			t, rest = uint64(rest[0]), rest[1:]
		} else {
			v, w := uvarint(rest)
			if w <= 0 {
				return e, false
			}
			t, rest = v, rest[w:]
		}
		if t >= uint64(len(texts)) {
			return e, false
		}
		record[i], neutral[i] = texts[t], safe[t]
	}
	p.rest = rest
	e.id, e.version, e.layout, e.fields = uint(id), int(version), int64(layout), int(n)
	return e, true
}
