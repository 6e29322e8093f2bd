package handlers

import (
	"html/template"
	"strings"

	"peiling/locales"
)

// summaryRows writes the rows of one section of the check-your-answers and confirmation
// pages: each question, its answer in words and, with edit, a link to change it.
//
// Why in Go and not in templates/partials/summary.html: the rows are half the CPU of both
// pages (about 240 of 500 µs for the reference survey) and they are the respondent's own, so
// they cannot be kept as untouched questions are. html/template calls its escapers and the
// helpers (len, eq, index, T) through reflection, about ten calls per row. This writes the same
// markup, every text escaped as html/template escapes it (htmlEscaper);
// TestSummaryRowsWriteWhatTheTemplateWrote holds the template and compares.
func summaryRows(w *summaryWords, rows []summaryRow, edit bool) template.HTML {
	var b strings.Builder
	b.Grow(len(rows) * 400)
	for i := range rows {
		r := &rows[i]
		b.WriteString("\n<div class=\"summary-list__row")
		if r.Missing {
			b.WriteString(" summary-list__row--missing")
		}
		b.WriteString("\">\n  <dt class=\"summary-list__key\"")
		if r.Lang != "" {
			b.WriteString(" lang=\"")
			htmlEscaper.WriteString(&b, r.Lang)
			b.WriteString("\"")
		}
		b.WriteString(">")
		htmlEscaper.WriteString(&b, r.Question)
		b.WriteString("</dt>\n  <dd class=\"summary-list__value\">")
		switch {
		case len(r.Answers) == 1:
			b.WriteString("<span class=\"answer\">")
			htmlEscaper.WriteString(&b, r.Answers[0])
			b.WriteString("</span>")
		case len(r.Answers) > 1:
			b.WriteString("<ul class=\"answer-list\">")
			for _, a := range r.Answers {
				b.WriteString("<li>")
				htmlEscaper.WriteString(&b, a)
				b.WriteString("</li>")
			}
			b.WriteString("</ul>")
		case r.Missing:
			b.WriteString("<strong class=\"missing\">" + w.missing + "</strong>")
		default:
			b.WriteString("<span class=\"unanswered\">" + w.unanswered + "</span>")
		}
		b.WriteString("</dd>")
		if edit {
			// EditURL is built from a survey's slug and a question's code, both of which
			// allow only [a-z0-9_-]: html/template's URL filter would pass it unchanged.
			b.WriteString("\n  <dd class=\"summary-list__actions\"><a href=\"")
			htmlEscaper.WriteString(&b, r.EditURL)
			b.WriteString("\">" + w.change + "<span class=\"visually-hidden\">")
			w.changeWhat(&b, r.Question)
			b.WriteString("</span></a></dd>")
		}
		b.WriteString("\n</div>")
	}
	return template.HTML(b.String())
}

// summaryWords are the summary's fixed words in one language, escaped once when the pages
// are parsed; a go-i18n message with an argument runs a text/template each time.
type summaryWords struct {
	t                           *locales.Translator
	missing, unanswered, change string
	// what is "the answer to: {{.Question}}" cut around the question, when the message
	// holds it once; otherwise the message is worded for each row.
	whatBefore, whatAfter string
	whatCut               bool
}

func newSummaryWords(t *locales.Translator) *summaryWords {
	w := &summaryWords{t: t, missing: htmlText(t.T("respond.summary.missing")),
		unanswered: htmlText(t.T("respond.summary.unanswered")), change: htmlText(t.T("respond.summary.change"))}
	const mark = "\x01question\x01"
	if before, after, ok := strings.Cut(t.T("respond.summary.change_what", "Question", mark), mark); ok && !strings.Contains(after, mark) {
		w.whatBefore, w.whatAfter, w.whatCut = htmlText(before), htmlText(after), true
	}
	return w
}

// changeWhat writes the hidden words of a row's change link, escaped.
func (w *summaryWords) changeWhat(b *strings.Builder, question string) {
	if !w.whatCut {
		htmlEscaper.WriteString(b, w.t.T("respond.summary.change_what", "Question", question))
		return
	}
	b.WriteString(w.whatBefore)
	htmlEscaper.WriteString(b, question)
	b.WriteString(w.whatAfter)
}

// htmlEscaper escapes text for an HTML text node or a quoted attribute value with the table
// html/template uses for both (its htmlReplacementTable), so the bytes are those of htmlText,
// without a template execution per string (TestHTMLEscaperEscapesAsTheTemplates).
var htmlEscaper = strings.NewReplacer(
	"\x00", "\uFFFD",
	`"`, "&#34;",
	"&", "&amp;",
	"'", "&#39;",
	"+", "&#43;",
	"<", "&lt;",
	">", "&gt;",
)
