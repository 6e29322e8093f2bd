package handlers

import (
	"html/template"
	"regexp"
	"strings"
	"testing"
)

// summaryRowsTemplate is the markup summaryRows writes, as the template held it before the
// rows were written in Go (templates/partials/summary.html until issue 14). A change to the
// rows' markup changes both.
const summaryRowsTemplate = `{{range .Rows}}
    <div class="summary-list__row{{if .Missing}} summary-list__row--missing{{end}}">
      <dt class="summary-list__key"{{with .Lang}} lang="{{.}}"{{end}}>{{.Question}}</dt>
      <dd class="summary-list__value">
        {{if .Answers}}{{if eq (len .Answers) 1}}<span class="answer">{{index .Answers 0}}</span>{{else}}<ul class="answer-list">{{range .Answers}}<li>{{.}}</li>{{end}}</ul>{{end}}
        {{else if .Missing}}<strong class="missing">{{T "respond.summary.missing"}}</strong>{{else}}<span class="unanswered">{{T "respond.summary.unanswered"}}</span>{{end}}
      </dd>
      {{if $.Edit}}<dd class="summary-list__actions"><a href="{{.EditURL}}">{{T "respond.summary.change"}}<span class="visually-hidden">{{T "respond.summary.change_what" "Question" .Question}}</span></a></dd>{{end}}
    </div>
    {{end}}`

// betweenTags is the white space between two tags, which a browser does not show inside
// these elements.
var betweenTags = regexp.MustCompile(`>\s+<`)

func TestSummaryRowsWriteWhatTheTemplateWrote(t *testing.T) {
	nasty := `<script>alert("x")</script> & 'quotes' + Ünïcode` + "\x00"
	rows := []summaryRow{
		{Question: "Hoeveel inwoners heeft uw gemeente?", Answers: []string{"12.500"}, EditURL: "/s/ref-2018/stap/1?terug=controleren#f-inwoners"},
		{Question: "Welke kanalen gebruikt u?", Answers: []string{"Website", "Sociale media", nasty}, EditURL: "/s/ref-2018/stap/2?terug=controleren#f-kanalen"},
		{Question: "Verplichte vraag", Missing: true, EditURL: "/s/ref-2018/stap/2?terug=controleren#f-verplicht"},
		{Question: "Facultatieve vraag", EditURL: "/s/ref-2018/stap/3?terug=controleren#f-facultatief"},
		{Question: nasty, Lang: "nl", Answers: []string{nasty}, EditURL: "/s/ref-2018/stap/3?terug=controleren#f-vreemd"},
	}
	for _, tr := range catalogue.Languages() {
		tmpl := template.Must(template.New("rows").Funcs(template.FuncMap{"T": tr.T}).Parse(summaryRowsTemplate))
		for _, edit := range []bool{true, false} {
			var want strings.Builder
			if err := tmpl.Execute(&want, struct {
				Rows []summaryRow
				Edit bool
			}{rows, edit}); err != nil {
				t.Fatal(err)
			}
			words := newSummaryWords(tr)
			if !words.whatCut {
				t.Errorf("%s: the change link's words were not cut around the question", tr.Code())
			}
			uncut := *words
			uncut.whatCut = false // as for a message that does not hold the question once
			norm := func(s string) string { return strings.TrimSpace(betweenTags.ReplaceAllString(s, "><")) }
			for _, w := range []*summaryWords{words, &uncut} {
				got := string(summaryRows(w, rows, edit))
				if norm(got) != norm(want.String()) {
					t.Errorf("%s, edit %v, cut %v:\n got %s\nwant %s", tr.Code(), edit, w.whatCut, norm(got), norm(want.String()))
				}
			}
		}
	}
}

func TestHTMLEscaperEscapesAsTheTemplates(t *testing.T) {
	var all strings.Builder
	for b := 0; b < 128; b++ {
		all.WriteByte(byte(b))
	}
	for _, s := range []string{all.String(), "Ünïcode ‘quotes’ — €", "\xff\xfe invalid UTF-8 \xc3", "a+b=c&d"} {
		if got, want := htmlEscaper.Replace(s), htmlText(s); got != want {
			t.Errorf("%q:\n got %q\nwant %q", s, got, want)
		}
	}
}
