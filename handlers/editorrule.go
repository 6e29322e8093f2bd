package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// Skip rules in the editor. A page or a question gets "alleen tonen als" an earlier single or
// multi question has one of the chosen answers. Without JavaScript it takes two steps: pick
// the question (a GET form, nothing saved), then tick its answers and save. The rule is
// checked by the import rules on saving (models.SaveDefinition), so the editor cannot make a
// rule that refers forward or to nothing.

// ruleTarget is what a rule is for: a page ("sectie-2") or a question ("vraag-kcc").
type ruleTarget struct {
	section  int    // 0-based; for a question, its page
	question string // "" for a page
}

func parseRuleTarget(def *models.Definition, s string) (ruleTarget, bool) {
	if code, ok := strings.CutPrefix(s, "vraag-"); ok {
		si, _, err := def.FindQuestion(code)
		return ruleTarget{section: si, question: code}, err == nil
	}
	var n int
	if _, err := fmt.Sscanf(s, "sectie-%d", &n); err != nil || n < 1 || n > len(def.Sections) {
		return ruleTarget{}, false
	}
	return ruleTarget{section: n - 1}, true
}

// condition returns the target's rule in def, as a pointer into def.
func (t ruleTarget) condition(def *models.Definition) **models.Condition {
	if t.question == "" {
		return &def.Sections[t.section].ShowIf
	}
	si, qi, _ := def.FindQuestion(t.question)
	return &def.Sections[si].Questions[qi].ShowIf
}

type ruleChoice struct {
	Code, Text string
	Selected   bool
}

type ruleView struct {
	Researcher *models.Researcher
	Survey     *models.Survey
	Target     string // the form value: sectie-N or vraag-CODE
	What       string // "sectie 3: Burgerparticipatie" or "de vraag ‘…’"
	Questions  []ruleChoice
	Question   string // the chosen question's code
	Values     []ruleChoice
	Current    string // the rule now, in words
	Errors     []problemView
	Field      map[string]string
}

// ruleView builds the page for target with question (and values) as chosen.
func (h *Handler) ruleView(c *echo.Context, ed *editing, target string, question string, values []string) (*ruleView, error) {
	def := ed.def
	t, ok := parseRuleTarget(def, target)
	if !ok {
		return nil, models.ErrNotFound
	}
	v := &ruleView{Researcher: researcher(c), Survey: ed.survey, Target: target, Field: map[string]string{}}
	if t.question == "" {
		v.What = tr(c).T("admin.rule.what_section", "N", t.section+1, "Title", def.Sections[t.section].Title)
	} else {
		si, qi, _ := def.FindQuestion(t.question)
		v.What = tr(c).T("admin.rule.what_question", "Text", def.Sections[si].Questions[qi].Text)
	}
	cur := *t.condition(def)
	v.Current = ruleWords(tr(c), def, cur)
	if question == "" && cur != nil {
		question, values = cur.Question, cur.Values
	}
	for si := 0; si < t.section; si++ { // only questions on earlier pages
		for _, q := range def.Sections[si].Questions {
			if q.Kind == models.KindSingle || q.Kind == models.KindMulti {
				v.Questions = append(v.Questions, ruleChoice{Code: q.Code, Text: q.Text, Selected: q.Code == question})
			}
		}
	}
	if si, qi, err := def.FindQuestion(question); err == nil && si < t.section {
		v.Question = question
		for _, o := range def.Sections[si].Questions[qi].Choices() {
			v.Values = append(v.Values, ruleChoice{Code: o.Code, Text: o.Label, Selected: slices.Contains(values, o.Code)})
		}
	}
	return v, nil
}

func (h *Handler) showRule(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	v, err := h.ruleView(c, ed, c.QueryParam("doel"), c.QueryParam("vraag"), nil)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/rule", v)
}

// saveRule sets, changes or (with "geen") removes the rule of a page or question.
func (h *Handler) saveRule(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	form, err := c.FormValues()
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	target, question, values := form.Get("doel"), form.Get("vraag"), form["waarde"]
	t, ok := parseRuleTarget(ed.def, target)
	if !ok {
		return models.ErrNotFound
	}
	rule := t.condition(ed.def)
	refuse := func(field, msg string) error {
		v, err := h.ruleView(c, ed, target, question, values)
		if err != nil {
			return err
		}
		v.Errors, v.Field[field] = []problemView{{Href: "#" + field, Message: msg}}, msg
		return c.Render(http.StatusUnprocessableEntity, "admin/rule", v)
	}
	switch {
	case form.Get("actie") == "geen":
		*rule = nil
	case question == "":
		return refuse("vraag", tr(c).T("admin.rule.choose_question"))
	case len(values) == 0:
		return refuse("waarde-1", tr(c).T("admin.rule.choose_value"))
	default:
		*rule = &models.Condition{Question: question, Values: values}
	}
	change, err := models.SaveDefinition(h.db.Write.WithContext(c.Request().Context()), ed.survey, ed.def, models.By(researcher(c)), time.Now().UTC())
	var de *models.DefinitionError
	if errors.As(err, &de) {
		return refuse("vraag", tr(c).T("admin.rule.impossible", "Problem", definitionProblem(tr(c), de)))
	}
	if err != nil {
		return err
	}
	anchor := "#sectie-" + fmt.Sprint(t.section+1)
	if t.question != "" {
		anchor = "#vraag-" + t.question
	}
	return h.redirectWithFlash(c, editorURL(ed.survey.Slug)+anchor, tr(c).T("admin.rule.saved")+changeNote(tr(c), change))
}
