// Command peiling serves questionnaires for research among Dutch municipalities.
package main

import (
	"context"
	"crypto/sha512"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
	// Closing times are entered and shown in Europe/Amsterdam time. A minimal container
	// (distroless, scratch) has no /usr/share/zoneinfo; without the embedded database
	// time.LoadLocation fails and every time would be an hour off in summer.
	_ "time/tzdata"

	"github.com/labstack/echo/v5"

	"peiling/handlers"
	"peiling/mail"
	"peiling/models"
)

//go:embed templates static
var files embed.FS

// Config is everything the process takes from flags and the environment.
type Config struct {
	Addr       string
	DB         string
	BaseURL    string
	SessionKey string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client.
	TrustedProxies string
	// AdminEmail and AdminPassword, when set, make sure this researcher account exists with
	// this password at every start. Environment only: a flag would show in the process list.
	AdminEmail    string
	AdminPassword string
	// SMTP sends invitations and reminders; its password comes from the URL or
	// PEILING_SMTP_PASSWORD, never from a flag.
	SMTP mail.Config
	// SiteTexts is a folder whose toegankelijkheid.txt, privacy.txt and contact.txt replace
	// the default texts of the pages the footer links to.
	SiteTexts string
}

// Streams are the process's standard input and output; tests pass pipes and buffers.
type Streams struct {
	In  io.Reader
	Out io.Writer
}

// closerInterval is how often serve looks for surveys whose closing time has passed.
// Respondents are refused from the closing time on regardless (models.Survey.Accepting).
const closerInterval = 30 * time.Second

const usage = `peiling: questionnaires for research among Dutch municipalities

usage:
  peiling [flags] [serve]              serve the web app (default)
  peiling [flags] import [-open] FILE  load a survey definition (docs/survey-format.md)
  peiling [flags] register -name KEY FILE
                                       load a municipality register from CSV
                                       (columns code,name,province,population,population_date)
  peiling [flags] backup FILE          write a consistent copy of the database, also while serving
                                       (PostgreSQL: runs pg_dump -Fc, which must be installed)
  peiling copy-db -from DB -to DB      copy a whole installation into a new, empty database and
                                       verify it, e.g. -from peiling.db -to postgres://…
  peiling [flags] demo                 fill the reference survey with the article's 119 responses
                                       and close it, to see the results pages (new database only)
  peiling [flags] export SLUG          write a survey's current definition as a definition file
  peiling [flags] purge [-at TIME] [SLUG]
                                       delete personal data whose retention has passed
                                       (all closed surveys, or SLUG); serve does this hourly
  peiling [flags] purge -now SLUG      delete all personal data of closed survey SLUG now
  peiling [flags] user add EMAIL       create a researcher account
  peiling [flags] user passwd EMAIL    set a researcher's password
  peiling [flags] user remove EMAIL    remove a researcher's account
                                       (add and passwd read the password from the terminal without
                                       echo, or the first line of standard input)

environment only:
  PEILING_ADMIN_EMAIL, PEILING_ADMIN_PASSWORD
                                       create this researcher account at start, or set its
                                       password; without them and without any account, serve
                                       prints a one-time setup link

flags (each with an environment variable as default):
`

func main() {
	cfg := Config{
		Addr:       envOr("PEILING_ADDR", "localhost:8080"),
		DB:         envOr("PEILING_DB", "peiling.db"),
		BaseURL:    os.Getenv("PEILING_BASE_URL"),
		SessionKey: os.Getenv("PEILING_SESSION_KEY"),

		TrustedProxies: os.Getenv("PEILING_TRUSTED_PROXY"),

		AdminEmail:    os.Getenv("PEILING_ADMIN_EMAIL"),
		AdminPassword: os.Getenv("PEILING_ADMIN_PASSWORD"),
	}
	flag.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (env PEILING_ADDR)")
	flag.StringVar(&cfg.DB, "db", cfg.DB, "SQLite file, created if missing, or postgres://user@host/db URL (env PEILING_DB)")
	flag.StringVar(&cfg.SiteTexts, "site-texts", os.Getenv("PEILING_SITE_TEXTS"), "folder with toegankelijkheid.txt, privacy.txt and contact.txt for this installation's footer pages (env PEILING_SITE_TEXTS)")
	flag.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public address for links, e.g. https://peiling.example.nl (env PEILING_BASE_URL)")
	flag.StringVar(&cfg.TrustedProxies, "trusted-proxy", cfg.TrustedProxies, "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed, e.g. 10.0.0.5,fd00::/8; others' are ignored (env PEILING_TRUSTED_PROXY)")
	smtpURL := flag.String("smtp-url", os.Getenv("PEILING_SMTP_URL"), "mail server for invitations: smtp://user:password@host:587?from=peiling@example.nl&starttls=1 (env PEILING_SMTP_URL)")
	smtp := mail.Config{Host: os.Getenv("PEILING_SMTP_HOST"), User: os.Getenv("PEILING_SMTP_USER"), Password: os.Getenv("PEILING_SMTP_PASSWORD"), From: os.Getenv("PEILING_SMTP_FROM")}
	flag.StringVar(&smtp.Host, "smtp-host", smtp.Host, "mail server host, instead of -smtp-url (env PEILING_SMTP_HOST; password in PEILING_SMTP_PASSWORD)")
	flag.IntVar(&smtp.Port, "smtp-port", 587, "mail server port")
	flag.StringVar(&smtp.User, "smtp-user", smtp.User, "mail server user (env PEILING_SMTP_USER)")
	flag.StringVar(&smtp.From, "smtp-from", smtp.From, "sender address of invitations (env PEILING_SMTP_FROM)")
	flag.BoolVar(&smtp.StartTLS, "smtp-starttls", os.Getenv("PEILING_SMTP_STARTTLS") == "1", "use STARTTLS (env PEILING_SMTP_STARTTLS=1)")
	flag.Usage = func() {
		fmt.Fprint(flag.CommandLine.Output(), usage)
		flag.PrintDefaults()
	}
	flag.Parse()
	cfg.BaseURL = strings.TrimSuffix(cfg.BaseURL, "/")
	var err error
	if cfg.SMTP, err = mail.ParseURL(*smtpURL); err != nil {
		fmt.Fprintln(os.Stderr, "peiling:", err)
		os.Exit(2)
	}
	if *smtpURL == "" {
		cfg.SMTP = smtp
	}

	tuneGC()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, flag.Args(), log); err != nil {
		fmt.Fprintln(os.Stderr, "peiling:", err)
		os.Exit(1)
	}
}

// tuneGC lets the heap grow to three times what is live before a collection (GOGC=200)
// instead of twice, with a soft limit of 128 MiB: under 50 respondents the server then spends
// about 11 % less CPU per questionnaire and peaks at 77 MB instead of 63 MB
// (docs/performance.md, "Speed (issue 14)"), within the 100 MB it is meant to need; a big
// export or results page makes the collector work harder near the limit rather than let the
// heap triple. GOGC and GOMEMLIMIT in the environment still decide, as for any Go program.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

// run carries out one command on the process's standard input and output.
func run(ctx context.Context, cfg Config, args []string, log *slog.Logger) error {
	return runWith(ctx, cfg, args, Streams{In: os.Stdin, Out: os.Stdout}, log)
}

// runWith carries out one command on std.
func runWith(ctx context.Context, cfg Config, args []string, std Streams, log *slog.Logger) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, cfg, std.Out, log)
	case "import":
		return importSurvey(cfg, args, std.Out, log)
	case "register":
		return loadRegister(cfg, args, std.Out, log)
	case "backup":
		return backup(ctx, cfg, args, std.Out, log)
	case "demo":
		return demo(cfg, std.Out, log)
	case "copy-db":
		return copyDB(ctx, args, std.Out, log)
	case "export":
		return exportSurvey(cfg, args, std.Out, log)
	case "user":
		return userCommand(cfg, args, std, log)
	case "purge":
		return purgeCommand(cfg, args, std.Out, log)
	}
	return fmt.Errorf("unknown command %q (try -h)", cmd)
}

func serve(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) error {
	started := time.Now()
	proxies, err := handlers.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Error("close database", "err", err)
		}
		log.Info("database closed", "path", models.Redacted(cfg.DB))
	}()
	if err := models.SeedDefaults(db.Write); err != nil {
		return fmt.Errorf("load defaults: %w", err)
	}
	key, err := sessionKey(cfg, db)
	if err != nil {
		return err
	}
	setupPath, err := bootstrapResearcher(db, cfg, log)
	if err != nil {
		return err
	}
	db.TallyInBackground(log)            // the submitted responses queued for the tallies
	closeDueSurveys(db, time.Now(), log) // closing times that passed while the process was down
	purgeDue(db, time.Now(), log)        // retention that ran out while the process was down
	ctx, cancel := context.WithCancel(ctx)
	closerDone := make(chan struct{})
	go func() {
		defer close(closerDone)
		runCloser(ctx, db, closerInterval, log)
	}()
	defer func() { // before the database closes
		cancel()
		<-closerDone
	}()
	templates, _ := fs.Sub(files, "templates")
	static, _ := fs.Sub(files, "static")
	texts, err := readSiteTexts(cfg.SiteTexts)
	if err != nil {
		return err
	}
	e, h, err := handlers.New(db, handlers.Config{BaseURL: cfg.BaseURL, SessionKey: key, Templates: templates, Static: static, Log: log, Mail: cfg.SMTP,
		TrustedProxies: proxies, SiteTexts: texts})
	if err != nil {
		return err
	}
	if err := models.ReleaseLeasesOfAnEarlierProcess(db.Write); err != nil {
		return err
	}
	mailDone := make(chan struct{})
	go func() {
		defer close(mailDone)
		h.SendQueuedMail(ctx) // resumes runs an earlier process left unfinished
	}()
	defer func() { // after the server stopped, before the database closes
		cancel()
		<-mailDone
	}()
	sc := echo.StartConfig{
		Address:         cfg.Addr,
		HideBanner:      true,
		HidePort:        true,
		GracefulTimeout: 20 * time.Second,
		ListenerAddrFunc: func(addr net.Addr) {
			url := "http://" + addr.String()
			if cfg.BaseURL != "" {
				url = cfg.BaseURL
			}
			fmt.Fprintf(out, "peiling: serving on %s (database %s)\n", url, models.Redacted(cfg.DB))
			if setupPath != "" {
				// The link is the key to the first account, so it goes to the console, not
				// into the structured log that may be shipped elsewhere.
				fmt.Fprintf(out, "peiling: no researcher account yet; create the first one at %s%s (the link works once)\n", url, setupPath)
				log.Warn("no researcher account yet: open the setup link printed on standard output")
			}
			log.Info("listening", "addr", addr.String(), "startup_ms", time.Since(started).Milliseconds())
		},
		BeforeServeFunc: func(s *http.Server) error {
			s.ReadHeaderTimeout = 10 * time.Second
			s.ReadTimeout = time.Minute
			s.WriteTimeout = 2 * time.Minute
			s.IdleTimeout = 2 * time.Minute
			return nil
		},
	}
	if err := sc.Start(ctx, e); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped: in-flight requests finished")
	return nil
}

// sessionKey derives the 64-byte cookie key from PEILING_SESSION_KEY, or keeps one in the database.
func sessionKey(cfg Config, db *models.DB) ([]byte, error) {
	if cfg.SessionKey == "" {
		return models.SessionKey(db.Write)
	}
	if len(cfg.SessionKey) < 32 {
		return nil, errors.New("PEILING_SESSION_KEY must be at least 32 characters")
	}
	sum := sha512.Sum512([]byte(cfg.SessionKey))
	return sum[:], nil
}

func importSurvey(cfg Config, args []string, out io.Writer, log *slog.Logger) error {
	fl := flag.NewFlagSet("import", flag.ContinueOnError)
	open := fl.Bool("open", false, "open the survey for respondents at once")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 {
		return errors.New("usage: peiling import [-open] FILE")
	}
	file := fl.Arg(0)
	data, err := readLimited(file, models.MaxDefinitionBytes)
	if err != nil {
		return err
	}
	def, err := models.ParseDefinition(file, data)
	if err != nil {
		return err
	}
	db, err := openWithDefaults(cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	status := models.StatusDraft
	if *open {
		status = models.StatusOpen
	}
	s, err := models.ImportSurvey(db.Write, def, status)
	if err != nil {
		var de *models.DefinitionError
		if errors.As(err, &de) {
			de.File = file
		}
		return err
	}
	fmt.Fprintf(out, "imported %q as /s/%s (%s, version %d)\n", s.Title, s.Slug, s.Status, s.Version)
	return nil
}

// exportSurvey writes the current version of a survey's definition as a definition file.
func exportSurvey(cfg Config, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) != 1 {
		return errors.New("usage: peiling export SLUG > FILE.yaml")
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := models.FindSurvey(db.Read, args[0])
	if err != nil {
		return fmt.Errorf("survey %q: %w", args[0], err)
	}
	def, err := s.Def()
	if err != nil {
		return err
	}
	body, err := models.MarshalDefinition(def)
	if err != nil {
		return err
	}
	_, err = out.Write(body)
	return err
}

// openWithDefaults opens the database with the embedded registers and reference survey in it.
func openWithDefaults(cfg Config, log *slog.Logger) (*models.DB, error) {
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return nil, err
	}
	if err := models.SeedDefaults(db.Write); err != nil {
		db.Close()
		return nil, fmt.Errorf("load defaults: %w", err)
	}
	return db, nil
}

// demo gives a researcher something to look at: the reference survey with the responses the
// article reports, closed, so the results, exports and API answer at once.
func demo(cfg Config, out io.Writer, log *slog.Logger) error {
	db, err := openWithDefaults(cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	s, err := models.FindSurvey(db.Read, models.ReferenceSlug)
	if err != nil {
		return err
	}
	submitted, drafts, err := models.CountResponses(db.Read, s.ID)
	if err != nil {
		return err
	}
	if submitted+drafts > 0 || s.Status != models.StatusOpen {
		return fmt.Errorf("demo: %s already has %d responses or is %s; use a new database (-db demo.db)", s.Slug, submitted+drafts, s.Status)
	}
	article, err := models.ArticleResponses(db.Read, s)
	if err != nil {
		return err
	}
	if err := models.InsertSubmitted(db.Write, s, article); err != nil {
		return err
	}
	if err := models.CloseSurvey(db.Write, s.ID, models.System, time.Now().UTC()); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo: %d responses in /s/%s, survey closed; log in at /admin to read the results\n", len(article), s.Slug)
	return nil
}

func loadRegister(cfg Config, args []string, out io.Writer, log *slog.Logger) error {
	fl := flag.NewFlagSet("register", flag.ContinueOnError)
	name := fl.String("name", "", "register key, e.g. 2019; surveys name it in their register field")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 1 || *name == "" {
		return errors.New("usage: peiling register -name KEY FILE.csv")
	}
	f, err := os.Open(fl.Arg(0))
	if err != nil {
		return err
	}
	defer f.Close()
	list, err := models.ReadRegisterCSV(fl.Arg(0), io.LimitReader(f, 10<<20))
	if err != nil {
		return err
	}
	db, err := models.Open(cfg.DB, log)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := models.LoadRegister(db.Write, *name, list); err != nil {
		return err
	}
	fmt.Fprintf(out, "loaded register %s: %d municipalities\n", *name, len(list))
	return nil
}

// copyDB copies an installation from one database into a new, empty one, SQLite or
// PostgreSQL either way, and verifies the copy before it commits (models.CopyDB).
func copyDB(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	fl := flag.NewFlagSet("copy-db", flag.ContinueOnError)
	from := fl.String("from", "", "the installation's database: a SQLite file or a postgres:// URL")
	to := fl.String("to", "", "a new, empty database: a postgres:// URL (createdb first) or a SQLite file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() != 0 || *from == "" || *to == "" {
		return errors.New("usage: peiling copy-db -from peiling.db -to postgres://user@host/peiling")
	}
	if *from == *to {
		return errors.New("copy-db: -from and -to are the same database")
	}
	if !models.IsPostgres(*from) {
		// Open would create a missing file and copy an empty installation.
		if _, err := os.Stat(*from); err != nil {
			return fmt.Errorf("copy-db: %w", err)
		}
	}
	src, err := models.Open(*from, log)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := models.Open(*to, log)
	if err != nil {
		return err
	}
	defer dst.Close()
	started := time.Now()
	fmt.Fprintf(out, "copying %s to %s in one transaction\n", models.Redacted(*from), models.Redacted(*to))
	rep, err := models.CopyDB(ctx, src, dst, func(c models.TableCount) {
		if c.Copying {
			fmt.Fprintf(out, "  %-16s %9d rows so far\n", c.Table, c.Rows)
			return
		}
		fmt.Fprintf(out, "  %-16s %9d rows\n", c.Table, c.Rows)
	})
	if err != nil {
		return fmt.Errorf("copy-db: %w (the target is left as it was)", err)
	}
	var rows int64
	for _, c := range rep.Tables {
		rows += c.Rows
	}
	fmt.Fprintf(out, "verified: the row counts of all %d tables are equal (%d rows), and the aggregates of %d closed surveys recomputed on the target equal the source's\n",
		len(rep.Tables), rows, rep.ClosedSurveys)
	fmt.Fprintf(out, "copied in %s; serve the copy with: peiling -db %s\n", time.Since(started).Round(time.Millisecond), shellQuote(models.Redacted(*to)))
	return nil
}

// shellQuote quotes s for a POSIX shell when it holds characters the shell would read.
func shellQuote(s string) string {
	if strings.ContainsAny(s, " ?&*;'\"$") {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	return s
}

// readLimited reads a file, refusing one larger than limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s: het bestand is groter dan %d kB", path, limit>>10)
	}
	return data, nil
}

// readSiteTexts reads the installation's own footer page texts from dir; a missing file keeps
// the default text of that page.
func readSiteTexts(dir string) (map[string]string, error) {
	texts := map[string]string{}
	if dir == "" {
		return texts, nil
	}
	for _, page := range handlers.SiteTextNames() {
		data, err := os.ReadFile(filepath.Join(dir, page+".txt"))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("site texts: %w", err)
		}
		texts[page] = string(data)
	}
	return texts, nil
}
