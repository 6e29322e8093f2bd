package models

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The raw-data export's cells as CSV text. They live here, not with the handlers, because a
// submitted response's cells are formatted once when it is submitted (exportrecord.go) and
// must come out exactly as an export that formats them from the answers.

// FormulaLike reports whether a spreadsheet that opens a CSV would evaluate text s as a
// formula (CSV injection): after any leading white space it starts with = or @ and has more
// to it, or with + or - followed by something that can be a formula. A lone "-", "+", or a
// text that ends in an operator such as "-geen-" is no valid formula and stays text.
func FormulaLike(s string) bool {
	if len(s) < 2 {
		return false
	}
	switch s[0] { // most texts start otherwise: no trimming for them
	case ' ', '\t', '\r', '\n', '=', '@', '+', '-':
	default:
		return false
	}
	t := strings.TrimLeft(s, " \t\r\n")
	if len(t) < 2 {
		return false
	}
	switch t[0] {
	case '=', '@':
		return true
	case '+', '-':
		if strings.Trim(t, "+- ") == "" {
			return false
		}
		return !strings.ContainsRune("+-*/^&=<>(,;:", rune(t[len(t)-1]))
	}
	return false
}

// Neutralise keeps a spreadsheet from reading a CSV text as a formula: only a text that
// would be evaluated gets a leading apostrophe. XLSX needs none (its cells say they are text).
func Neutralise(s string) string {
	if FormulaLike(s) {
		return "'" + s
	}
	return s
}

// CleanNumber drops the noise of binary floating point from a computed number, so that JSON
// and spreadsheets show 446866.078 rather than 446866.0779999999: 15 significant digits are
// all a float64 holds reliably.
func CleanNumber(x float64) float64 {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return x // a whole number has no noise to lose (and costs no formatting)
	}
	y, err := strconv.ParseFloat(strconv.FormatFloat(x, 'g', 15, 64), 64)
	if err != nil {
		return x
	}
	return y
}

// amsterdam is Dutch time, loaded on first use: main embeds the zone database, and a package
// variable of this package would be set before main's imports have registered it.
var amsterdam = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		return time.FixedZone("CET", 3600)
	}
	return loc
})

// CSVTime is t as Dutch wall-clock time: "04-12-2017 10:12:00", which Dutch Excel reads as a
// date and time, for the Dutch CSV; ISO 8601 with the offset for the plain one.
func CSVTime(t time.Time, dutch bool) string {
	t = t.In(amsterdam())
	if dutch {
		return t.Format("02-01-2006 15:04:05")
	}
	return t.Format(time.RFC3339)
}

// CSVCell is cell as CSV text: dutch for Dutch Excel (its date and time, a decimal comma),
// else ISO 8601 and a decimal point. Texts are neutralised.
func CSVCell(cell Cell, dutch bool) string {
	switch {
	case cell.IsTime:
		return CSVTime(cell.Time, dutch)
	case !cell.IsNumber:
		return Neutralise(cell.Text)
	}
	x := CleanNumber(cell.Number)
	if x >= 0 && x < float64(len(smallNumbers)) && x == math.Trunc(x) {
		return smallNumbers[int(x)] // flags, codes, counts: no string of their own per cell
	}
	s := strconv.FormatFloat(x, 'f', -1, 64)
	if dutch {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// plainCell is cell as CSVCell writes it for the plain CSV, texts not neutralised: what a
// record keeps (exportrecord.go).
func plainCell(cell Cell) string {
	if !cell.IsTime && !cell.IsNumber {
		return cell.Text
	}
	return CSVCell(cell, false)
}

// smallNumbers are the texts of 0 to 999.
var smallNumbers = func() []string {
	out := make([]string, 1000)
	for i := range out {
		out[i] = strconv.Itoa(i)
	}
	return out
}()
