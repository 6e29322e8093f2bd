package models

import (
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// Counting every slice that involves a question at once, after closing.
//
// A slice by department, province or size class is a GROUP BY over the tallies and costs a
// few milliseconds whatever the number of responses. A slice that involves a question (a
// breakdown by "overleg", a filter "overleg:ja", or a register breakdown filtered by a
// question) has to read every answer: 114 s at a million responses when each was counted on
// its first view by its own statement. PrecomputeSlices reads the submitted answers once, in
// response order, and counts every such slice in memory in the same pass; the handlers run it
// in the background right after a survey closes (and again when a view finds it missing, for
// a survey closed before this existed or a process that stopped in the middle), and the
// results page says that a breakdown is still being computed until it is stored.
// docs/performance.md has the measurements.

// questionSlice reports whether a slice involves a question beyond the profile question, so
// that it has to be counted from the answers; the others come from the tallies.
func questionSlice(breakdown string, f *Filter) bool {
	return tallyColumn(breakdown) == "" || f != nil && tallyColumn(f.Dim) == ""
}

// SliceFromAnswers reports whether the slice LoadSlice(spec) reads, or one of the slices it
// reads beside it, must be counted from the answers (PrecomputeSlices) rather than the tallies.
func SliceFromAnswers(specs []SliceSpec) bool {
	for _, sp := range specs {
		if questionSlice(sp.Breakdown, sp.Filter) {
			return true
		}
	}
	return false
}

// sliceTarget is one slice being counted: per group, per answer key, the sums.
type sliceTarget struct {
	key    string
	groups map[string][]tallySums // indexed by the pass's answer key number
}

type tallySums struct {
	n     int64
	total float64
}

// PrecomputeSlices counts every slice of closed survey s that involves a question (every
// breakdown by any dimension, unfiltered or filtered by any group of any dimension, that the
// tallies cannot give) in one pass over the submitted answers, and stores those not stored
// yet, each with its own short write transaction. It reads on read and writes on write; the
// survey may be read by anyone meanwhile. It returns the number of slices it stored.
func PrecomputeSlices(read, write *gorm.DB, s *Survey) (int, error) {
	if err := CheckReportable(s); err != nil {
		return 0, err
	}
	def, err := s.Def()
	if err != nil {
		return 0, err
	}
	dims := Breakdowns(def)
	breakdowns := append([]string{DimAll}, dims...)
	var stored []string
	if err := read.Model(&SliceCount{}).Where("survey_id = ? AND grp = '' AND question = ? AND item = '' AND option = ''", s.ID, sliceDone).
		Pluck("slice", &stored).Error; err != nil {
		return 0, err
	}
	have := map[string]bool{}
	for _, k := range stored {
		have[k] = true
	}
	// targets[b][f][value]: the slice of breakdown b filtered on dims[f-1] = value; f = 0 is
	// no filter (value "").
	targets := make([][]map[string]*sliceTarget, len(breakdowns))
	var all []*sliceTarget
	for bi, b := range breakdowns {
		targets[bi] = make([]map[string]*sliceTarget, len(dims)+1)
		for fi := 0; fi <= len(dims); fi++ {
			targets[bi][fi] = map[string]*sliceTarget{}
			var filters []*Filter
			if fi == 0 {
				filters = []*Filter{nil}
			} else {
				choices, err := GroupChoices(read, s, def, dims[fi-1])
				if err != nil {
					return 0, err
				}
				for _, c := range choices {
					filters = append(filters, &Filter{Dim: dims[fi-1], Value: c.Key})
				}
			}
			for _, f := range filters {
				if !questionSlice(b, f) {
					continue
				}
				key := sliceKey(s, b, f)
				if have[key] {
					continue
				}
				t := &sliceTarget{key: key, groups: map[string][]tallySums{}}
				value := ""
				if f != nil {
					value = f.Value
				}
				targets[bi][fi][value] = t
				all = append(all, t)
			}
		}
	}
	// With a filter on a question, the respondents per province and size class together:
	// the cells of that cross table (crosstable.go), which no breakdown holds.
	pairTargets := map[int]map[string]*sliceTarget{}
	for fi, d := range dims {
		if tallyColumn(d) != "" {
			continue
		}
		choices, err := GroupChoices(read, s, def, d)
		if err != nil {
			return 0, err
		}
		for _, c := range choices {
			key := sliceKey(s, pairBreakdown, &Filter{Dim: d, Value: c.Key})
			if have[key] {
				continue
			}
			if pairTargets[fi+1] == nil {
				pairTargets[fi+1] = map[string]*sliceTarget{}
			}
			t := &sliceTarget{key: key, groups: map[string][]tallySums{}}
			pairTargets[fi+1][c.Key] = t
			all = append(all, t)
		}
	}
	if len(all) == 0 {
		return 0, nil
	}
	// Without the raw answers nothing can be counted: a survey closed before this pass existed
	// and purged since keeps only the slices of the tallies.
	if err := CheckAnswersKept(read, s.ID); err != nil {
		return 0, err
	}
	province, size := 0, 0
	for i, b := range breakdowns {
		switch b {
		case DimProvince:
			province = i
		case DimSize:
			size = i
		}
	}

	type place struct{ province, size string }
	var munis []Municipality
	if err := read.Where("register = ?", s.Register).Find(&munis).Error; err != nil {
		return 0, err
	}
	places := make(map[string]place, len(munis))
	for _, m := range munis {
		places[m.Code] = place{m.Province, SizeClassOf(m.Population).Key}
	}
	questionOf := make([]string, len(dims)) // the question behind each dimension, "" for a register one
	for i, d := range dims {
		if q := sliceQuestion(def, d); q != nil {
			questionOf[i] = q.Code
		}
	}
	rules := newTallyRules(def)

	keys := map[tallyKey]int{}
	var keyList []tallyKey
	keyOf := func(k tallyKey) int {
		i, ok := keys[k]
		if !ok {
			i = len(keyList)
			keys[k] = i
			keyList = append(keyList, k)
		}
		return i
	}
	type contribution struct {
		key    int
		number float64
	}
	var (
		contrib []contribution
		values  = make([]string, len(breakdowns)) // the response's group in each breakdown
		answers []Answer
	)
	respondent := keyOf(tallyKey{})
	count := func(code sql.NullString, lang string) {
		// The response's groups.
		values[0] = ""
		p, known := places[code.String]
		for i, d := range dims {
			v := ""
			switch {
			case d == DimProvince && known:
				v = p.province
			case d == DimSize && known:
				v = p.size
			case d == DimLanguage:
				v = lang
			case questionOf[i] != "":
				for _, a := range answers {
					if a.Question == questionOf[i] && a.Item == "" {
						v = a.Option
						break
					}
				}
			}
			values[i+1] = v
		}
		// What it adds to each group it is in: what it adds to the tallies.
		contrib = contrib[:0]
		rules.each(answers, func(k tallyKey, number float64) {
			contrib = append(contrib, contribution{keyOf(k), number})
		})
		for bi := range breakdowns {
			for fi := range targets[bi] {
				t := targets[bi][fi][values[fi]] // values[0] is "": no filter
				if t == nil {
					continue
				}
				sums := t.groups[values[bi]]
				if len(sums) < len(keyList) {
					sums = append(sums, make([]tallySums, len(keyList)-len(sums))...)
				}
				for _, c := range contrib {
					sums[c.key].n++
					sums[c.key].total += c.number
				}
				t.groups[values[bi]] = sums
			}
		}
		for fi, byValue := range pairTargets {
			if t := byValue[values[fi]]; t != nil {
				grp := values[province] + "|" + values[size]
				sums := t.groups[grp]
				if sums == nil {
					sums = make([]tallySums, 1) // the respondents only: key 0
				}
				sums[respondent].n++
				t.groups[grp] = sums
			}
		}
	}

	// One pass over the submitted responses in order, each with its answers in one text
	// column: a row per answer cost three times as much, most of it in the driver's work per
	// column (measured at 100,000 responses).
	rows, err := read.Raw(`SELECT r.id, r.municipality_code, r.lang, (SELECT `+dialectOf(read).answerList+` FROM answers a WHERE a.response_id = r.id)
		FROM responses r WHERE r.survey_id = ? AND r.status = ? ORDER BY r.id`, s.ID, ResponseSubmitted).Rows()
	if err != nil {
		return 0, fmt.Errorf("precompute slices of %s: %w", s.Slug, err)
	}
	for rows.Next() {
		var id int64
		var code, lang, list sql.NullString
		if err := rows.Scan(&id, &code, &lang, &list); err != nil {
			rows.Close()
			return 0, err
		}
		answers = answers[:0]
		for rest := list.String; rest != ""; {
			var one string
			one, rest, _ = strings.Cut(rest, "\x1e")
			q, r1, _ := strings.Cut(one, "\x1f")
			item, r2, _ := strings.Cut(r1, "\x1f")
			option, number, _ := strings.Cut(r2, "\x1f")
			a := Answer{Question: q, Item: item, Option: option}
			if number != "" {
				n, err := strconv.ParseFloat(number, 64)
				if err != nil {
					rows.Close()
					return 0, fmt.Errorf("precompute slices of %s: response %d: %w", s.Slug, id, err)
				}
				a.Number = &n
			}
			answers = append(answers, a)
		}
		count(code, lang.String)
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return 0, err
	}
	rows.Close()

	oneEach := map[string]bool{}
	for _, q := range def.Questions() {
		oneEach[q.Code] = q.Kind == KindSingle || q.Kind == KindLikert
	}
	if err := write.Where("survey_id = ? AND slice NOT LIKE ?", s.ID, fmt.Sprintf("%%@%d", closedStamp(s))).Delete(&SliceCount{}).Error; err != nil {
		return 0, err
	}
	done := 0
	for _, t := range all {
		var batch []SliceCount
		for grp, sums := range t.groups {
			answered := map[tallyKey]*tallySums{} // a single question's or statement's respondents
			for i, v := range sums {
				if v.n == 0 {
					continue
				}
				k := keyList[i]
				batch = append(batch, SliceCount{SurveyID: s.ID, Slice: t.key, Grp: grp, Question: k.question, Item: k.item, Option: k.option, N: v.n, Total: v.total})
				if k.option != "" && oneEach[k.question] {
					ak := tallyKey{question: k.question, item: k.item}
					if answered[ak] == nil {
						answered[ak] = &tallySums{}
					}
					answered[ak].n += v.n
				}
			}
			for k, v := range answered {
				batch = append(batch, SliceCount{SurveyID: s.ID, Slice: t.key, Grp: grp, Question: k.question, Item: k.item, N: v.n})
			}
		}
		stored, err := storeSlice(write, s, t.key, batch)
		if err != nil {
			return done, err
		}
		if stored {
			done++
		}
	}
	return done, nil
}

// storeSlice writes one slice's rows and its done mark in one transaction, unless the survey
// was reopened (or closed again) meanwhile or the slice is stored already.
func storeSlice(write *gorm.DB, s *Survey, key string, rows []SliceCount) (bool, error) {
	stored := false
	err := write.Transaction(func(tx *gorm.DB) error {
		now, err := takeSurvey(tx, s.ID)
		if err != nil {
			return err
		}
		if now.Status != StatusClosed || closedStamp(now) != closedStamp(s) {
			return nil
		}
		if done, err := sliceStored(tx, s.ID, key); err != nil || done {
			return err
		}
		rows = append(rows, SliceCount{SurveyID: s.ID, Slice: key, Question: sliceDone})
		if err := tx.CreateInBatches(rows, 25).Error; err != nil { // the driver binds each argument by a search over all of them: small batches
			return fmt.Errorf("store slice %s of %s: %w", key, s.Slug, err)
		}
		stored = true
		return nil
	})
	return stored, err
}
