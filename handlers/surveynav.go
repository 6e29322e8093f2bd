package handlers

// surveyNavView is the sub-navigation on every researcher page of one survey: the same
// links in the same order, the current page marked (templates/partials/surveynav.html).
type surveyNavView struct {
	Title string
	Links []surveyNavLink
}

type surveyNavLink struct {
	Key, Label, Href string
	Current          bool
}

// surveyNavPages are the survey's pages, by key: key, label (a catalogue message) and path
// below the survey.
var surveyNavPages = [][3]string{
	{"overzicht", "admin.nav.overview", ""},
	{"veldwerk", "admin.nav.fieldwork", "/veldwerk"},
	{"concepten", "admin.nav.drafts", "/concepten"},
	{"uitnodigingen", "admin.nav.invitations", "/uitnodigingen"},
	{"email", "admin.nav.email", "/email"},
	{"uitkomsten", "admin.nav.results", "/results"},
	{"downloads", "admin.nav.downloads", "/downloads"},
	{"bewerken", "admin.nav.editor", "/editor"},
}

// surveyNav builds the sub-navigation of the survey slug with current marked.
func surveyNav(slug, title, current string) *surveyNavView {
	v := &surveyNavView{Title: title}
	for _, p := range surveyNavPages {
		v.Links = append(v.Links, surveyNavLink{Key: p[0], Label: p[1], Href: "/admin/surveys/" + slug + p[2], Current: p[0] == current})
	}
	return v
}
