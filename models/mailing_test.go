package models

import (
	"strings"
	"testing"

	"peiling/locales"
)

// TestDefaultTextsAreTrueForTheDefaultSettings guards the words a new survey starts with
// against promises the default settings do not keep.
func TestDefaultTextsAreTrueForTheDefaultSettings(t *testing.T) {
	if (Survey{}).BenchmarkEnabled {
		t.Fatal("the comparison per municipality is on by default; the texts below assume it is off")
	}
	cat, err := locales.Load()
	if err != nil {
		t.Fatal(err)
	}
	defaults := DefaultMailTemplates(cat)
	if s := defaults[MailInvitation].Body; strings.Contains(s, "verhouden tot") || strings.Contains(s, "vergelijk") {
		t.Errorf("the default invitation promises a comparison that is off by default:\n%s", s)
	}
	if s := defaults[MailReminderDraft].Body; strings.Contains(s, "‘Verzenden’") || !strings.Contains(s, "‘Verstuur de antwoorden’") {
		t.Errorf("the draft reminder names a button that does not exist:\n%s", s)
	}
	data, err := ReferenceSurvey()
	if err != nil {
		t.Fatal(err)
	}
	def, err := ParseDefinition(ReferenceSurveyFile, data)
	if err != nil {
		t.Fatal(err)
	}
	// The raw export names the municipality of every response by default.
	if strings.Contains(def.Privacy, "nooit per gemeente") || !strings.Contains(def.Privacy, "per gemeente") {
		t.Errorf("the reference survey's privacy text hides that answers are seen per municipality: %q", def.Privacy)
	}
}
