package handlers

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// invitationRoutes are the researcher's pages for access, invitation links, e-mail, the
// fieldwork monitor and the benchmark report (all under /admin).
func (h *Handler) invitationRoutes(a *echo.Group) {
	a.POST("/surveys/:slug/toegang", h.setAccessMode)
	a.GET("/surveys/:slug/rapport-per-gemeente", h.confirmBenchmark)
	a.POST("/surveys/:slug/rapport-per-gemeente", h.setBenchmark)
	a.GET("/surveys/:slug/uitnodigingen", h.showInvitations)
	a.POST("/surveys/:slug/uitnodigingen", h.createInvitations)
	a.GET("/surveys/:slug/uitnodigingen/links.csv", h.downloadInvitations)
	a.GET("/surveys/:slug/uitnodigingen/:id/intrekken", h.confirmRevokeInvitation)
	a.POST("/surveys/:slug/uitnodigingen/:id/intrekken", h.revokeInvitation)
	a.GET("/surveys/:slug/uitnodigingen/:id/vernieuwen", h.confirmReissueInvitation)
	a.POST("/surveys/:slug/uitnodigingen/:id/vernieuwen", h.reissueInvitation)
	a.GET("/surveys/:slug/email", h.showMail)
	a.POST("/surveys/:slug/email/teksten", h.saveMailTemplates)
	a.POST("/surveys/:slug/email/versturen", h.sendMail)
	a.POST("/surveys/:slug/email/verzendingen/:id/opnieuw", h.retryMail)
	a.GET("/surveys/:slug/veldwerk", h.showMonitor)
}

// stateViews are the fieldwork states of a municipality as the researcher reads them.
var stateViews = map[string]statusView{
	models.StateNone:      {"nog niet begonnen", "tag--draft", "admin.state.none"},
	models.StateDraft:     {"concept", "tag--progress", "admin.state.draft"},
	models.StateSubmitted: {"verzonden", "tag--open", "admin.state.submitted"},
}

func (h *Handler) setAccessMode(c *echo.Context) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	mode := c.FormValue("toegang")
	if mode != models.AccessOpen && mode != models.AccessInvitation {
		return echo.ErrBadRequest
	}
	if err := models.SetAccessMode(h.db.Write.WithContext(c.Request().Context()), s.ID, mode, models.By(researcher(c)), time.Now().UTC()); err != nil {
		return err
	}
	msg := tr(c).T("admin.access.open_flash")
	if mode == models.AccessInvitation {
		msg = tr(c).T("admin.access.invitation_flash")
	}
	h.log.Info("access mode set", "survey", s.Slug, "mode", mode)
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug, msg)
}

// confirmBenchmark asks before every participating municipality gets its own report.
func (h *Handler) confirmBenchmark(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	if o.Status != models.StatusClosed {
		return models.ErrWrongStatus
	}
	return c.Render(http.StatusOK, "admin/benchmark", closeView{Researcher: researcher(c), Survey: o})
}

// setBenchmark switches the per-municipality report on after a confirmation, or off at once.
func (h *Handler) setBenchmark(c *echo.Context) error {
	o, err := models.FindSurveyOverview(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	s := &o.Survey
	on := c.FormValue("rapport") == "aan"
	if on && !s.BenchmarkEnabled && c.FormValue("bevestig") != "ja" {
		if s.Status != models.StatusClosed {
			return models.ErrWrongStatus
		}
		msg := tr(c).T("admin.benchmark.unticked")
		return c.Render(http.StatusUnprocessableEntity, "admin/benchmark", closeView{Researcher: researcher(c), Survey: o,
			Errors: []problemView{{Href: "#bevestig", Message: msg}}, Field: map[string]string{"bevestig": msg}})
	}
	if err := models.SetBenchmark(h.db.Write.WithContext(c.Request().Context()), s.ID, on, models.By(researcher(c)), time.Now().UTC()); err != nil {
		return err
	}
	msg := tr(c).T("admin.benchmark.off_flash")
	if on {
		msg = tr(c).T("admin.benchmark.on_flash")
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug, msg)
}

// invitationsView is the page with every invitation link of a survey.
type invitationsView struct {
	Researcher  *models.Researcher
	Survey      *models.SurveyOverview
	Rows        []invitationRow
	Population  int
	WithEmail   int
	MailEnabled bool
	Languages   string // the catalogue's language codes, as a choice: "nl of en"
	List        string // what was pasted, kept after an error
	Errors      []problemView
	Field       map[string]string
}

type invitationRow struct {
	ID         uint
	Code, Name string
	Contact    string
	Email      string
	State      statusView
	InvitedAt  *time.Time
	RemindedAt *time.Time
	Failed     bool
}

func (h *Handler) showInvitations(c *echo.Context) error {
	view, err := h.invitationsPage(c)
	if err != nil {
		return err
	}
	return c.Render(http.StatusOK, "admin/invitations", view)
}

func (h *Handler) invitationsPage(c *echo.Context) (*invitationsView, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	o, err := models.FindSurveyOverview(db, c.Param("slug"))
	if err != nil {
		return nil, err
	}
	reg, err := h.registers.Get(db, o.Register)
	if err != nil {
		return nil, err
	}
	invs, err := models.LiveInvitations(db, o.ID)
	if err != nil {
		return nil, err
	}
	states, err := models.MunicipalityStates(db, o.ID)
	if err != nil {
		return nil, err
	}
	mails, err := models.MailSummaries(db, o.ID)
	if err != nil {
		return nil, err
	}
	view := &invitationsView{Researcher: researcher(c), Survey: o, Population: len(reg.List), MailEnabled: h.cfg.Mail.Enabled(),
		Languages: tr(c).Or(h.lang.Codes()...)}
	for _, inv := range invs {
		row := invitationRow{ID: inv.ID, Code: inv.MunicipalityCode, Name: inv.MunicipalityCode, Contact: inv.ContactName, Email: inv.Email,
			State: stateViews[stateOf(states, inv.MunicipalityCode)]}
		if m, ok := reg.ByCode(inv.MunicipalityCode); ok {
			row.Name = m.Name
		}
		if ms, ok := mails[inv.ID]; ok {
			row.InvitedAt, row.RemindedAt, row.Failed = ms.InvitedAt, ms.RemindedAt, ms.Failed
		}
		if inv.Email != "" {
			view.WithEmail++
		}
		view.Rows = append(view.Rows, row)
	}
	sort.Slice(view.Rows, func(i, j int) bool { return strings.ToLower(view.Rows[i].Name) < strings.ToLower(view.Rows[j].Name) })
	return view, nil
}

func stateOf(states map[string]string, code string) string {
	if s, ok := states[code]; ok {
		return s
	}
	return models.StateNone
}

// createInvitations makes links for the whole register, or for a pasted or uploaded list.
func (h *Handler) createInvitations(c *echo.Context) error {
	s, err := models.FindSurvey(h.db.Read.WithContext(c.Request().Context()), c.Param("slug"))
	if err != nil {
		return err
	}
	reg, err := h.registers.Get(h.db.Read, s.Register)
	if err != nil {
		return err
	}
	var contacts []models.Contact
	list := c.FormValue("lijst")
	if c.FormValue("bron") == "register" {
		for _, m := range reg.List {
			contacts = append(contacts, models.Contact{Code: m.Code})
		}
	} else {
		text, err := uploadedList(c, list)
		if err != nil {
			return err
		}
		var problems []models.ContactProblem
		contacts, problems = models.ReadContacts(strings.NewReader(text), reg)
		if strings.TrimSpace(text) == "" {
			problems = []models.ContactProblem{{Message: "Plak een lijst met gemeenten, of kies een bestand", Code: "nothing"}}
		}
		if len(problems) > 0 {
			return h.renderListProblems(c, list, problems)
		}
	}
	created, updated, err := models.Invite(h.db.Write.WithContext(c.Request().Context()), s, h.links, contacts, models.By(researcher(c)), time.Now().UTC())
	if err != nil {
		return err
	}
	h.log.Info("invitations created", "survey", s.Slug, "created", created, "updated", updated)
	msg := tr(c).T("admin.invitations.created", "Created", created, "Updated", updated)
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/uitnodigingen", msg)
}

// uploadedList is the text of the uploaded file, or else what was pasted.
func uploadedList(c *echo.Context, pasted string) (string, error) {
	fh, err := c.FormFile("bestand")
	if errors.Is(err, http.ErrMissingFile) || err != nil && !strings.HasPrefix(c.Request().Header.Get("Content-Type"), "multipart/") {
		return pasted, nil
	}
	if err != nil {
		return "", echo.ErrBadRequest.Wrap(err)
	}
	f, err := fh.Open()
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxBodyBytes))
	if err != nil {
		return "", err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return pasted, nil
	}
	return string(data), nil
}

func (h *Handler) renderListProblems(c *echo.Context, list string, problems []models.ContactProblem) error {
	view, err := h.invitationsPage(c)
	if err != nil {
		return err
	}
	view.List = list
	for i, p := range problems {
		if i == 20 {
			view.Errors = append(view.Errors, problemView{Href: "#lijst", Message: tr(c).T("admin.invitations.more_problems", "Count", len(problems)-20)})
			break
		}
		msg := p.Message
		if p.Code != "" {
			msg = tr(c).T("admin.contacts."+p.Code, p.Args...)
		}
		if p.Line > 0 {
			msg = tr(c).T("admin.invitations.line_problem", "Line", p.Line, "Problem", msg)
		}
		view.Errors = append(view.Errors, problemView{Href: "#lijst", Message: msg})
	}
	view.Field = map[string]string{"lijst": tr(c).T("admin.invitations.list_wrong")}
	return c.Render(http.StatusUnprocessableEntity, "admin/invitations", view)
}

// invitationFor reads the invitation named in the URL, with its municipality's name.
func (h *Handler) invitationFor(c *echo.Context) (*models.Survey, *models.Invitation, string, error) {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return nil, nil, "", err
	}
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return nil, nil, "", models.ErrNotFound
	}
	inv, err := models.FindInvitationByID(db, s, uint(id))
	if err != nil {
		return nil, nil, "", err
	}
	name := inv.MunicipalityCode
	if reg, err := h.registers.Get(db, s.Register); err == nil {
		if m, ok := reg.ByCode(inv.MunicipalityCode); ok {
			name = m.Name
		}
	}
	return s, inv, name, nil
}

// invitationConfirmView asks before an invitation link is revoked or replaced: either way
// the link the municipality has stops working.
type invitationConfirmView struct {
	Researcher   *models.Researcher
	Survey       *models.Survey
	Municipality string
	Reissue      bool // replace the link rather than only revoke it
	Action       string
	Errors       []problemView
	Field        map[string]string
}

func (h *Handler) confirmInvitationChange(c *echo.Context, reissue bool, status int, problem string) error {
	s, inv, name, err := h.invitationFor(c)
	if err != nil {
		return err
	}
	verb := "intrekken"
	if reissue {
		verb = "vernieuwen"
	}
	v := invitationConfirmView{Researcher: researcher(c), Survey: s, Municipality: name, Reissue: reissue,
		Action: fmt.Sprintf("/admin/surveys/%s/uitnodigingen/%d/%s", s.Slug, inv.ID, verb)}
	if problem != "" {
		v.Errors, v.Field = []problemView{{Href: "#bevestig", Message: problem}}, map[string]string{"bevestig": problem}
	}
	return c.Render(status, "admin/invitationconfirm", v)
}

func (h *Handler) confirmRevokeInvitation(c *echo.Context) error {
	return h.confirmInvitationChange(c, false, http.StatusOK, "")
}

func (h *Handler) confirmReissueInvitation(c *echo.Context) error {
	return h.confirmInvitationChange(c, true, http.StatusOK, "")
}

func (h *Handler) revokeInvitation(c *echo.Context) error {
	if c.FormValue("bevestig") != "ja" {
		return h.confirmInvitationChange(c, false, http.StatusUnprocessableEntity, tr(c).T("admin.invitationconfirm.revoke_unticked"))
	}
	s, inv, name, err := h.invitationFor(c)
	if err != nil {
		return err
	}
	if err := models.RevokeInvitation(h.db.Write.WithContext(c.Request().Context()), s, inv.ID, name, models.By(researcher(c)), time.Now().UTC()); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/uitnodigingen", tr(c).T("admin.invitationconfirm.revoked", "Municipality", name))
}

func (h *Handler) reissueInvitation(c *echo.Context) error {
	if c.FormValue("bevestig") != "ja" {
		return h.confirmInvitationChange(c, true, http.StatusUnprocessableEntity, tr(c).T("admin.invitationconfirm.reissue_unticked"))
	}
	s, inv, name, err := h.invitationFor(c)
	if err != nil {
		return err
	}
	fresh, err := models.ReissueInvitation(h.db.Write.WithContext(c.Request().Context()), s, h.links, inv.ID, name, models.By(researcher(c)), time.Now().UTC())
	if errors.Is(err, models.ErrInvitationInUse) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/concepten",
			tr(c).T("admin.invitationconfirm.in_use", "Municipality", name))
	}
	if err != nil {
		return err
	}
	token, err := h.links.Token(fresh)
	if err != nil {
		return err
	}
	link := h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"+token)
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/uitnodigingen",
		tr(c).T("admin.invitationconfirm.reissued", "Municipality", name, "Link", link))
}

// downloadInvitations writes every live link as CSV for a mail merge in Dutch Excel.
func (h *Handler) downloadInvitations(c *echo.Context) error {
	db := h.db.Read.WithContext(c.Request().Context())
	s, err := models.FindSurvey(db, c.Param("slug"))
	if err != nil {
		return err
	}
	reg, err := h.registers.Get(db, s.Register)
	if err != nil {
		return err
	}
	invs, err := models.LiveInvitations(db, s.ID)
	if err != nil {
		return err
	}
	states, err := models.MunicipalityStates(db, s.ID)
	if err != nil {
		return err
	}
	// The language last: a mail merge picks the contact's text by it, and earlier columns keep their place.
	t := tr(c)
	rows := [][]string{{t.T("export.invitations.code"), t.T("export.invitations.municipality"), t.T("export.invitations.province"),
		t.T("export.invitations.contact"), t.T("export.invitations.email"), t.T("export.invitations.link"), t.T("export.invitations.state"),
		t.T("export.invitations.lang")}}
	for _, inv := range invs {
		token, err := h.links.Token(&inv)
		if err != nil {
			return err
		}
		name, province := inv.MunicipalityCode, ""
		if m, ok := reg.ByCode(inv.MunicipalityCode); ok {
			name, province = m.Name, m.Province
		}
		rows = append(rows, []string{inv.MunicipalityCode, name, province, inv.ContactName, inv.Email,
			h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"+token), t.T(stateViews[stateOf(states, inv.MunicipalityCode)].Key), inv.Lang})
	}
	w := newCSVWriter(download(c, "text/csv; charset=utf-8", "uitnodigingen-"+s.Slug+".csv"), dutchCSV)
	for _, r := range rows {
		for i := range r {
			r[i] = models.Neutralise(r[i])
		}
		if err := w.Write(r); err != nil {
			return err
		}
	}
	h.log.Info("invitation links downloaded", "survey", s.Slug, "links", len(invs))
	return w.flush()
}
