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
	models.StateNone:      {"nog niet begonnen", "tag--draft"},
	models.StateDraft:     {"concept", "tag--progress"},
	models.StateSubmitted: {"verzonden", "tag--open"},
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
	msg := "Iedereen met de link van de peiling kan nu een gemeente kiezen en beginnen."
	if mode == models.AccessInvitation {
		msg = "Alleen gemeenten met een persoonlijke uitnodigingslink kunnen nu beginnen."
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
		msg := "Vink aan dat u het rapport per gemeente wilt aanzetten"
		return c.Render(http.StatusUnprocessableEntity, "admin/benchmark", closeView{Researcher: researcher(c), Survey: o,
			Errors: []problemView{{Href: "#bevestig", Message: msg}}, Field: map[string]string{"bevestig": msg}})
	}
	if err := models.SetBenchmark(h.db.Write.WithContext(c.Request().Context()), s.ID, on, models.By(researcher(c)), time.Now().UTC()); err != nil {
		return err
	}
	msg := "Gemeenten zien hun rapport niet meer."
	if on {
		msg = "Elke gemeente die meedeed, ziet nu via haar uitnodigingslink haar eigen antwoorden naast die van alle gemeenten."
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
	view := &invitationsView{Researcher: researcher(c), Survey: o, Population: len(reg.List), MailEnabled: h.cfg.Mail.Enabled()}
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
			problems = []models.ContactProblem{{Message: "Plak een lijst met gemeenten, of kies een bestand"}}
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
	msg := fmt.Sprintf("%d nieuwe uitnodigingslinks gemaakt, %d bijgewerkt. Download de links voor een mailing, of verstuur ze per e-mail.", created, updated)
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
			view.Errors = append(view.Errors, problemView{Href: "#lijst", Message: fmt.Sprintf("En nog %d regels met een fout", len(problems)-20)})
			break
		}
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("Regel %d: %s", p.Line, p.Message)
		}
		view.Errors = append(view.Errors, problemView{Href: "#lijst", Message: msg})
	}
	view.Field = map[string]string{"lijst": "De lijst heeft fouten; er zijn nog geen links gemaakt. Verbeter de regels hierboven en probeer het opnieuw."}
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
		return h.confirmInvitationChange(c, false, http.StatusUnprocessableEntity, "Vink aan dat u de link wilt intrekken")
	}
	s, inv, name, err := h.invitationFor(c)
	if err != nil {
		return err
	}
	if err := models.RevokeInvitation(h.db.Write.WithContext(c.Request().Context()), s, inv.ID, name, models.By(researcher(c)), time.Now().UTC()); err != nil {
		return err
	}
	return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/uitnodigingen", "De link van gemeente "+name+" is ingetrokken en werkt niet meer.")
}

func (h *Handler) reissueInvitation(c *echo.Context) error {
	if c.FormValue("bevestig") != "ja" {
		return h.confirmInvitationChange(c, true, http.StatusUnprocessableEntity, "Vink aan dat u een nieuwe link wilt maken")
	}
	s, inv, name, err := h.invitationFor(c)
	if err != nil {
		return err
	}
	fresh, err := models.ReissueInvitation(h.db.Write.WithContext(c.Request().Context()), s, h.links, inv.ID, name, models.By(researcher(c)), time.Now().UTC())
	if errors.Is(err, models.ErrInvitationInUse) {
		return h.redirectWithFlash(c, "/admin/surveys/"+s.Slug+"/concepten",
			"Met de link van gemeente "+name+" is al begonnen. Laat eerst dat concept vervallen (of trek de inzending in); daarna kunt u een nieuwe link maken.")
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
		"Nieuwe link voor gemeente "+name+": "+link+" — de oude link werkt niet meer.")
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
	rows := [][]string{{"gemeentecode", "gemeente", "provincie", "contactpersoon", "e-mailadres", "link", "status"}}
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
			h.absURL(c, "/s/"+s.Slug+"/uitnodiging/"+token), stateViews[stateOf(states, inv.MunicipalityCode)].Label})
	}
	w := newCSVWriter(download(c, "text/csv; charset=utf-8", "uitnodigingen-"+s.Slug+".csv"), dutchCSV)
	for _, r := range rows {
		for i := range r {
			r[i] = neutralise(r[i])
		}
		if err := w.Write(r); err != nil {
			return err
		}
	}
	h.log.Info("invitation links downloaded", "survey", s.Slug, "links", len(invs))
	return w.flush()
}
