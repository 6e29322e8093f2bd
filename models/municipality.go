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
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
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
	byKey  map[string][]*Municipality // looseName of a name, alias or base name → municipalities
	keys   []string                   // the keys of byKey, sorted, for suggestions
}

// commonNames are names people use for a municipality whose official name differs.
var commonNames = map[string][]string{
	"'s-Gravenhage":    {"Den Haag", "Gravenhage"},
	"'s-Hertogenbosch": {"Den Bosch", "Hertogenbosch"},
}

// Match is what a typed municipality name resolves to: one municipality, several that share
// the name (Bergen), or none with close names to suggest.
type Match struct {
	Found       *Municipality
	Ambiguous   []*Municipality // the name fits each of these equally
	Suggestions []*Municipality // no match; these names are close
}

// Find resolves what a respondent typed or picked to exactly one municipality: a CBS code,
// the official name or a common one, in any case, with or without accents and apostrophes.
func (r *Register) Find(input string) (*Municipality, bool) {
	m := r.Match(input)
	return m.Found, m.Found != nil
}

// Match resolves input like Find, and when it finds no single municipality says which ones
// it could mean.
func (r *Register) Match(input string) Match {
	input = strings.TrimSpace(input)
	if m, ok := r.byCode[input]; ok {
		return Match{Found: m}
	}
	key := looseName(input)
	if key == "" {
		return Match{}
	}
	switch ms := r.byKey[key]; len(ms) {
	case 0:
	case 1:
		return Match{Found: ms[0]}
	default:
		return Match{Ambiguous: ms}
	}
	return Match{Suggestions: r.suggest(key, 3)}
}

// suggest returns up to n municipalities whose name (or common name) starts with key or is
// within a few typing errors of it, closest first.
func (r *Register) suggest(key string, n int) []*Municipality {
	type scored struct {
		m    *Municipality
		dist int
	}
	var found []scored
	seen := map[*Municipality]bool{}
	limit := 1 + utf8.RuneCountInString(key)/4
	for _, k := range r.keys {
		d := editDistance(key, k)
		if strings.HasPrefix(k, key) && utf8.RuneCountInString(key) >= 3 {
			d = 0
		}
		if d > limit {
			continue
		}
		for _, m := range r.byKey[k] {
			if !seen[m] {
				seen[m] = true
				found = append(found, scored{m, d})
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].dist < found[j].dist })
	var out []*Municipality
	for i := 0; i < len(found) && i < n; i++ {
		out = append(out, found[i].m)
	}
	return out
}

// looseName is the form of a name that matching compares: lower case, without accents,
// apostrophes, dots or brackets, with hyphens as spaces ("'s-Gravenhage" → "s gravenhage").
func looseName(s string) string {
	var b strings.Builder
	for _, c := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, c), strings.ContainsRune("'’‘`´.()", c):
		case c == '-' || unicode.IsSpace(c):
			b.WriteRune(' ')
		default:
			b.WriteRune(c)
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// baseName drops a qualifier in brackets: "Bergen (L.)" → "Bergen".
func baseName(name string) string {
	if i := strings.Index(name, " ("); i > 0 {
		return name[:i]
	}
	return name
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

// CommonNames returns the other names people use for m ("Den Haag"), if any.
func (r *Register) CommonNames(m *Municipality) []string { return commonNames[m.Name] }

// ByCode returns the municipality with CBS code code.
func (r *Register) ByCode(code string) (*Municipality, bool) {
	m, ok := r.byCode[code]
	return m, ok
}

// NewRegister indexes list (which it sorts by name) for lookups by code and by name: the
// official name, its common names, its name without a bracketed qualifier (shared by Bergen
// (L.) and Bergen (NH.)) and that name with the province ("Bergen Limburg").
func NewRegister(key string, list []Municipality) *Register {
	sort.Slice(list, func(i, j int) bool { return strings.ToLower(list[i].Name) < strings.ToLower(list[j].Name) })
	r := &Register{Key: key, List: list, byCode: map[string]*Municipality{}, byKey: map[string][]*Municipality{}}
	official := map[string]bool{}
	for i := range list {
		official[looseName(list[i].Name)] = true
	}
	add := func(name string, m *Municipality, always bool) {
		k := looseName(name)
		if k == "" || (!always && official[k] && looseName(m.Name) != k) {
			return // an official name is never a nickname of another municipality
		}
		for _, have := range r.byKey[k] {
			if have == m {
				return
			}
		}
		r.byKey[k] = append(r.byKey[k], m)
	}
	for i := range list {
		m := &list[i]
		r.byCode[m.Code] = m
		add(m.Name, m, true)
		for _, alias := range commonNames[m.Name] {
			add(alias, m, false)
		}
		base := baseName(m.Name)
		add(base, m, false)
		add(base+" "+m.Province, m, false)
	}
	for k := range r.byKey {
		r.keys = append(r.keys, k)
	}
	sort.Strings(r.keys)
	return r
}

// Registers caches registers by key. A register changes only when `peiling register` loads it
// again, from a process of its own, while any number of instances serve; so a cached register
// is compared with the database at most every registerCheck (its rows' count and highest id,
// which a reload always raises), and read again when it changed.
type Registers struct {
	mu    sync.Mutex
	cache map[string]*cachedRegister
	clock func() time.Time // time.Now when nil; tests move it
}

type cachedRegister struct {
	register *Register
	stamp    registerStamp
	checked  time.Time
}

type registerStamp struct {
	N    int64
	Last uint
}

// registerCheck is how long a cached register is used without asking the database whether it
// was loaded again.
const registerCheck = 10 * time.Second

// Get returns register key, loading it on first use and again after it was reloaded.
func (rs *Registers) Get(db *gorm.DB, key string) (*Register, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	at := time.Now()
	if rs.clock != nil {
		at = rs.clock()
	}
	c, ok := rs.cache[key]
	if ok && at.Sub(c.checked) < registerCheck {
		return c.register, nil
	}
	var stamp registerStamp
	if err := db.Model(&Municipality{}).Select("COUNT(*) AS n, COALESCE(MAX(id), 0) AS last").Where("register = ?", key).Scan(&stamp).Error; err != nil {
		return nil, fmt.Errorf("check register %s: %w", key, err)
	}
	if ok && stamp == c.stamp {
		c.checked = at
		return c.register, nil
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
		rs.cache = map[string]*cachedRegister{}
	}
	// The stamp read before the rows: a reload in between makes the next check read it again.
	rs.cache[key] = &cachedRegister{register: r, stamp: stamp, checked: at}
	return r, nil
}

// Forget drops register key from the cache after it was loaded again.
func (rs *Registers) Forget(key string) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	delete(rs.cache, key)
}
