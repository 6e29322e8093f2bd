package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v5"

	"peiling/models"
)

// The API (docs/api.md) reads the results of closed surveys with a bearer token. Its errors
// are JSON, not pages.

const tokenKey = "api_token"

// apiError is the body of every API error.
type apiError struct {
	Status int    `json:"status"`
	Error  string `json:"error"`
	Detail string `json:"detail"`
}

// apiErrors turns the errors of the API's handlers into JSON; a response already started
// (a stream that failed halfway) is left alone.
func (h *Handler) apiErrors(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		err := next(c)
		if err == nil {
			return nil
		}
		if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
			return err
		}
		// The codes are for programs and the same in every language; the detail is for people,
		// in the language of Accept-Language (chooseLanguage).
		t := tr(c)
		var body apiError
		switch {
		case errors.Is(err, errNoToken):
			c.Response().Header().Set("WWW-Authenticate", `Bearer realm="peiling"`)
			body = apiError{http.StatusUnauthorized, "unauthorized", t.T("api.error.unauthorized", "Header", "Authorization: Bearer <token>")}
		case errors.Is(err, models.ErrResultsEmbargo):
			body = apiError{http.StatusForbidden, "embargo", t.T("api.error.embargo")}
		case errors.Is(err, errStillComputing):
			c.Response().Header().Set("Retry-After", "30")
			body = apiError{http.StatusServiceUnavailable, "computing", t.T("api.error.computing")}
		case errors.Is(err, models.ErrAnswersDeleted):
			var deleted *models.AnswersDeletedError
			errors.As(err, &deleted)
			body = apiError{http.StatusGone, "answers_deleted", t.T("api.error.answers_deleted", "At", deleted.At.UTC().Format(time.RFC3339), "Results", "/results")}
		case errors.Is(err, models.ErrNotFound) || echo.StatusCode(err) == http.StatusNotFound:
			body = apiError{http.StatusNotFound, "not_found", t.T("api.error.not_found")}
		default:
			status := echo.StatusCode(err)
			if status == 0 || status >= 500 {
				h.log.ErrorContext(c.Request().Context(), "api request failed", "path", c.Path(), "err", err)
				status = http.StatusInternalServerError
			}
			body = apiError{status, strings.ToLower(strings.ReplaceAll(http.StatusText(status), " ", "_")), t.T("api.error.failed")}
		}
		return c.JSON(body.Status, body)
	}
}

var errNoToken = errors.New("missing or wrong api token")

// requireToken lets requests with a live bearer token through.
func (h *Handler) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c *echo.Context) error {
		secret, ok := strings.CutPrefix(c.Request().Header.Get("Authorization"), "Bearer ")
		if !ok {
			return errNoToken
		}
		t, err := models.Authorise(h.db.Read.WithContext(c.Request().Context()), strings.TrimSpace(secret))
		if errors.Is(err, models.ErrNotFound) {
			return errNoToken
		}
		if err != nil {
			return err
		}
		c.Set(tokenKey, t)
		return next(c)
	}
}

func (h *Handler) apiResults(c *echo.Context) error {
	return h.exportResultsJSON(c, h.db.Read.WithContext(c.Request().Context()), surveyOf(c), true)
}

func (h *Handler) apiResponses(c *echo.Context) error {
	t, _ := c.Get(tokenKey).(*models.APIToken)
	h.log.Info("api responses", "survey", surveyOf(c).Slug, "token", t.ID)
	return h.exportRawJSON(c, h.db.Read.WithContext(c.Request().Context()), surveyOf(c), true)
}

// Aggregates as JSON: the shape is documented in docs/api.md.
type (
	resultsDoc struct {
		Survey       surveyDoc     `json:"survey"`
		Respondents  int64         `json:"respondents"`
		Register     registerDoc   `json:"register"`
		ResponseRate int           `json:"response_rate_percent"`
		MinGroupSize int           `json:"min_group_size"`
		Breakdown    *breakdownDoc `json:"breakdown"`
		// Filter is the subset the figures are of (?filter=), FilterRefused a filter not
		// applied because its group is hidden in its own breakdown; both absent without one.
		Filter        *filterDoc    `json:"filter,omitempty"`
		FilterRefused *filterDoc    `json:"filter_refused,omitempty"`
		Questions     []questionDoc `json:"questions"`
	}
	surveyDoc struct {
		Slug     string     `json:"slug"`
		Title    string     `json:"title"`
		Status   string     `json:"status"`
		OpenedAt *time.Time `json:"opened_at"`
		ClosedAt *time.Time `json:"closed_at"`
	}
	registerDoc struct {
		Name           string `json:"name"`
		Municipalities int64  `json:"municipalities"`
	}
	breakdownDoc struct {
		Dimension string     `json:"dimension"`
		Label     string     `json:"label,omitempty"`
		Groups    []groupDoc `json:"groups"`
	}
	filterDoc struct {
		Dimension      string `json:"dimension"`
		Group          string `json:"group"`
		Label          string `json:"label"`
		RespondentsAll int64  `json:"respondents_all,omitempty"` // without the filter
	}
	groupDoc struct {
		Key          string `json:"key"`
		Label        string `json:"label"`
		N            *int64 `json:"n"` // null when hidden
		Hidden       bool   `json:"hidden"`
		HiddenReason string `json:"hidden_reason,omitempty"` // too_small, complementary, empty
		HiddenLabel  string `json:"hidden_label,omitempty"`
	}
	questionDoc struct {
		Code       string         `json:"code"`
		Kind       string         `json:"kind"`
		Text       string         `json:"text"`
		Section    string         `json:"section"`
		Unit       string         `json:"unit,omitempty"`
		Base       string         `json:"base,omitempty"` // shown or answered
		BaseLabel  string         `json:"base_label,omitempty"`
		Summary    *summaryDoc    `json:"summary_labels,omitempty"`
		Total      *figuresDoc    `json:"total,omitempty"`
		Groups     []figuresDoc   `json:"groups,omitempty"`
		Statements []statementDoc `json:"statements,omitempty"`
	}
	statementDoc struct {
		Code   string       `json:"code"`
		Text   string       `json:"text"`
		Total  figuresDoc   `json:"total"`
		Groups []figuresDoc `json:"groups,omitempty"`
	}
	summaryDoc struct {
		Disagree string `json:"disagree"`
		Neutral  string `json:"neutral,omitempty"` // only when the scale has a middle
		Agree    string `json:"agree"`
	}
	figuresDoc struct {
		Hidden       bool        `json:"hidden,omitempty"`
		HiddenReason string      `json:"hidden_reason,omitempty"`
		N            *int64      `json:"n,omitempty"`
		Answered     *int64      `json:"answered,omitempty"`
		Options      []optionDoc `json:"options,omitempty"`
		DontKnow     *int64      `json:"dont_know,omitempty"`
		Disagree     *int        `json:"disagree_percent,omitempty"`
		Neutral      *int        `json:"neutral_percent,omitempty"`
		Agree        *int        `json:"agree_percent,omitempty"`
		Mean         *float64    `json:"mean,omitempty"`
		Median       *float64    `json:"median,omitempty"`
		Min          *float64    `json:"min,omitempty"`
		Max          *float64    `json:"max,omitempty"`
	}
	optionDoc struct {
		Code    string `json:"code"`
		Label   string `json:"label"`
		Count   int64  `json:"count"`
		Percent int    `json:"percent"`
	}
)

func resultsJSON(rep *models.Report) resultsDoc {
	d := resultsDoc{
		Survey:      surveyDoc{rep.Survey.Slug, rep.Survey.Title, rep.Survey.Status, rep.OpenedAt, rep.ClosedAt},
		Respondents: rep.Respondents, Register: registerDoc{rep.Survey.Register, rep.Population},
		ResponseRate: rep.RatePercent, MinGroupSize: rep.MinGroupSize, Questions: []questionDoc{},
	}
	if rep.Dimension != "" {
		d.Breakdown = &breakdownDoc{Dimension: rep.Dimension, Groups: []groupDoc{}}
		for _, g := range rep.Groups {
			gd := groupDoc{Key: g.Key, Label: g.Label, Hidden: g.Hidden, HiddenReason: g.Reason, HiddenLabel: models.HiddenLabel(g.Reason, rep.MinGroupSize)}
			if !g.Hidden {
				n := g.N
				gd.N = &n
			}
			d.Breakdown.Groups = append(d.Breakdown.Groups, gd)
		}
	}
	for _, qr := range rep.Questions {
		qd := questionDoc{Code: qr.Q.Code, Kind: qr.Q.Kind, Text: qr.Q.Text, Section: qr.Section, Unit: qr.Q.Unit}
		qd.Base, qd.BaseLabel = qr.Base, qr.BaseLabel()
		if qr.Q.Kind == models.KindLikert {
			low, middle, high, _ := models.ScaleSummary(qr.Q.ScaleOptions)
			qd.Summary = &summaryDoc{Disagree: low, Neutral: middle, Agree: high}
			for _, st := range qr.Statements {
				sd := statementDoc{Code: st.Code, Text: st.Text, Total: figuresJSON(qr.Q, st.Cells[0])}
				for _, f := range st.Cells[1:] {
					sd.Groups = append(sd.Groups, figuresJSON(qr.Q, f))
				}
				qd.Statements = append(qd.Statements, sd)
			}
		} else {
			total := figuresJSON(qr.Q, qr.Cells[0])
			qd.Total = &total
			for _, f := range qr.Cells[1:] {
				qd.Groups = append(qd.Groups, figuresJSON(qr.Q, f))
			}
		}
		d.Questions = append(d.Questions, qd)
	}
	return d
}

func figuresJSON(q *models.Question, f models.Figures) figuresDoc {
	if f.Hidden {
		return figuresDoc{Hidden: true, HiddenReason: f.Reason}
	}
	n, answered := f.N, f.Answered
	fd := figuresDoc{N: &n}
	if q.Kind == models.KindMulti {
		fd.Answered = &answered
	}
	for _, o := range f.Options {
		fd.Options = append(fd.Options, optionDoc{o.Code, o.Label, o.Count, o.Percent})
	}
	if q.DontKnow {
		dk := f.DontKnow
		fd.DontKnow = &dk
	}
	if q.Kind == models.KindLikert {
		dis, neu, agr := f.Disagree, f.Neutral, f.Agree
		fd.Disagree, fd.Neutral, fd.Agree = &dis, &neu, &agr
	}
	if q.Kind == models.KindNumber {
		mean, median, lo, hi := models.CleanNumber(f.Mean), models.CleanNumber(f.Median), models.CleanNumber(f.Min), models.CleanNumber(f.Max)
		fd.Mean = &mean
		if f.N > 0 && f.Stats {
			fd.Median, fd.Min, fd.Max = &median, &lo, &hi
		}
	}
	return fd
}

// tokensView is the researcher's list of API tokens; NewSecret is shown once, right after
// the token was made.
type tokensView struct {
	Researcher *models.Researcher
	Tokens     []models.APIToken
	NewName    string
	NewSecret  string
}

func (h *Handler) showTokens(c *echo.Context) error {
	return h.renderTokens(c, http.StatusOK, "", "")
}

func (h *Handler) renderTokens(c *echo.Context, status int, name, secret string) error {
	list, err := models.Tokens(h.db.Read.WithContext(c.Request().Context()))
	if err != nil {
		return err
	}
	return c.Render(status, "results/tokens", tokensView{Researcher: researcher(c), Tokens: list, NewName: name, NewSecret: secret})
}

// createToken shows the new token on the response to the POST itself, not after a redirect:
// it exists nowhere else, and is never shown again.
func (h *Handler) createToken(c *echo.Context) error {
	t, secret, err := models.CreateToken(h.db.Write.WithContext(c.Request().Context()), researcher(c), c.FormValue("naam"))
	if err != nil {
		return err
	}
	h.log.Info("api token created", "token", t.ID, "researcher", researcher(c).ID)
	return h.renderTokens(c, http.StatusCreated, t.Name, secret)
}

func (h *Handler) revokeToken(c *echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil {
		return models.ErrNotFound
	}
	if err := models.RevokeToken(h.db.Write.WithContext(c.Request().Context()), uint(id)); err != nil {
		return err
	}
	h.log.Info("api token revoked", "token", id, "researcher", researcher(c).ID)
	return c.Redirect(http.StatusSeeOther, "/admin/tokens")
}
