package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"

	"peiling/models"
)

// errorView is the Dutch error page.
type errorView struct {
	Status   int
	Heading  string
	Message  string
	Back     string // a link to go on from, if any
	BackText string // the link's text; the survey's start page when empty
}

const errorHandledKey = "error_handled"

// handleError is the only place where an error becomes a page.
func (h *Handler) handleError(c *echo.Context, err error) {
	// echo calls this twice for one error: from the request logger (HandleError) and again
	// when the error reaches the top. The second call must not log it again.
	if c.Get(errorHandledKey) != nil {
		return
	}
	c.Set(errorHandledKey, true)
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		// The status line is sent, so no error page can follow and the client sees a cut-off
		// download at most: the log is the only place the cause is kept.
		level := slog.LevelError
		if errors.Is(err, context.Canceled) {
			level = slog.LevelWarn // the client went away
		}
		h.log.Log(c.Request().Context(), level, "response failed after it started", "path", c.Path(), "status", r.Status, "err", err)
		return
	}
	view := describeError(err)
	if errors.Is(err, errStillComputing) {
		c.Response().Header().Set("Retry-After", "30")
	} else if view.Status >= 500 {
		h.log.ErrorContext(c.Request().Context(), "request failed", "path", c.Path(), "err", err)
	}
	if view.Status == http.StatusTooManyRequests {
		if rl := (*retryAfterError)(nil); errors.As(err, &rl) {
			c.Response().Header().Set("Retry-After", rl.seconds())
		}
	}
	if slug := c.Param("slug"); slug != "" && view.Back == "" && view.Status < 500 {
		view.Back = "/s/" + slug
		if strings.HasPrefix(c.Request().URL.Path, "/admin/") {
			view.Back, view.BackText = "/admin/surveys/"+slug, "Terug naar de peiling"
		}
	}
	if rerr := c.Render(view.Status, "site/error", view); rerr != nil {
		h.log.Error("render error page", "err", rerr)
		_ = c.String(view.Status, http.StatusText(view.Status))
	}
}

func describeError(err error) errorView {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return errorView{Status: http.StatusNotFound, Heading: "Pagina niet gevonden", Message: "Deze pagina bestaat niet (meer). Controleer het adres, of begin bij de startpagina van de peiling."}
	case errors.Is(err, models.ErrSurveyClosed):
		return errorView{Status: http.StatusGone, Heading: "Deze peiling is gesloten", Message: "De peiling neemt geen antwoorden meer aan, dus wat u net verstuurde is niet opgeslagen. Antwoorden die vóór de sluiting waren verzonden, tellen mee."}
	case errors.Is(err, models.ErrSurveyNotOpen):
		return errorView{Status: http.StatusForbidden, Heading: "Deze peiling is nog niet geopend", Message: "U kunt de peiling invullen zodra de onderzoeker haar opent. Probeer het later opnieuw via dezelfde link."}
	case errors.Is(err, models.ErrAlreadySubmitted):
		return errorView{Status: http.StatusConflict, Heading: "Deze antwoorden zijn al verzonden", Message: "De peiling voor deze gemeente is al ingevuld en verzonden. Er is niets overschreven."}
	case errors.Is(err, models.ErrWrongStatus):
		return errorView{Status: http.StatusConflict, Heading: "Dat kan niet in deze fase van de peiling", Message: "De status van de peiling is intussen veranderd, of deze stap past niet bij de huidige status. Er is niets gewijzigd. Bekijk de peiling en probeer het opnieuw."}
	case errors.Is(err, models.ErrBadSetupLink):
		return errorView{Status: http.StatusNotFound, Heading: "Deze installatielink werkt niet (meer)", Message: "De link is al gebruikt, of er bestaat al een account voor een onderzoeker. Log in, of vraag de beheerder om een account (peiling user add).", Back: "/admin/login", BackText: "Naar de inlogpagina"}
	case errors.Is(err, models.ErrNotStored), errors.Is(err, models.ErrClosed):
		return errorView{Status: http.StatusServiceUnavailable, Heading: "Niet opgeslagen", Message: notStoredMessage}
	case errors.Is(err, errStillComputing):
		return errorView{Status: http.StatusServiceUnavailable, Heading: "Wordt nog berekend", Message: "Na het sluiten telt Peiling alle antwoorden één keer voor elke indeling en elk filter met een vraag; bij een grote peiling duurt dat tot een minuut. Probeer het zo opnieuw."}
	case errors.Is(err, middleware.ErrCSRFInvalid):
		return errorView{Status: http.StatusForbidden, Heading: "Het formulier is verlopen", Message: "Om veiligheidsredenen konden we dit formulier niet verwerken. Ga terug, laad de pagina opnieuw en probeer het nog eens. Wat u eerder met ‘Volgende’ opsloeg, is bewaard."}
	}
	var deleted *models.AnswersDeletedError
	if errors.As(err, &deleted) {
		return errorView{Status: http.StatusGone, Heading: "De ruwe antwoorden zijn verwijderd",
			Message: "De antwoorden zelf zijn op " + dutchTime(deleted.At) + " verwijderd volgens de bewaartermijn van deze peiling. De opgetelde uitkomsten zijn berekend toen de peiling sloot en blijven ongewijzigd; zonder de antwoorden kan de peiling niet meer worden heropend."}
	}
	var tooMany *retryAfterError
	if errors.As(err, &tooMany) {
		msg := tooMany.message
		if msg == "" {
			msg = "Er zijn vanaf uw adres te veel ongeldige links geprobeerd. Wacht een paar minuten en probeer het dan opnieuw."
		}
		return errorView{Status: http.StatusTooManyRequests, Heading: "Te veel pogingen", Message: msg}
	}
	status := echo.StatusCode(err)
	switch status {
	case 0:
		status = http.StatusInternalServerError
	case http.StatusNotFound:
		return describeError(models.ErrNotFound)
	case http.StatusMethodNotAllowed:
		return errorView{Status: status, Heading: "Dat kan hier niet", Message: "Deze pagina kan zo niet worden gebruikt. Ga terug en probeer het opnieuw."}
	case http.StatusRequestEntityTooLarge:
		return errorView{Status: status, Heading: "Te veel tekst in één keer", Message: "Uw antwoorden zijn samen te lang om te versturen. Maak de langste antwoorden korter en probeer het opnieuw."}
	}
	if status >= 500 {
		return errorView{Status: status, Heading: "Er ging iets mis aan onze kant", Message: "Probeer het over een paar minuten opnieuw. Wat u eerder met ‘Volgende’ opsloeg, is bewaard."}
	}
	return errorView{Status: status, Heading: "Dit verzoek kunnen we niet verwerken", Message: "Ga terug en probeer het opnieuw."}
}

// notStoredMessage tells a respondent that what they just sent is not stored, and that it is
// not their doing: the disk is full, or some other storage failure.
const notStoredMessage = "Uw antwoorden zijn niet opgeslagen; probeer het over een paar minuten opnieuw."

// notStored reports whether a respondent's write failed for a reason of ours (a storage error
// such as a full disk, or anything else unexpected) rather than a rule about their answers:
// their form is then shown again, with their input and notStoredMessage, as a 503.
func notStored(err error) bool {
	return err != nil && describeError(err).Status >= http.StatusInternalServerError
}
