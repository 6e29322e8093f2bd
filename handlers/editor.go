package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/locales"
	"peiling/models"
)

// editorRoutes are the researcher's pages for making a survey and changing its questions
// while it is a draft. Every change is one small form, checked by the rules of import.
func (h *Handler) editorRoutes(a *echo.Group) {
	a.GET("/surveys/new", h.showNewSurvey)
	a.POST("/surveys/new", h.createSurvey)
	a.POST("/surveys/new/bestand", h.uploadSurvey)
	a.POST("/surveys/new/golf", h.createWave)
	a.GET("/surveys/:slug/editor", h.showEditor)
	a.POST("/surveys/:slug/editor/gegevens", h.saveFacts)
	a.POST("/surveys/:slug/editor/secties", h.addSection)
	a.POST("/surveys/:slug/editor/secties/:s", h.saveSectionText)
	a.POST("/surveys/:slug/editor/secties/:s/verplaats", h.moveSection)
	a.POST("/surveys/:slug/editor/secties/:s/verwijder", h.removeSection)
	a.GET("/surveys/:slug/editor/secties/:s/nieuw", h.showNewQuestion)
	a.POST("/surveys/:slug/editor/secties/:s/nieuw", h.addQuestion)
	a.GET("/surveys/:slug/editor/vragen/:code", h.showQuestion)
	a.POST("/surveys/:slug/editor/vragen/:code", h.saveQuestion)
	a.POST("/surveys/:slug/editor/vragen/:code/verplaats", h.moveQuestion)
	a.POST("/surveys/:slug/editor/vragen/:code/verwijder", h.removeQuestion)
	a.GET("/surveys/:slug/editor/regel", h.showRule)
	a.POST("/surveys/:slug/editor/regel", h.saveRule)
}

// kindLabels names each question kind as the editor shows it: catalogue messages.
var kindLabels = []struct{ Kind, Label string }{
	{models.KindSingle, "admin.kind.single"},
	{models.KindMulti, "admin.kind.multi"},
	{models.KindLikert, "admin.kind.likert"},
	{models.KindText, "admin.kind.text"},
	{models.KindNumber, "admin.kind.number"},
	{models.KindMunicipality, "admin.kind.municipality"},
}

// addable is whether a researcher may add a question of kind: every kind but the one
// municipality question, which every survey has from the start.
func addable(kind string) bool {
	return kind != models.KindMunicipality && questionKindLabel(kind) != kind
}

func questionKindLabel(kind string) string {
	for _, k := range kindLabels {
		if k.Kind == kind {
			return k.Label
		}
	}
	return kind
}

func editorURL(slug string) string { return "/admin/surveys/" + slug + "/editor" }

// ---- New survey: from scratch, from a file, or as the next wave ----

type newSurveyForm struct {
	Title    string `form:"titel" validate:"required,max=200"`
	Slug     string `form:"adres" validate:"max=60"`
	Register string `form:"register" validate:"required,max=40"`
}

type waveForm struct {
	Source   string `form:"golf-vorige" validate:"required,max=60"`
	Title    string `form:"golf-titel" validate:"required,max=200"`
	Slug     string `form:"golf-adres" validate:"max=60"`
	Register string `form:"golf-register" validate:"required,max=40"`
}

type newSurveyView struct {
	Researcher *models.Researcher
	Registers  []string
	Surveys    []models.Survey
	New        newSurveyForm
	Wave       waveForm
	Errors     []problemView
	Field      map[string]string
}

var newSurveyLabels = map[string]string{"titel": "admin.new.field_title", "adres": "admin.new.field_slug", "register": "admin.editor.register",
	"golf-vorige": "admin.form.label.previous_survey", "golf-titel": "admin.new.field_title", "golf-adres": "admin.new.field_slug", "golf-register": "admin.editor.register"}

func (h *Handler) newSurveyView(c *echo.Context) (*newSurveyView, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	regs, err := models.RegisterNames(db)
	if err != nil {
		return nil, err
	}
	surveys, err := models.SurveysForWave(db)
	if err != nil {
		return nil, err
	}
	view := &newSurveyView{Researcher: researcher(c), Surveys: surveys, Field: map[string]string{}}
	for name := range regs {
		view.Registers = append(view.Registers, name)
	}
	slices.Sort(view.Registers)
	slices.Reverse(view.Registers) // the newest register first
	if len(view.Registers) > 0 {
		view.New.Register, view.Wave.Register = view.Registers[0], view.Registers[0]
	}
	return view, nil
}

func (h *Handler) showNewSurvey(c *echo.Context) error {
	view, err := h.newSurveyView(c)
	if err != nil {
		return err
	}
	if src := c.QueryParam("vorige"); src != "" {
		view.Wave.Source = src
	}
	return c.Render(http.StatusOK, "admin/new", view)
}

func (h *Handler) createSurvey(c *echo.Context) error {
	view, err := h.newSurveyView(c)
	if err != nil {
		return err
	}
	if err := c.Bind(&view.New); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	f := &view.New
	f.Slug = slugOr(f.Slug, f.Title)
	if err := c.Validate(f); err != nil {
		view.Errors, view.Field = fieldErrors(tr(c), err, newSurveyLabels)
		return c.Render(http.StatusUnprocessableEntity, "admin/new", view)
	}
	def := models.NewDefinition(strings.TrimSpace(f.Title), f.Slug, f.Register)
	return h.storeNewSurvey(c, view, def, nil, models.ActionSurveyCreated, tr(c).T("admin.editor.created"))
}

func (h *Handler) createWave(c *echo.Context) error {
	view, err := h.newSurveyView(c)
	if err != nil {
		return err
	}
	if err := c.Bind(&view.Wave); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	f := &view.Wave
	f.Slug = slugOr(f.Slug, f.Title)
	if err := c.Validate(f); err != nil {
		view.Errors, view.Field = fieldErrors(tr(c), err, newSurveyLabels)
		return c.Render(http.StatusUnprocessableEntity, "admin/new", view)
	}
	src, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), f.Source)
	if errors.Is(err, models.ErrNotFound) {
		view.Errors, view.Field = setProblem(nil, nil, "golf-vorige", tr(c).T("admin.new.wave_source_missing"))
		return c.Render(http.StatusUnprocessableEntity, "admin/new", view)
	}
	if err != nil {
		return err
	}
	srcDef, err := src.Def()
	if err != nil {
		return err
	}
	def, err := models.NextWave(srcDef, strings.TrimSpace(f.Title), f.Slug, f.Register)
	if err != nil {
		return err
	}
	msg := tr(c).T("admin.editor.wave_created", "Title", src.Title)
	return h.storeNewSurvey(c, view, def, &src.ID, models.ActionWaveCreated, msg)
}

// maxUploadBytes bounds an uploaded definition file together with the form around it.
const maxUploadBytes = models.MaxDefinitionBytes + 64<<10

func (h *Handler) uploadSurvey(c *echo.Context) error {
	view, err := h.newSurveyView(c)
	if err != nil {
		return err
	}
	fail := func(msg string) error {
		view.Errors, view.Field = setProblem(nil, nil, "bestand", msg)
		return c.Render(http.StatusUnprocessableEntity, "admin/new", view)
	}
	fh, err := c.FormFile("bestand")
	if err != nil {
		return fail(tr(c).T("admin.new.file_missing"))
	}
	if fh.Size > models.MaxDefinitionBytes {
		return fail(tr(c).T("admin.new.file_too_big", "KB", models.MaxDefinitionBytes>>10))
	}
	file, err := fh.Open()
	if err != nil {
		return err
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, models.MaxDefinitionBytes+1))
	if err != nil {
		return err
	}
	def, err := models.ParseDefinition(fh.Filename, data)
	var de *models.DefinitionError
	if errors.As(err, &de) {
		return fail(tr(c).T("admin.new.file_wrong", "Problem", definitionErrorText(tr(c), de)))
	}
	if err != nil {
		return err
	}
	return h.storeNewSurvey(c, view, def, nil, models.ActionSurveyUploaded, tr(c).T("admin.editor.uploaded", "File", fh.Filename))
}

// newSurveyFields names the field of each form on the new-survey page that a problem with
// the definition's slug, title or register belongs to.
var newSurveyFields = map[string]map[string]string{
	models.ActionSurveyCreated: {"slug": "adres", "title": "titel", "register": "register", "": "titel"},
	models.ActionWaveCreated:   {"slug": "golf-adres", "title": "golf-titel", "register": "golf-register", "": "golf-titel"},
}

// storeNewSurvey creates the draft and opens the editor, or shows what the rules refused
// beside the field of the form that was sent; a file's problems go beside the file.
func (h *Handler) storeNewSurvey(c *echo.Context, view *newSurveyView, def *models.Definition, predecessor *uint, action, msg string) error {
	s, err := models.CreateSurvey(h.db.Write.WithContext(c.Request().Context()), def, predecessor, action, models.By(researcher(c)), time.Now().UTC())
	var de *models.DefinitionError
	if errors.As(err, &de) {
		field, problem := "bestand", tr(c).T("admin.new.file_wrong", "Problem", definitionErrorText(tr(c), de))
		if fields, ok := newSurveyFields[action]; ok {
			field, problem = cmpOr(fields[de.Path], fields[""]), capitalise(definitionProblem(tr(c), de))
		}
		view.Errors, view.Field = setProblem(nil, nil, field, problem)
		return c.Render(http.StatusUnprocessableEntity, "admin/new", view)
	}
	if err != nil {
		return err
	}
	h.log.Info("survey created", "survey", s.Slug, "action", action)
	return h.redirectWithFlash(c, editorURL(s.Slug), msg)
}

var notSlug = regexp.MustCompile(`[^a-z0-9]+`)

// slugOr returns slug, or one made from title when slug is empty.
func slugOr(slug, title string) string {
	slug = strings.TrimSpace(slug)
	if slug != "" {
		return slug
	}
	s := notSlug.ReplaceAllString(strings.ToLower(title), "-")
	s = strings.Trim(s, "-")
	if len(s) > 60 {
		s = strings.Trim(s[:60], "-")
	}
	return s
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ---- The editor page: facts, sections and the list of questions ----

type editorView struct {
	Researcher  *models.Researcher
	Survey      *models.Survey
	Def         *models.Definition
	State       statusView
	Editable    bool
	Opened      bool // respondents may have started: changes follow the rules of versions
	Version     int
	Sections    []sectionEdit
	Facts       factsForm
	Estimated   int
	Registers   []string
	Kinds       []kindOption
	NewSection  newSectionForm
	ShareURL    string         // the preview link for colleagues without an account; drafts only
	Predecessor *models.Survey // the survey this one repeats, if any
	Errors      []problemView
	Field       map[string]string
}

type kindOption struct{ Kind, Label string }

type sectionEdit struct {
	N            int // 1-based
	Title, Intro string
	Rule         string // the skip rule, in words
	Questions    []questionRow
	First, Last  bool
}

type questionRow struct {
	Code, Text, Kind string
	Rule             string // the skip rule, in words
	Required         bool
	Up, Down         bool // whether the question can move that way
	Fixed            bool // the municipality question stays first
}

// factsForm is what respondents read about the survey, beside its questions.
type factsForm struct {
	Title        string `form:"titel" validate:"required,max=200"`
	Organisation string `form:"organisatie" validate:"max=200"`
	Intro        string `form:"intro" validate:"max=10000"`
	Privacy      string `form:"privacy" validate:"max=5000"`
	Minutes      string `form:"minuten" validate:"max=3"`
	ContactName  string `form:"contact-naam" validate:"max=200"`
	ContactEmail string `form:"contact-email" validate:"omitempty,max=200,email"`
	ContactPhone string `form:"contact-telefoon" validate:"max=40"`
	Register     string `form:"register" validate:"required,max=40"`
}

var factsLabels = map[string]string{"titel": "admin.new.field_title", "organisatie": "admin.form.label.organisation", "intro": "admin.form.label.intro",
	"privacy": "admin.form.label.privacy", "minuten": "admin.form.label.minutes", "contact-naam": "admin.form.label.contact_name",
	"contact-email": "admin.form.label.contact_email", "contact-telefoon": "admin.form.label.contact_phone", "register": "admin.editor.register"}

type sectionForm struct {
	Title string `form:"titel" validate:"required,max=200"`
	Intro string `form:"intro" validate:"max=5000"`
}

type newSectionForm struct {
	Title string `form:"nieuwe-sectie-titel" validate:"required,max=200"`
	Intro string `form:"nieuwe-sectie-intro" validate:"max=5000"`
}

// editing is a survey opened in the editor with a copy of its definition to change.
type editing struct {
	survey *models.Survey
	def    *models.Definition
}

// loadEditing reads the survey of the URL and a copy of its definition to change. Every
// status may change, by the rules of versions (models.SaveDefinition): once opened, texts
// are corrected in place and anything else makes a new version; once closed, texts only.
func (h *Handler) loadEditing(c *echo.Context) (*editing, error) {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return nil, err
	}
	def, err := s.Def()
	if err != nil {
		return nil, err
	}
	cp, err := def.Clone()
	if err != nil {
		return nil, err
	}
	return &editing{survey: s, def: cp}, nil
}

// changeNote says what a saved change did to a survey that has opened: a text correction in
// place, or a new version for who starts from now on.
func changeNote(t *locales.Translator, change models.Change) string {
	switch change.Kind {
	case models.ActionTextsCorrected:
		return " " + t.T("admin.editor.note_corrected")
	case models.ActionVersionCreated:
		return " " + t.T("admin.editor.note_version", "Version", change.Version)
	}
	return ""
}

func (h *Handler) editorView(c *echo.Context, ed *editing) (*editorView, error) {
	regs, err := models.RegisterNames(h.db.Read.WithContext(c.Request().Context()))
	if err != nil {
		return nil, err
	}
	s, def := ed.survey, ed.def
	view := &editorView{Researcher: researcher(c), Survey: s, Def: def, State: statusViews[s.Status],
		Editable: true, Opened: s.OpenedAt != nil, Version: s.Version, Estimated: def.EstimatedMinutes(), Field: map[string]string{}}
	for name := range regs {
		view.Registers = append(view.Registers, name)
	}
	slices.Sort(view.Registers)
	for _, k := range kindLabels {
		if addable(k.Kind) {
			view.Kinds = append(view.Kinds, kindOption(k))
		}
	}
	view.Facts = factsForm{Title: def.Title, Organisation: def.Organisation, Intro: def.Intro, Privacy: def.Privacy,
		ContactName: def.Contact.Name, ContactEmail: def.Contact.Email, ContactPhone: def.Contact.Phone, Register: def.Register}
	if def.Minutes > 0 {
		view.Facts.Minutes = strconv.Itoa(def.Minutes)
	}
	for si, sec := range def.Sections {
		se := sectionEdit{N: si + 1, Title: sec.Title, Intro: sec.Intro, Rule: ruleWords(tr(c), def, sec.ShowIf), First: si == 0, Last: si == len(def.Sections)-1}
		for qi, q := range sec.Questions {
			fixed := q.Kind == models.KindMunicipality
			afterFixed := si == 0 && qi == 1 && sec.Questions[0].Kind == models.KindMunicipality
			se.Questions = append(se.Questions, questionRow{Code: q.Code, Text: q.Text, Kind: questionKindLabel(q.Kind), Rule: ruleWords(tr(c), def, q.ShowIf), Required: q.Required, Fixed: fixed,
				Up: !fixed && !afterFixed && (si > 0 || qi > 0), Down: !fixed && (si < len(def.Sections)-1 || qi < len(sec.Questions)-1)})
		}
		view.Sections = append(view.Sections, se)
	}
	if view.Editable {
		view.ShareURL = h.absURL(c, previewShareURL(h.previewToken(s)))
	}
	if s.PredecessorID != nil {
		view.Predecessor, err = models.FindSurveyByID(h.db.Read.WithContext(c.Request().Context()), *s.PredecessorID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	return view, nil
}

func (h *Handler) showEditor(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	view, err := h.editorView(c, ed)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/editor", view)
}

// saveDefinition stores the changed definition, or renders the editor again with the
// problem beside its field; after, it redirects to the editor at anchor.
func (h *Handler) saveDefinition(c *echo.Context, ed *editing, keep func(*editorView), anchor, msg string) error {
	change, err := models.SaveDefinition(h.db.Write.WithContext(c.Request().Context()), ed.survey, ed.def, models.By(researcher(c)), time.Now().UTC())
	msg += changeNote(tr(c), change)
	var de *models.DefinitionError
	if errors.As(err, &de) {
		fresh, ferr := h.loadEditing(c)
		if ferr != nil {
			return ferr
		}
		view, verr := h.editorView(c, fresh)
		if verr != nil {
			return verr
		}
		if keep != nil {
			keep(view)
		}
		field, label := editorField(tr(c), de.Path, ed.def)
		view.Errors, view.Field = setProblem(view.Errors, view.Field, field, label+capitalise(definitionProblem(tr(c), de)))
		return c.Render(http.StatusUnprocessableEntity, "admin/editor", view)
	}
	if err != nil {
		return err
	}
	return h.redirectWithFlash(c, editorURL(ed.survey.Slug)+anchor, msg)
}

var sectionPath = regexp.MustCompile(`^sections\[(\d+)\](?:\.questions\[(\d+)\])?(?:\.(\w+))?`)

// editorField is the id on the editor page where a problem at path belongs, with a prefix
// that says which part of the survey it is about.
func editorField(t *locales.Translator, path string, def *models.Definition) (string, string) {
	top := map[string]string{"title": "titel", "organisation": "organisatie", "intro": "intro", "privacy": "privacy",
		"minutes": "minuten", "contact.name": "contact-naam", "contact.email": "contact-email", "contact.phone": "contact-telefoon", "register": "register"}
	if id, ok := top[path]; ok {
		return id, ""
	}
	m := sectionPath.FindStringSubmatch(path)
	if m == nil {
		return "secties", ""
	}
	si, _ := strconv.Atoi(m[1])
	label := t.T("admin.editor.problem_section", "N", si+1) + " "
	if m[2] != "" {
		qi, _ := strconv.Atoi(m[2])
		if si < len(def.Sections) && qi < len(def.Sections[si].Questions) {
			q := def.Sections[si].Questions[qi]
			return "vraag-" + q.Code, t.T("admin.editor.problem_question", "Text", q.Text) + " "
		}
		return fmt.Sprintf("sectie-%d", si+1), label
	}
	if m[3] == "title" || m[3] == "intro" {
		return fmt.Sprintf("sectie-%d-%s", si+1, map[string]string{"title": "titel", "intro": "intro"}[m[3]]), label
	}
	return fmt.Sprintf("sectie-%d", si+1), label
}

func (h *Handler) saveFacts(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	var f factsForm
	if err := c.Bind(&f); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	keep := func(v *editorView) { v.Facts = f }
	if err := c.Validate(&f); err != nil {
		view, verr := h.editorView(c, ed)
		if verr != nil {
			return verr
		}
		keep(view)
		view.Errors, view.Field = fieldErrors(tr(c), err, factsLabels)
		return c.Render(http.StatusUnprocessableEntity, "admin/editor", view)
	}
	minutes := 0
	if f.Minutes = strings.TrimSpace(f.Minutes); f.Minutes != "" {
		if minutes, err = strconv.Atoi(f.Minutes); err != nil || minutes < 1 {
			return h.renderDefinitionProblem(c, ed, keep, &models.DefinitionError{Path: "minutes", Problem: "vul een aantal minuten in, zoals 10, of laat het leeg voor de berekende tijd", Code: "minutes"})
		}
	}
	d := ed.def
	d.Title, d.Organisation, d.Intro, d.Privacy = strings.TrimSpace(f.Title), strings.TrimSpace(f.Organisation), strings.TrimSpace(f.Intro), strings.TrimSpace(f.Privacy)
	d.Minutes, d.Register = minutes, f.Register
	d.Contact = models.SurveyContact{Name: strings.TrimSpace(f.ContactName), Email: strings.TrimSpace(f.ContactEmail), Phone: strings.TrimSpace(f.ContactPhone)}
	return h.saveDefinition(c, ed, keep, "#gegevens", tr(c).T("admin.editor.facts_saved"))
}

// renderDefinitionProblem shows a problem the handler found before the rules ran.
func (h *Handler) renderDefinitionProblem(c *echo.Context, ed *editing, keep func(*editorView), problem error) error {
	fresh, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	view, err := h.editorView(c, fresh)
	if err != nil {
		return err
	}
	keep(view)
	var de *models.DefinitionError
	errors.As(problem, &de)
	field, label := editorField(tr(c), de.Path, ed.def)
	view.Errors, view.Field = setProblem(view.Errors, view.Field, field, label+capitalise(definitionProblem(tr(c), de)))
	return c.Render(http.StatusUnprocessableEntity, "admin/editor", view)
}

// sectionIndex reads the 1-based section number from the URL as an index.
func sectionIndex(c *echo.Context, def *models.Definition) (int, error) {
	n, err := strconv.Atoi(c.Param("s"))
	if err != nil || n < 1 || n > len(def.Sections) {
		return 0, models.ErrNotFound
	}
	return n - 1, nil
}

func (h *Handler) addSection(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	var f newSectionForm
	if err := c.Bind(&f); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	if err := c.Validate(&f); err != nil {
		view, verr := h.editorView(c, ed)
		if verr != nil {
			return verr
		}
		view.NewSection = f
		view.Errors, view.Field = fieldErrors(tr(c), err, map[string]string{"nieuwe-sectie-titel": "admin.form.label.new_section_title", "nieuwe-sectie-intro": "admin.form.label.new_section_intro"})
		return c.Render(http.StatusUnprocessableEntity, "admin/editor", view)
	}
	// A section needs a question: the editor opens the new-question form for it next.
	n := len(ed.def.Sections) + 1
	return h.redirectWithFlash(c, fmt.Sprintf("%s/secties/%d/nieuw?titel=%s&intro=%s", editorURL(ed.survey.Slug), n,
		url.QueryEscape(strings.TrimSpace(f.Title)), url.QueryEscape(strings.TrimSpace(f.Intro))),
		tr(c).T("admin.editor.section_needs_question"))
}

func (h *Handler) saveSectionText(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, err := sectionIndex(c, ed.def)
	if err != nil {
		return err
	}
	var f sectionForm
	if err := c.Bind(&f); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	ed.def.Sections[si].Title, ed.def.Sections[si].Intro = strings.TrimSpace(f.Title), strings.TrimSpace(f.Intro)
	keep := func(v *editorView) { v.Sections[si].Title, v.Sections[si].Intro = f.Title, f.Intro }
	return h.saveDefinition(c, ed, keep, fmt.Sprintf("#sectie-%d", si+1), tr(c).T("admin.editor.section_saved", "N", si+1))
}

func (h *Handler) moveSection(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, err := sectionIndex(c, ed.def)
	if err != nil {
		return err
	}
	to, err := target(c, si, len(ed.def.Sections))
	if err != nil {
		return err
	}
	title := ed.def.Sections[si].Title
	if err := ed.def.MoveSection(si, to); err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	return h.saveDefinition(c, ed, nil, fmt.Sprintf("#sectie-%d", to+1), tr(c).T("admin.editor.section_moved", "Title", title, "N", to+1))
}

// target is where an item at i of n moves: one up or down ("richting"), or to a position
// ("positie", 1-based) when a script sends where it was dropped.
func target(c *echo.Context, i, n int) (int, error) {
	to := i
	switch c.FormValue("richting") {
	case "omhoog":
		to = i - 1
	case "omlaag":
		to = i + 1
	default:
		p, err := strconv.Atoi(c.FormValue("positie"))
		if err != nil {
			return 0, echo.ErrBadRequest
		}
		to = p - 1
	}
	if to < 0 || to >= n {
		return 0, echo.ErrBadRequest
	}
	return to, nil
}

func (h *Handler) removeSection(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, err := sectionIndex(c, ed.def)
	if err != nil {
		return err
	}
	title := ed.def.Sections[si].Title
	ed.def.Sections = slices.Delete(ed.def.Sections, si, si+1)
	return h.saveDefinition(c, ed, nil, "#secties", tr(c).T("admin.editor.section_deleted", "Title", title))
}

func (h *Handler) moveQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	code := c.Param("code")
	si, qi, err := ed.def.FindQuestion(code)
	if err != nil {
		return err
	}
	q := ed.def.Sections[si].Questions[qi]
	to := si
	switch c.FormValue("richting") {
	case "omhoog":
		to, err = ed.def.StepQuestion(code, -1)
	case "omlaag":
		to, err = ed.def.StepQuestion(code, +1)
	default: // a script dropped it at positie (1-based) in sectie
		s, serr := strconv.Atoi(c.FormValue("sectie"))
		p, perr := strconv.Atoi(c.FormValue("positie"))
		if serr != nil || perr != nil {
			return echo.ErrBadRequest
		}
		to, err = s-1, ed.def.PlaceQuestion(code, s-1, p-1)
	}
	if err != nil {
		return echo.ErrBadRequest.Wrap(err)
	}
	if len(ed.def.Sections[si].Questions) == 0 {
		return h.renderDefinitionProblem(c, ed, func(*editorView) {}, &models.DefinitionError{Path: fmt.Sprintf("sections[%d]", si),
			Problem: "dit is de laatste vraag van de sectie; een sectie heeft minstens één vraag. Verwijder de sectie als u haar niet meer nodig heeft", Code: "last_question_move"})
	}
	return h.saveDefinition(c, ed, nil, "#vraag-"+q.Code, tr(c).T("admin.editor.question_moved", "Text", q.Text, "N", to+1))
}

func (h *Handler) removeQuestion(c *echo.Context) error {
	ed, err := h.loadEditing(c)
	if err != nil {
		return err
	}
	si, qi, err := ed.def.FindQuestion(c.Param("code"))
	if err != nil {
		return err
	}
	q := ed.def.Sections[si].Questions[qi]
	ed.def.Sections[si].Questions = slices.Delete(ed.def.Sections[si].Questions, qi, qi+1)
	if len(ed.def.Sections[si].Questions) == 0 {
		return h.renderDefinitionProblem(c, ed, func(*editorView) {}, &models.DefinitionError{Path: fmt.Sprintf("sections[%d]", si),
			Problem: "dit is de laatste vraag van de sectie; verwijder dan de hele sectie", Code: "last_question_delete"})
	}
	return h.saveDefinition(c, ed, nil, fmt.Sprintf("#sectie-%d", si+1), tr(c).T("admin.editor.question_deleted", "Text", q.Text))
}

// ruleWords says a skip rule as the editor shows it: "alleen als ‘Heeft u …?’ is: Ja of Nee".
// The editor keeps rules as they are; they are written in the definition file.
func ruleWords(t *locales.Translator, def *models.Definition, c *models.Condition) string {
	if c == nil {
		return ""
	}
	or := " " + t.T("admin.rule.or") + " "
	si, qi, err := def.FindQuestion(c.Question)
	if err != nil {
		return t.T("admin.rule.words_code", "Question", c.Question, "Values", strings.Join(c.Values, or))
	}
	q := def.Sections[si].Questions[qi]
	var labels []string
	for _, v := range c.Values {
		label := v
		for _, o := range q.Options {
			if o.Code == v {
				label = o.Label
			}
		}
		labels = append(labels, label)
	}
	return t.T("admin.rule.words", "Question", q.Text, "Values", strings.Join(labels, or))
}

// definitionProblem is a definition's problem in t's language: its message when models gave
// it a code, else the problem as models wrote it.
func definitionProblem(t *locales.Translator, de *models.DefinitionError) string {
	if de.Code == "" {
		return de.Problem
	}
	return t.T("admin.definition."+de.Code, de.Args...)
}

// definitionErrorText is a definition error as DefinitionError.Error writes it, the problem in
// t's language: file:line: path: problem.
func definitionErrorText(t *locales.Translator, de *models.DefinitionError) string {
	return de.With(definitionProblem(t, de))
}
