package models

import (
	"fmt"

	"gorm.io/gorm"
)

// The article data set: 119 responses to the reference survey that reproduce every figure
// the article of 3 January 2018 reports ("Klantcontact en interactie: de plannen van
// gemeenten in 2018"), for tests and for `peiling demo`. The article gives shares, not
// answers; the counts below are chosen so that the shares follow, and the rest is made to
// look like a real survey. The open answers paraphrase the themes the article lists.
//
// Article figures and the counts behind them (n = 119 unless stated):
//   - response 119 of 380 municipalities: 31 %
//   - afdeling: three quarters communicatie (89), almost one fifth dienstverlening (22)
//   - kc_plannen: basis op orde 95 = 80 %, sturing 65 = 55 %, data 62 = 52 %, serviceniveau 13 = 11 %
//   - meer samenwerken: 105 (helemaal) eens = 88 %; werken goed samen: a small majority agrees
//   - bestuur ziet geen reden: 77 of 115 (4 weet niet) (helemaal) niet eens = 67 %
//   - part_plannen: weten wat speelt 75 = 63 %, converseren 65 = 55 %, experimenteren 63 = 53 %
//   - belangrijk maar moeilijk: 83 of 117 eens = 71 %; one third neutral on onvoldoende
//     kennis (38 of 114) and ambtenaren moeite (38 of 112, "enigszins eens" 40 just larger);
//     inwoners willen niet 44 of 116 neutral = 38 %; bestuur zelf beslissen 44 of 113 = 39 %
//   - bnb_plannen: balans 77 = 65 %, newsroom 62 = 52 %, online luisteren 61 = 51 %
//   - wil van buiten naar binnen 93 of 116 eens = 80 %; voldoende kennis 57 of 114 = 50 %;
//     werkt al: 52 of 115 enigszins eens = 45 %; ruimte voor nieuwe functies: a small group
const articleRespondents = 119

// articleMulti is a multi question: how many respondents tick each option, and the
// "anders, namelijk" texts of those who tick anders.
type articleMulti struct {
	code   string
	counts map[string]int
	others []string
}

// articleLikert is one statement: counts per scale point (helemaal oneens … helemaal eens)
// and weet niet; respondents beyond their sum skipped the statement.
type articleLikert struct {
	question, statement string
	counts              [5]int
	dontKnow            int
}

// articleOpen is an open question: how many answered, and the answers they give in turn.
type articleOpen struct {
	code    string
	n       int
	answers []string
}

var articleMultis = []articleMulti{
	{"kc_plannen", map[string]int{"basis_op_orde": 95, "sturing": 65, "data_proactief": 62, "serviceniveau": 13, "anders": 7}, []string{
		"Een chatbot op de website uitproberen.",
		"Onderzoeken wat blockchain voor de dienstverlening kan betekenen.",
		"De telefonische bereikbaarheid verbeteren.",
		"Klantreizen in kaart brengen.",
		"Een nieuwe website met een begrijpelijke producten- en dienstencatalogus.",
		"Het zaakgericht werken invoeren.",
		"Klantcontact onderbrengen in één team.",
	}},
	{"part_plannen", map[string]int{"weten_wat_speelt": 75, "converseren": 65, "experimenteren": 63, "anders": 6}, []string{
		"De Omgevingswet voorbereiden.",
		"Een participatiebeleid opstellen.",
		"Wijkgericht werken uitbreiden.",
		"Jongeren meer betrekken.",
		"Right to challenge mogelijk maken.",
		"Een burgerbegroting uitproberen.",
	}},
	{"bnb_plannen", map[string]int{"balans_zenden_interactie": 77, "samenhang_newsroom": 62, "online_luisteren": 61, "anders": 5}, []string{
		"Medewerkers trainen in omgevingsbewust werken.",
		"Webcare uitbreiden naar de avond.",
		"Een communicatievisie 'van buiten naar binnen' vaststellen.",
		"Data-analyse van klantvragen delen met beleidsafdelingen.",
		"Een klantpanel oprichten.",
	}},
}

var articleLikerts = []articleLikert{
	{"kc_stellingen", "meer_samenwerken", [5]int{1, 3, 10, 45, 60}, 0},
	{"kc_stellingen", "werken_goed_samen", [5]int{6, 20, 27, 50, 14}, 2},
	{"kc_stellingen", "bestuur_geen_reden", [5]int{47, 30, 23, 10, 5}, 4},
	{"part_stellingen", "belangrijk_moeilijk", [5]int{2, 9, 23, 50, 33}, 2},
	{"part_stellingen", "onvoldoende_kennis", [5]int{6, 18, 38, 40, 12}, 5},
	{"part_stellingen", "ambtenaren_moeite", [5]int{5, 15, 38, 40, 14}, 7},
	{"part_stellingen", "inwoners_willen_niet", [5]int{10, 30, 44, 24, 8}, 3},
	{"part_stellingen", "bestuur_zelf_beslissen", [5]int{8, 22, 44, 28, 11}, 6},
	{"bnb_stellingen", "wil_buiten_binnen", [5]int{2, 5, 16, 55, 38}, 3},
	{"bnb_stellingen", "voldoende_kennis", [5]int{5, 22, 30, 45, 12}, 5},
	{"bnb_stellingen", "werkt_al_buiten_binnen", [5]int{8, 25, 20, 52, 10}, 4},
	{"bnb_stellingen", "ruimte_nieuwe_functies", [5]int{30, 40, 25, 12, 4}, 8},
}

var articleOpens = []articleOpen{
	{"kc_concreet", 84, []string{
		"Doorontwikkelen van de e-dienstverlening: meer producten digitaal aanvragen en WhatsApp als kanaal.",
		"De persoonlijke benadering verbeteren; we meten de klantervaring na elk contact.",
		"Sturen op feiten en cijfers: een dashboard met kanalen, wachttijden en klanttevredenheid.",
		"Het Klant Contact Centrum verder uitbouwen, zodat 80 % van de vragen in één keer wordt beantwoord.",
		"Investeren in onze medewerkers: training in klantgericht schrijven en gastvrijheid.",
		"Webcare en chat toevoegen aan de kanalen van het KCC.",
		"Klachten en complimenten centraal registreren en er maandelijks van leren.",
		"De kwaliteit van de informatie op de website verbeteren, met de toptaken voorop.",
		"Werken op afspraak aan de balie en de telefonische bereikbaarheid verbeteren.",
		"Een klantvisie opstellen en die vertalen naar servicenormen.",
		"WhatsApp inzetten voor meldingen openbare ruimte.",
		"Klantreizen in kaart brengen voor verhuizen en geboorteaangifte.",
	}},
	{"part_concreet", 71, []string{
		"Experimenteren met nieuwe democratische vormen, zoals een G1000 en loting.",
		"Een online platform waarop inwoners meepraten en meedenken over plannen in hun wijk.",
		"De invoering van de Omgevingswet: participatie bij initiatieven van inwoners.",
		"Een burgerpanel oprichten dat we een paar keer per jaar raadplegen.",
		"Beter weten wat er speelt door informatie van buiten naar binnen te halen.",
		"Een participatieladder per project vaststellen voordat het begint.",
		"Social media gebruiken om inwoners vroeg bij plannen te betrekken.",
		"Wijkbudgetten waarover inwoners zelf beslissen.",
		"Ambtenaren trainen in het begeleiden van bijeenkomsten met inwoners.",
	}},
	{"bnb_concreet", 66, []string{
		"Via online monitoring actiever luisteren naar en duiden wat er in de gemeente gebeurt.",
		"Een newsroom opzetten met communicatie en dienstverlening samen.",
		"Een team online dat webcare, website en social media samen doet.",
		"Signalen meer delen in de organisatie, met een dagelijkse tamtam.",
		"Meer omgevingsbewust werken met de Factor C-methode.",
		"De samenwerking tussen communicatie, dienstverlening en participatie verbeteren.",
		"Klantsignalen uit het KCC gebruiken bij het maken van beleid.",
		"Een omgevingsanalyse bij elk groot project.",
	}},
	{"uitdaging", 78, []string{
		"De basis op orde krijgen met te weinig mensen.",
		"De organisatie meekrijgen: van binnen naar buiten denken zit er diep in.",
		"Het bestuur laten zien wat goed klantcontact oplevert.",
		"Participatie echt vormgeven in plaats van er alleen over praten.",
		"De digitale dienstverlening bijhouden terwijl de budgetten krimpen.",
		"Samenwerken over de grenzen van afdelingen heen.",
		"De Omgevingswet op tijd en goed invoeren.",
		"Goede mensen vinden voor nieuwe functies zoals webcare en data-analyse.",
		"Een fusie met de buurgemeente en tegelijk de dienstverlening op peil houden.",
		"Inwoners bereiken die we nu nooit spreken.",
	}},
}

// articleOrder spreads answers over the respondents: respondent i is the k-th in line for
// question seed, a fixed permutation of 0..118 (119 = 7 × 17, so any step that is neither
// is a permutation), so that options are not all ticked by the same respondents.
func articleOrder(i, seed int) int {
	steps := []int{1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 18, 19, 20, 22, 23, 24}
	step := steps[seed%len(steps)]
	return (i*step + seed*11) % articleRespondents
}

// ArticleResponses builds the 119 responses of the article data set for municipalities
// spread over the survey's register.
func ArticleResponses(db *gorm.DB, s *Survey) ([]SeededResponse, error) {
	var ms []Municipality
	if err := db.Where("register = ?", s.Register).Order("code").Find(&ms).Error; err != nil {
		return nil, err
	}
	if len(ms) < articleRespondents {
		return nil, fmt.Errorf("register %s has %d municipalities, the article needs %d", s.Register, len(ms), articleRespondents)
	}
	departments := []struct {
		code, other string
		n           int
	}{{"communicatie", "", 89}, {"dienstverlening", "", 22}, {"participatie", "", 4}, {"anders", "", 4}}
	otherDepartments := []string{"Informatiebeheer", "Bestuursondersteuning", "Directie", "Publiekszaken"}
	out := make([]SeededResponse, articleRespondents)
	for i := range out {
		m := ms[i*len(ms)/articleRespondents]
		r := SeededResponse{Municipality: m.Code}
		r.Answers = append(r.Answers, Answer{Question: "gemeente", Option: m.Code, Text: m.Name})
		k := articleOrder(i, 0)
		for _, d := range departments {
			if k < d.n {
				a := Answer{Question: "afdeling", Option: d.code}
				if d.code == "anders" {
					a.Text = otherDepartments[k]
				}
				r.Answers = append(r.Answers, a)
				break
			}
			k -= d.n
		}
		switch k := articleOrder(i, 1); {
		case k < 74:
			r.Answers = append(r.Answers, Answer{Question: "overleg", Option: "ja"})
		case k < 114:
			r.Answers = append(r.Answers, Answer{Question: "overleg", Option: "nee"})
		}
		for qi, q := range articleMultis {
			for oi, o := range multiOptions(q.code) {
				if articleOrder(i, 2+qi*5+oi) >= q.counts[o] {
					continue
				}
				a := Answer{Question: q.code, Option: o}
				if o == "anders" {
					a.Text = q.others[articleOrder(i, 2+qi*5+oi)%len(q.others)]
				}
				r.Answers = append(r.Answers, a)
			}
		}
		for li, l := range articleLikerts {
			k := articleOrder(i, 20+li)
			for p, n := range l.counts {
				if k < n {
					r.Answers = append(r.Answers, Answer{Question: l.question, Item: l.statement, Option: scaleEens5[p]})
					k = -1
					break
				}
				k -= n
			}
			if k >= 0 && k < l.dontKnow {
				r.Answers = append(r.Answers, Answer{Question: l.question, Item: l.statement, Option: DontKnowCode})
			}
		}
		for oi, o := range articleOpens {
			if k := articleOrder(i, 40+oi); k < o.n {
				r.Answers = append(r.Answers, Answer{Question: o.code, Text: o.answers[k%len(o.answers)]})
			}
		}
		out[i] = r
	}
	return out, nil
}

// scaleEens5 is the reference survey's agreement scale, low to high.
var scaleEens5 = []string{"helemaal_oneens", "oneens", "neutraal", "eens", "helemaal_eens"}

// multiOptions are the option codes of the reference survey's multi questions, in order.
func multiOptions(code string) []string {
	switch code {
	case "kc_plannen":
		return []string{"basis_op_orde", "sturing", "data_proactief", "serviceniveau", "anders"}
	case "part_plannen":
		return []string{"weten_wat_speelt", "converseren", "experimenteren", "anders"}
	}
	return []string{"balans_zenden_interactie", "samenhang_newsroom", "online_luisteren", "anders"}
}
