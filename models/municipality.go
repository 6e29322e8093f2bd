package models

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// Municipality is one gemeente in the register of one year.
type Municipality struct {
	ID             uint   `gorm:"primaryKey"`
	Register       string `gorm:"not null;uniqueIndex:idx_municipality_register_code"`
	Code           string `gorm:"not null;uniqueIndex:idx_municipality_register_code"` // CBS code, 4 digits
	Name           string `gorm:"not null"`
	Province       string `gorm:"not null"`
	Population     int    `gorm:"not null"`
	PopulationDate string `gorm:"not null"`
}

var (
	registerColumns = []string{"code", "name", "province", "population", "population_date"}
	cbsCode         = regexp.MustCompile(`^\d{4}$`)
	isoDate         = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
	registerKey     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)
)

// ReadRegisterCSV reads a register in the columns of ../shared/data (code, name, province,
// population, population_date); file names the source in errors.
func ReadRegisterCSV(file string, r io.Reader) ([]Municipality, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(registerColumns)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: regel 1: %w", file, err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	if strings.Join(header, ",") != strings.Join(registerColumns, ",") {
		return nil, fmt.Errorf("%s: regel 1: kolommen moeten %s zijn, niet %s", file, strings.Join(registerColumns, ","), strings.Join(header, ","))
	}
	var out []Municipality
	seen := map[string]bool{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		m, err := parseMunicipality(rec)
		if err != nil {
			return nil, fmt.Errorf("%s: regel %d: %w", file, line, err)
		}
		if seen[m.Code] {
			return nil, fmt.Errorf("%s: regel %d: code %s komt twee keer voor", file, line, m.Code)
		}
		seen[m.Code] = true
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: geen gemeenten gevonden", file)
	}
	return out, nil
}

func parseMunicipality(rec []string) (Municipality, error) {
	m := Municipality{Code: strings.TrimSpace(rec[0]), Name: strings.TrimSpace(rec[1]), Province: strings.TrimSpace(rec[2]), PopulationDate: strings.TrimSpace(rec[4])}
	if !cbsCode.MatchString(m.Code) {
		return m, fmt.Errorf("code %q is geen CBS-code van 4 cijfers", m.Code)
	}
	if m.Name == "" || m.Province == "" {
		return m, errors.New("naam en provincie zijn verplicht")
	}
	pop, err := strconv.Atoi(strings.TrimSpace(rec[3]))
	if err != nil || pop < 0 {
		return m, fmt.Errorf("inwonertal %q is geen heel getal", rec[3])
	}
	m.Population = pop
	if !isoDate.MatchString(m.PopulationDate) {
		return m, fmt.Errorf("peildatum %q is geen datum als 2018-01-01", m.PopulationDate)
	}
	return m, nil
}

// LoadRegister replaces the municipalities of register key with list.
func LoadRegister(db *gorm.DB, key string, list []Municipality) error {
	if !registerKey.MatchString(key) {
		return fmt.Errorf("register name %q: use lower-case letters, digits and dashes", key)
	}
	return db.Transaction(func(tx *gorm.DB) error {
		if err := tx.Where("register = ?", key).Delete(&Municipality{}).Error; err != nil {
			return err
		}
		rows := make([]Municipality, len(list))
		for i, m := range list {
			m.ID, m.Register = 0, key
			rows[i] = m
		}
		return tx.CreateInBatches(rows, 200).Error
	})
}

// RegisterNames lists the registers in the database with their number of municipalities.
func RegisterNames(db *gorm.DB) (map[string]int, error) {
	var rows []struct {
		Register string
		N        int
	}
	err := db.Model(&Municipality{}).Select("register, COUNT(*) AS n").Group("register").Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.Register] = r.N
	}
	return out, err
}

// Register is one register held in memory for the municipality picker.
type Register struct {
	Key    string
	List   []Municipality // sorted by name
	byCode map[string]*Municipality
	byName map[string]*Municipality
}

// Find resolves what a respondent typed or picked: a CBS code or a name, any case.
func (r *Register) Find(input string) (*Municipality, bool) {
	input = strings.TrimSpace(input)
	if m, ok := r.byCode[input]; ok {
		return m, true
	}
	m, ok := r.byName[strings.ToLower(input)]
	return m, ok
}

// ByCode returns the municipality with CBS code code.
func (r *Register) ByCode(code string) (*Municipality, bool) {
	m, ok := r.byCode[code]
	return m, ok
}

// NewRegister indexes list (which it sorts by name) for lookups by code and by name.
func NewRegister(key string, list []Municipality) *Register {
	sort.Slice(list, func(i, j int) bool { return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name) })
	r := &Register{Key: key, List: list, byCode: map[string]*Municipality{}, byName: map[string]*Municipality{}}
	for i := range list {
		r.byCode[list[i].Code] = &list[i]
		r.byName[strings.ToLower(list[i].Name)] = &list[i]
	}
	return r
}

// Registers caches registers by key: they change only when a researcher loads one again.
type Registers struct {
	mu    sync.Mutex
	cache map[string]*Register
}

// Get returns register key, loading it on first use.
func (rs *Registers) Get(db *gorm.DB, key string) (*Register, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if r, ok := rs.cache[key]; ok {
		return r, nil
	}
	var list []Municipality
	if err := db.Where("register = ?", key).Find(&list).Error; err != nil {
		return nil, fmt.Errorf("load register %s: %w", key, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("register %s: %w", key, ErrNotFound)
	}
	r := NewRegister(key, list)
	if rs.cache == nil {
		rs.cache = map[string]*Register{}
	}
	rs.cache[key] = r
	return r, nil
}

// Forget drops register key from the cache after it was loaded again.
func (rs *Registers) Forget(key string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.cache, key)
}
