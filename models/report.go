package models

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Report is the results of a closed survey as the results page, the exports and the API show
// them: counts from the aggregates table, percentages computed here (docs/results.md).
type Report struct {
	Survey       *Survey
	Def          *Definition
	Respondents  int64
	Population   int64 // municipalities in the survey's register
	RatePercent  int
	OpenedAt     *time.Time
	ClosedAt     *time.Time
	MinGroupSize int
	Dimension    string  // DimAll, or the breakdown shown
	Groups       []Group // the breakdown's groups; empty without a breakdown
	Questions    []QuestionResult
	Profile      *QuestionResult // the department question, if the survey has one
	// Sliced: counted as a slice (slice.go), which keeps counts and sums only: a number
	// question's median, minimum and maximum are known only without a filter or a
	// breakdown by a question.
	Sliced bool
}

// Group is one group of a breakdown. Hidden groups are too small to show, would give a
// small group away by subtraction, or have no respondents; their figures are left out
// everywhere, and Reason says which.
type Group struct {
	Key    string
	Label  string
	N      int64
	Hidden bool
	Reason string // HiddenTooSmall, HiddenComplement or HiddenEmpty when Hidden
}

// Why a group is hidden.
const (
	HiddenTooSmall   = "too_small"     // fewer respondents than the minimum
	HiddenComplement = "complementary" // would follow from the total minus the groups shown
	HiddenEmpty      = "empty"         // no respondents at all
)

// HiddenLabel is the Dutch reason a hidden group has no figures, for a minimum of minSize.
func HiddenLabel(reason string, minSize int) string {
	switch reason {
	case HiddenTooSmall:
		return fmt.Sprintf("te klein (minder dan %d)", minSize)
	case HiddenComplement:
		return "verborgen om terugrekenen te voorkomen"
	case HiddenEmpty:
		return "geen respondenten"
	}
	return ""
}

// The base of a question's percentages: whom they are a share of.
const (
	// BaseShown is everyone who was shown the question and sent their answers, also when
	// they ticked nothing: the default for multiple choice, and the article's convention.
	BaseShown = "shown"
	// BaseAnswered is only who answered: ticked at least one option, or for the other kinds
	// gave an answer other than "weet niet".
	BaseAnswered = "answered"
)

// BaseLabel says in Dutch whom the percentages of a multi question with base are of.
func BaseLabel(base string) string {
	if base == BaseShown {
		return "alle respondenten aan wie de vraag is gesteld, ook wie niets aankruiste"
	}
	return "respondenten die de vraag beantwoordden"
}

// BaseLabel says in Dutch whom this question's figures are of: its base, and that "weet
// niet" is left out where the question offers it.
func (q QuestionResult) BaseLabel() string {
	label := BaseLabel(q.Base)
	switch q.Q.Kind {
	case KindMulti:
		if q.Base == BaseAnswered {
			label = "respondenten die minstens één antwoord aankruisten"
		}
	case KindLikert:
		label = "respondenten die de stelling beoordeelden"
	case KindNumber:
		label = "respondenten die een getal invulden"
	case KindText:
		label = "respondenten die iets schreven"
	}
	if q.Q.DontKnow {
		label += ", zonder ‘weet niet’"
	}
	return label
}

// Share is one option with its count and its percentage of the base.
type Share struct {
	Code    string
	Label   string
	Count   int64
	Percent int
}

// Figures are a question's results in one group (or in total). N is the base of the
// percentages (QuestionResult.Base): for a single or likert question it excludes "weet niet",
// which DontKnow counts apart; for a multi question with BaseShown it is every respondent of
// the group. Answered is how many gave any answer at all (ticked at least one, or "weet niet").
type Figures struct {
	Hidden   bool
	Reason   string // why Hidden: HiddenTooSmall, HiddenComplement or HiddenEmpty
	N        int64
	Answered int64
	Options  []Share
	DontKnow int64
	// Number questions: mean, median, minimum and maximum of the N answers. Stats is false
	// when the survey was closed before closing stored the median, minimum and maximum.
	Mean, Median, Min, Max float64
	Stats                  bool
	// Likert only: the combined shares, from the counts (largest remainder over the three);
	// Neutral is 0 when the scale has no middle.
	Disagree, Neutral, Agree int
}

// Nobody reports whether nobody in the cell answered the question.
func (f Figures) Nobody() bool { return !f.Hidden && f.Answered == 0 }

// StatementResult is one likert statement with its figures per cell.
type StatementResult struct {
	Code  string
	Text  string
	Cells []Figures
}

// QuestionResult is one question's results; Cells[0] is the total, Cells[i] belongs to
// Report.Groups[i-1].
type QuestionResult struct {
	Q          *Question
	Section    string
	Base       string // BaseShown or BaseAnswered
	Cells      []Figures
	Statements []StatementResult
}

// Kind is the question's kind.
func (q QuestionResult) Kind() string { return q.Q.Kind }

// aggKey addresses one aggregate row within a dimension.
type aggKey struct{ grp, question, item, option string }

// LoadReport reads the aggregates of a closed survey for dimension dim (DimAll for none).
func LoadReport(db *gorm.DB, s *Survey, dim string) (*Report, error) {
	if err := CheckReportable(s); err != nil {
		return nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	settings, err := SettingsOf(db, s.ID)
	if err != nil {
		return nil, err
	}
	if dim != DimAll && dim != DimDepartment && dim != DimProvince && dim != DimSize {
		dim = DimAll
	}
	var rows []Aggregate
	if err := db.Where("survey_id = ? AND dimension IN ?", s.ID, []string{DimAll, dim}).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("read aggregates of %s: %w", s.Slug, err)
	}
	total, byGroup := map[aggKey]Aggregate{}, map[aggKey]Aggregate{}
	for _, r := range rows {
		k := aggKey{r.Grp, r.Question, r.Item, r.Option}
		if r.Dimension == DimAll {
			total[k] = r
		} else {
			byGroup[k] = r
		}
	}
	rep := &Report{Survey: s, Def: def, OpenedAt: s.OpenedAt, ClosedAt: s.ClosedAt, MinGroupSize: settings.MinGroupSize, Dimension: dim}
	rep.Respondents = total[aggKey{}].N
	if err := db.Model(&Municipality{}).Where("register = ?", s.Register).Count(&rep.Population).Error; err != nil {
		return nil, err
	}
	rep.RatePercent = roundPercent(rep.Respondents, rep.Population)
	if dim != DimAll {
		rep.Groups = groupsOf(def, dim, byGroup, settings.MinGroupSize)
	}
	fillQuestions(rep, def, settings, total, byGroup)
	return rep, nil
}

type cellSource struct {
	grp    string
	rows   map[aggKey]Aggregate
	hidden bool
	reason string
}

func groupSources(groups []Group, rows map[aggKey]Aggregate) []cellSource {
	out := make([]cellSource, len(groups))
	for i, g := range groups {
		out[i] = cellSource{g.Key, rows, g.Hidden, g.Reason}
	}
	return out
}

// figuresOf computes one cell: counts in the defined order, percentages of the base.
func figuresOf(q *Question, base, item string, c cellSource) Figures {
	if c.hidden {
		return Figures{Hidden: true, Reason: c.reason}
	}
	get := func(option string) Aggregate { return c.rows[aggKey{c.grp, q.Code, item, option}] }
	answered := get("")
	f := Figures{N: answered.N, Answered: answered.N}
	switch q.Kind {
	case KindText:
		return f
	case KindNumber:
		if f.N > 0 {
			f.Mean = answered.Total / float64(f.N)
			_, f.Stats = c.rows[aggKey{c.grp, q.Code, item, statMin}]
			f.Median, f.Min, f.Max = get(statMedian).Total, get(statMin).Total, get(statMax).Total
		}
		return f
	}
	if q.Kind == KindMulti && base == BaseShown {
		// Everyone who sent the page was shown the question: the group's respondents, or,
		// with skip logic, those who were shown it (counted at each submit, tally.go).
		f.N = c.rows[aggKey{grp: c.grp}].N
		if shown, ok := c.rows[aggKey{c.grp, q.Code, ShownItem, ""}]; ok || q.conditional {
			f.N = shown.N
		}
	}
	opts := q.Options
	if q.Kind == KindLikert {
		opts = q.ScaleOptions
	}
	if q.Kind != KindMulti {
		f.DontKnow = get(DontKnowCode).N
		f.N -= f.DontKnow
	}
	counts := make([]int64, len(opts))
	for i, o := range opts {
		counts[i] = get(o.Code).N
		f.Options = append(f.Options, Share{Code: o.Code, Label: o.Label, Count: counts[i]})
	}
	var pcts []int
	if q.Kind == KindMulti {
		pcts = make([]int, len(counts))
		for i, n := range counts {
			pcts[i] = roundPercent(n, f.N)
		}
	} else {
		pcts = LargestRemainder(counts, f.N)
	}
	for i := range f.Options {
		f.Options[i].Percent = pcts[i]
	}
	if q.Kind == KindLikert {
		f.Disagree, f.Neutral, f.Agree = combined(counts, f.N)
	}
	return f
}

// ScaleSummary names the combined shares of a likert scale after its own labels: the lower
// half, the middle (only when the scale has one: hasMiddle) and the upper half.
func ScaleSummary(scale []Option) (low, middle, high string, hasMiddle bool) {
	k := len(scale)
	half := func(opts []Option) string {
		switch len(opts) {
		case 0:
			return ""
		case 1:
			return opts[0].Label
		case 2:
			return opts[0].Label + " of " + strings.ToLower(opts[1].Label)
		}
		return opts[0].Label + " t/m " + strings.ToLower(opts[len(opts)-1].Label)
	}
	low, high = half(scale[:k/2]), half(scale[(k+1)/2:])
	if k%2 == 1 {
		middle, hasMiddle = scale[k/2].Label, true
	}
	return low, middle, high, hasMiddle
}

// combined splits a scale into its lower half, its middle (odd scales only) and its upper half
// and returns their shares, adding up to 100.
func combined(counts []int64, base int64) (disagree, neutral, agree int) {
	k := len(counts)
	var lo, mid, hi int64
	for i, n := range counts {
		switch {
		case i < k/2:
			lo += n
		case k%2 == 1 && i == k/2:
			mid += n
		default:
			hi += n
		}
	}
	p := LargestRemainder([]int64{lo, mid, hi}, base)
	return p[0], p[1], p[2]
}

// roundPercent is n of base as a whole percentage, half rounded up; 0 when base is 0.
func roundPercent(n, base int64) int {
	if base <= 0 {
		return 0
	}
	return int((n*200 + base) / (base * 2))
}

// LargestRemainder turns counts into whole percentages of base that add up to 100 when the
// counts add up to base: each share is rounded down, and the points still missing go to the
// largest remainders (ties to the earlier option).
func LargestRemainder(counts []int64, base int64) []int {
	out := make([]int, len(counts))
	if base <= 0 {
		return out
	}
	type rem struct {
		i int
		r int64
	}
	rems := make([]rem, len(counts))
	given, sum := 0, int64(0)
	for i, n := range counts {
		out[i] = int(n * 100 / base)
		rems[i] = rem{i, n * 100 % base}
		given += out[i]
		sum += n
	}
	missing := int(sum*100/base) - given
	if sum*100%base*2 >= base { // counts that do not add up to base: round their total half up
		missing++
	}
	sort.SliceStable(rems, func(a, b int) bool { return rems[a].r > rems[b].r })
	for j := 0; j < missing && j < len(rems); j++ {
		out[rems[j].i]++
	}
	return out
}

// groupsOf lists a dimension's groups in a fixed order with their sizes and applies the
// minimum group size.
func groupsOf(def *Definition, dim string, rows map[aggKey]Aggregate, minSize int) []Group {
	size := func(key string) int64 { return rows[aggKey{grp: key}].N }
	var gs []Group
	switch dim {
	case DimDepartment:
		if pq := profileQuestion(def); pq != nil {
			for _, o := range pq.Choices() {
				gs = append(gs, Group{Key: o.Code, Label: o.Label})
			}
		}
	case DimSize:
		for _, c := range SizeClasses {
			gs = append(gs, Group{Key: c.Key, Label: c.Label})
		}
	case DimProvince:
		var names []string
		for k := range rows {
			if k.question == "" && k.grp != "" {
				names = append(names, k.grp)
			}
		}
		sort.Strings(names)
		for _, n := range names {
			gs = append(gs, Group{Key: n, Label: n})
		}
	}
	if size("") > 0 {
		gs = append(gs, Group{Key: "", Label: "Onbekend"})
	}
	for i := range gs {
		gs[i].N = size(gs[i].Key)
	}
	Suppress(gs, minSize)
	return gs
}

// Suppress hides the groups with fewer than minSize respondents; a group of exactly minSize
// is shown. The groups hidden together follow from the total minus the groups shown: while
// that is exactly one group with respondents, or fewer than minSize respondents, the smallest
// group still shown is hidden too (HiddenComplement). Empty groups give nothing away and are
// hidden as well (HiddenEmpty).
func Suppress(gs []Group, minSize int) {
	for i := range gs {
		switch {
		case gs[i].N == 0:
			gs[i].Hidden, gs[i].Reason = true, HiddenEmpty
		case gs[i].N < int64(minSize):
			gs[i].Hidden, gs[i].Reason = true, HiddenTooSmall
		}
	}
	// The hidden groups together are the total minus the groups shown: hide the smallest
	// group shown while that is one group or fewer than minSize respondents.
	for {
		hidden, sum := 0, int64(0)
		for _, g := range gs {
			if g.Hidden && g.N > 0 {
				hidden, sum = hidden+1, sum+g.N
			}
		}
		if hidden == 0 || hidden > 1 && sum >= int64(minSize) {
			return
		}
		next := -1
		for i := range gs {
			if !gs[i].Hidden && (next < 0 || gs[i].N < gs[next].N) {
				next = i
			}
		}
		if next < 0 {
			return
		}
		gs[next].Hidden, gs[next].Reason = true, HiddenComplement
	}
}
