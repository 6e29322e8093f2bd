// Command load plays concurrent respondents through whole questionnaires against a Peiling
// server on this machine, and reports throughput, latency per step and errors.
//
//	go run ./tools/load -prepare -db /tmp/load.db      # once: a 380-municipality register and 200 load surveys
//	peiling -db /tmp/load.db -addr 127.0.0.1:8090 &
//	go run ./tools/load -url http://127.0.0.1:8090 -c 50 -d 30s -pid $!
//
// With -compare it starts the servers itself and compares one instance on SQLite with two on
// PostgreSQL, one of them killed during the run (compare.go).
//
// It refuses any address that is not loopback: it is a measuring tool, not a weapon.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/signal"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"peiling/models"
)

// Load surveys: copies of the reference survey, each on a register as large as the real one
// (the municipality picker lists every name, so a larger register would make step 1 heavier
// than any real page), and enough of them for a long run.
const (
	loadRegister = "load"
	loadSurveys  = 200
	loadCodes    = 380
)

func main() {
	var (
		prepare   = flag.Bool("prepare", false, "create the load register and surveys in -db, then exit")
		dbPath    = flag.String("db", "", "database file for -prepare")
		base      = flag.String("url", "http://127.0.0.1:8080", "server to load (loopback only)")
		workers   = flag.Int("c", 50, "concurrent respondents")
		duration  = flag.Duration("d", 30*time.Second, "how long to run")
		pid       = flag.Int("pid", 0, "server process id, to report its CPU time and peak memory (VmHWM)")
		rounds    = flag.Int("step-rounds", 10, "with -pid: after the run, play this many questionnaires per respondent in lock step, one step at a time, to measure the server's CPU per step; 0 skips it")
		confirmed = flag.String("confirmed", "", "append survey,municipality,reference of every confirmation received to this file")
		first     = flag.Int("first", 0, "first municipality number to use (to continue after an earlier run on the same database)")
		ceiling   = flag.Duration("ceiling", 5*time.Second, "first measure the server's ceiling (GET /healthz from as many connections) this long; 0 skips it")
		cmp       = flag.Bool("compare", false, "run -bin on a new SQLite file (one instance), then on -postgres (two instances, one killed), and compare")
		bin       = flag.String("bin", "", "the peiling binary for -compare")
		pgURL     = flag.String("postgres", "", "a new, empty PostgreSQL database for -compare (postgres://…)")
	)
	flag.Parse()
	if *cmp {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		if err := compare(ctx, os.Stdout, *bin, *pgURL, *workers, *duration); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *prepare {
		if err := prepareDB(*dbPath); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		fmt.Printf("prepared %s: register %q with %d municipalities, surveys load-1..load-%d\n", *dbPath, loadRegister, loadCodes, loadSurveys)
		return
	}
	if err := checkLoopback(*base); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()

	r, err := newRun(*base, *confirmed, *first)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if *ceiling > 0 {
		if err := measureCeiling(ctx, os.Stdout, r.base, *workers, *ceiling); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
	}
	runCtx, cancel := context.WithTimeout(ctx, *duration)
	defer cancel()
	cpu, own := serverCPU(*pid), ownCPU()
	started := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.respondent(runCtx)
		}()
	}
	wg.Wait()
	r.cpu, r.ownCPU = serverCPU(*pid)-cpu, ownCPU()-own
	r.report(os.Stdout, time.Since(started), *workers, peakRSS(*pid))
	if *pid != 0 && *rounds > 0 && r.errorCount() == 0 {
		r.stepCPU(ctx, os.Stdout, *pid, *workers, *rounds)
	}
	if r.errorCount() > 0 {
		os.Exit(1)
	}
}

// ownCPU is the CPU time (user and system) this process has used so far.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clockTick is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on Linux).
const clockTick = 10 * time.Millisecond

// serverCPU is the CPU time (user and system) the server process has used so far, read from
// /proc/PID/stat; 0 without a pid.
func serverCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, in parentheses, may hold spaces; utime and stime are the 12th and
	// 13th fields after it (fields 14 and 15 of the line).
	rest := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(rest) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(rest[11], 10, 64)
	stime, _ := strconv.ParseInt(rest[12], 10, 64)
	return time.Duration(utime+stime) * clockTick
}

// stepCPU measures the server's CPU per step: workers respondents each play rounds
// questionnaires, all of them taking each step together, and the server's CPU time is read
// before and after every step, so each step's CPU is its own (the client waits, so the
// server does nothing else meanwhile).
func (r *run) stepCPU(ctx context.Context, w io.Writer, pid, workers, rounds int) {
	var order []string
	spent := map[string]time.Duration{}
	count := map[string]int{}
	for range rounds {
		ls := newLockstep(workers)
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
				me := ls.join()
				defer me.finish()
				n := r.next.Add(1)
				if (n-1)/loadCodes >= loadSurveys {
					return
				}
				survey, code := fmt.Sprintf("load-%d", (n-1)/loadCodes+1), fmt.Sprintf("%04d", (n-1)%loadCodes+1)
				if err := r.questionnaireWith(ctx, rng, r.base, survey, code, me.step); err != nil && ctx.Err() == nil {
					r.fail("step CPU: " + err.Error())
				}
			}()
		}
		for k := 0; k < questionnaireRequests; k++ {
			before := serverCPU(pid)
			step, n := ls.run(k)
			d := serverCPU(pid) - before
			if _, ok := spent[step]; !ok && step != "" {
				order = append(order, step)
			}
			spent[step] += d
			count[step] += n
		}
		wg.Wait()
	}
	fmt.Fprintf(w, "server CPU per step (%d questionnaires in lock step, %d at a time):\n", rounds*workers, workers)
	fmt.Fprintf(w, "%-14s %8s %12s\n", "step", "n", "µs/request")
	var total time.Duration
	for _, step := range order {
		per := spent[step] / time.Duration(max(count[step], 1))
		fmt.Fprintf(w, "%-14s %8d %12.0f\n", step, count[step], float64(per.Microseconds()))
	}
	for _, step := range order {
		total += spent[step]
	}
	fmt.Fprintf(w, "sum per questionnaire: %.2f ms (%d requests)\n", float64(total.Microseconds())/1000/float64(max(count[order[0]], 1)), questionnaireRequests)
}

// questionnaireRequests is the number of requests of one whole questionnaire.
const questionnaireRequests = 15

// lockstep lets a number of respondents take each request of a questionnaire together.
type lockstep struct {
	mu      sync.Mutex
	workers int
	open    []chan struct{}  // closed when request k may go
	done    []sync.WaitGroup // request k finished (or will never be sent) by every respondent
	names   []string
	sent    []int
}

func newLockstep(workers int) *lockstep {
	ls := &lockstep{workers: workers, open: make([]chan struct{}, questionnaireRequests),
		done: make([]sync.WaitGroup, questionnaireRequests), names: make([]string, questionnaireRequests), sent: make([]int, questionnaireRequests)}
	for k := range ls.open {
		ls.open[k] = make(chan struct{})
		ls.done[k].Add(workers)
	}
	return ls
}

// run lets request k go and waits until every respondent has had it; it returns the step's
// name and how many were sent.
func (ls *lockstep) run(k int) (string, int) {
	close(ls.open[k])
	ls.done[k].Wait()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	return ls.names[k], ls.sent[k]
}

// stepper is one respondent's place in the lock step.
type stepper struct {
	ls   *lockstep
	next int // the next request to send
}

func (ls *lockstep) join() *stepper { return &stepper{ls: ls} }

// step is called before each request: the previous one is done, and this one waits for its turn.
func (s *stepper) step(name string) {
	if s.next > 0 {
		s.ls.done[s.next-1].Done()
	}
	if s.next >= questionnaireRequests {
		panic("more requests than a questionnaire has")
	}
	<-s.ls.open[s.next]
	s.ls.mu.Lock()
	s.ls.names[s.next] = name
	s.ls.sent[s.next]++
	s.ls.mu.Unlock()
	s.next++
}

// finish marks every request this respondent will not send as done.
func (s *stepper) finish() {
	if s.next > 0 {
		s.ls.done[s.next-1].Done()
	}
	for k := s.next; k < questionnaireRequests; k++ {
		<-s.ls.open[k]
		s.ls.done[k].Done()
	}
}

// measureCeiling loads the cheapest route of the same server (GET /healthz: routing, the
// middleware, one trivial query) from the same number of connections, so the run's figures
// can be read next to what this machine manages at all.
func measureCeiling(ctx context.Context, w io.Writer, base string, workers int, d time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu      sync.Mutex
		lats    []time.Duration
		failed  atomic.Int64
		wg      sync.WaitGroup
		started = time.Now()
	)
	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/healthz", nil)
				t := time.Now()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			lats = append(lats, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	if failed.Load() > 0 {
		return fmt.Errorf("ceiling: %d failed requests to /healthz", failed.Load())
	}
	fmt.Fprintf(w, "ceiling (GET /healthz, %d connections, %.1f s): %.0f req/s, p50 %.1f ms, p99 %.1f ms\n",
		workers, time.Since(started).Seconds(), float64(len(lats))/time.Since(started).Seconds(), pct(lats, 50), pct(lats, 99))
	return nil
}

// checkLoopback refuses addresses that are not this machine.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("%q is not an http(s) URL", raw)
	}
	host := u.Hostname()
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("refusing %s: only loopback addresses (127.0.0.0/8, ::1, localhost) may be loaded", host)
	}
	return nil
}

func prepareDB(path string) error {
	if path == "" {
		return errors.New("-prepare needs -db")
	}
	db, err := models.Open(path, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer db.Close()
	if err := models.SeedDefaults(db.Write); err != nil {
		return err
	}
	list := make([]models.Municipality, 0, loadCodes)
	for i := 1; i <= loadCodes; i++ {
		list = append(list, models.Municipality{Code: fmt.Sprintf("%04d", i), Name: fmt.Sprintf("Testgemeente %04d", i),
			Province: "Utrecht", Population: 1000 + i*37, PopulationDate: "2018-01-01"})
	}
	if err := models.LoadRegister(db.Write, loadRegister, list); err != nil {
		return err
	}
	ref, err := models.ReferenceSurvey()
	if err != nil {
		return err
	}
	for i := 1; i <= loadSurveys; i++ {
		src := strings.Replace(string(ref), "slug: klantcontact-2018", fmt.Sprintf("slug: load-%d", i), 1)
		src = strings.Replace(src, `register: "2018"`, `register: "`+loadRegister+`"`, 1)
		def, err := models.ParseDefinition("load", []byte(src))
		if err != nil {
			return err
		}
		if _, err := models.ImportSurvey(db.Write, def, models.StatusOpen); err != nil {
			return err
		}
	}
	return nil
}

// run is one load run: the shared counters of all respondents.
type run struct {
	base      string
	def       *models.Definition
	next      atomic.Int64 // municipality sequence
	completed atomic.Int64
	requests  atomic.Int64

	mu        sync.Mutex
	latencies map[string][]time.Duration
	errors    map[string]int
	out       *os.File
	cpu       time.Duration // the server's CPU time during the run
	ownCPU    time.Duration // this tool's, in the same run: what the machine had left for the server
	// byServer, when set, keeps every confirmation and names the server in each error: the
	// -compare run checks the confirmations of each instance against the database.
	byServer      bool
	confirmations []confirmation
}

// confirmation is one questionnaire whose confirmation page arrived from server.
type confirmation struct {
	server, survey, code, reference string
	at                              time.Time
}

func newRun(base, confirmed string, first int) (*run, error) {
	ref, err := models.ReferenceSurvey()
	if err != nil {
		return nil, err
	}
	def, err := models.ParseDefinition("reference", ref)
	if err != nil {
		return nil, err
	}
	r := &run{base: strings.TrimSuffix(base, "/"), def: def, latencies: map[string][]time.Duration{}, errors: map[string]int{}}
	r.next.Store(int64(first))
	if confirmed != "" {
		if r.out, err = os.OpenFile(confirmed, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// reference is a confirmation's reference number.
var reference = regexp.MustCompile(`PL-[A-Z0-9]{4}-[A-Z0-9]{4}`)

// fieldValue returns the value of the hidden field name in page, or "" without one. A plain
// search, not a regular expression: the tool shares the machine with the server, and
// scanning every page (the picker's page is 60 KB) with a regexp cost it more CPU than the
// rest of a request.
func fieldValue(page []byte, name string) (string, bool) {
	marker := `name="` + name + `" value="`
	i := bytes.Index(page, []byte(marker))
	if i < 0 {
		return "", false
	}
	rest := page[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// pageBuffers hold the pages of a questionnaire, one after another: read into a buffer that
// has grown to a page's size once, not into a new one per request. The tool shares the
// machine with the server; its garbage was a sixth of its CPU.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// respondent fills in questionnaires one after another until ctx ends.
func (r *run) respondent(ctx context.Context) {
	r.respondentOn(ctx, func() string { return r.base })
}

// respondentOn fills in questionnaires one after another until ctx ends, each on the server
// that server names when it begins (as a load balancer picks one per new visitor).
func (r *run) respondentOn(ctx context.Context, server func() string) {
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	for ctx.Err() == nil {
		n := r.next.Add(1)
		survey := fmt.Sprintf("load-%d", (n-1)/loadCodes+1)
		code := fmt.Sprintf("%04d", (n-1)%loadCodes+1)
		if (n-1)/loadCodes >= loadSurveys {
			return // every municipality of every load survey has answered
		}
		base := server()
		err := r.questionnaire(ctx, rng, base, survey, code)
		if err != nil && ctx.Err() == nil {
			kind := err.Error()
			if r.byServer {
				kind += " on " + base
			}
			r.fail(kind)
		}
	}
}

type stepError struct{ step, kind string }

func (e *stepError) Error() string { return e.step + ": " + e.kind }

// questionnaire plays one respondent: start page, Start, every section, check, submit.
func (r *run) questionnaire(ctx context.Context, rng *rand.Rand, server, survey, code string) error {
	return r.questionnaireWith(ctx, rng, server, survey, code, nil)
}

// questionnaireWith plays one respondent, calling before (when set) before each request
// with the request's step.
func (r *run) questionnaireWith(ctx context.Context, rng *rand.Rand, server, survey, code string, before func(step string)) error {
	ctx = context.WithValue(ctx, beforeKey{}, before)
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer pageBuffers.Put(buf)
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	base := server + "/s/" + survey
	page, err := r.get(ctx, client, "start page", base, buf)
	if err != nil {
		return err
	}
	next, err := r.post(ctx, client, "start", base+"/start", url.Values{"_csrf": {csrf(page)}}, buf)
	if err != nil {
		return err
	}
	for si := range r.def.Sections {
		page, err = r.get(ctx, client, "section page", server+next, buf)
		if err != nil {
			return err
		}
		form := r.answers(rng, si, "Testgemeente "+code)
		form.Set("_csrf", csrf(page))
		form.Set("actie", "volgende")
		if next, err = r.post(ctx, client, "section save", server+next, form, buf); err != nil {
			return err
		}
	}
	page, err = r.get(ctx, client, "check page", server+next, buf)
	if err != nil {
		return err
	}
	id, ok := fieldValue(page, "inzending")
	if !ok {
		return &stepError{"check page", "no submission id"}
	}
	if next, err = r.post(ctx, client, "submit", base+"/verzenden", url.Values{"_csrf": {csrf(page)}, "inzending": {id}}, buf); err != nil {
		return err
	}
	page, err = r.get(ctx, client, "confirmation", server+next, buf)
	if err != nil {
		return err
	}
	ref := string(reference.Find(page))
	if ref == "" {
		return &stepError{"confirmation", "no reference"}
	}
	r.completed.Add(1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out != nil {
		fmt.Fprintf(r.out, "%s,%s,%s\n", survey, code, ref)
	}
	if r.byServer {
		r.confirmations = append(r.confirmations, confirmation{server, survey, code, ref, time.Now()})
	}
	return nil
}

func csrf(page []byte) string {
	v, _ := fieldValue(page, "_csrf")
	return v
}

// answers makes a valid, random answer to section si.
func (r *run) answers(rng *rand.Rand, si int, municipality string) url.Values {
	form := url.Values{}
	for _, q := range r.def.Sections[si].Questions {
		switch q.Kind {
		case models.KindMunicipality:
			form.Set(q.Code, municipality)
		case models.KindSingle:
			o := q.Choices()[rng.IntN(len(q.Choices()))]
			form.Set(q.Code, o.Code)
			if o.Other {
				form.Set(models.OtherField(&q), "eigen antwoord")
			}
		case models.KindMulti:
			for _, o := range q.Options {
				if rng.IntN(2) == 0 {
					form.Add(q.Code, o.Code)
					if o.Other {
						form.Set(models.OtherField(&q), "iets anders")
					}
				}
			}
		case models.KindLikert:
			for _, s := range q.Statements {
				form.Set(models.StatementField(&q, s), q.ScaleOptions[rng.IntN(len(q.ScaleOptions))].Code)
			}
		case models.KindText:
			form.Set(q.Code, "Wij gaan aan de slag met klantcontact en participatie in de wijk.")
		}
	}
	return form
}

// get returns the page at u, in buf until the next request.
func (r *run) get(ctx context.Context, c *http.Client, step, u string, buf *bytes.Buffer) ([]byte, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if _, err := r.do(c, step, req, http.StatusOK, buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// post sends a form and returns where the 303 leads.
func (r *run) post(ctx context.Context, c *http.Client, step, u string, form url.Values, buf *bytes.Buffer) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(c, step, req, http.StatusSeeOther, buf)
}

// beforeKey carries questionnaireWith's before func to do.
type beforeKey struct{}

// do sends req, reads the body into buf and returns the redirect's Location when want is
// 303.
func (r *run) do(c *http.Client, step string, req *http.Request, want int, buf *bytes.Buffer) (string, error) {
	if before, _ := req.Context().Value(beforeKey{}).(func(string)); before != nil {
		before(step)
	}
	t := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		if req.Context().Err() != nil {
			return "", err
		}
		return "", &stepError{step, "network: " + trimErr(err)}
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	d := time.Since(t)
	r.requests.Add(1)
	if err != nil {
		return "", &stepError{step, "read: " + trimErr(err)}
	}
	if resp.StatusCode != want {
		return "", &stepError{step, "HTTP " + strconv.Itoa(resp.StatusCode)}
	}
	r.mu.Lock()
	r.latencies[step] = append(r.latencies[step], d)
	r.mu.Unlock()
	if want == http.StatusSeeOther {
		return resp.Header.Get("Location"), nil
	}
	return "", nil
}

func trimErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func (r *run) fail(kind string) {
	r.mu.Lock()
	r.errors[kind]++
	r.mu.Unlock()
}

func (r *run) errorCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, c := range r.errors {
		n += c
	}
	return n
}

// peakRSS reads the server's peak resident memory since it started (VmHWM).
func peakRSS(pid int) string {
	if pid == 0 {
		return "not measured (pass -pid)"
	}
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "unreadable: " + err.Error()
	}
	for _, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			kb, _ := strconv.Atoi(strings.Fields(line)[1])
			return fmt.Sprintf("%.1f MB", float64(kb)/1024)
		}
	}
	return "unknown"
}

func (r *run) report(w io.Writer, elapsed time.Duration, workers int, rss string) {
	secs := elapsed.Seconds()
	fmt.Fprintf(w, "load: %d concurrent respondents for %.1f s against %s\n", workers, secs, r.base)
	fmt.Fprintf(w, "completed questionnaires: %d (%.1f/s)\n", r.completed.Load(), float64(r.completed.Load())/secs)
	fmt.Fprintf(w, "requests: %d (%.0f/s)\n", r.requests.Load(), float64(r.requests.Load())/secs)
	fmt.Fprintf(w, "server peak RSS: %s\n", rss)
	if r.cpu > 0 {
		fmt.Fprintf(w, "server CPU: %.1f s (%.2f cores): %.2f ms per completed questionnaire, %.0f µs per request\n",
			r.cpu.Seconds(), r.cpu.Seconds()/secs, float64(r.cpu.Microseconds())/1000/float64(max(r.completed.Load(), 1)),
			float64(r.cpu.Microseconds())/float64(max(r.requests.Load(), 1)))
	}
	fmt.Fprintf(w, "load tool CPU: %.1f s (%.2f cores): %.2f ms per completed questionnaire\n",
		r.ownCPU.Seconds(), r.ownCPU.Seconds()/secs, float64(r.ownCPU.Microseconds())/1000/float64(max(r.completed.Load(), 1)))
	fmt.Fprintf(w, "%-14s %8s %9s %9s %9s\n", "step", "n", "p50 ms", "p95 ms", "p99 ms")
	steps := []string{"start page", "start", "section page", "section save", "check page", "submit", "confirmation"}
	var all []time.Duration
	for _, s := range steps {
		ds := r.latencies[s]
		all = append(all, ds...)
		fmt.Fprintf(w, "%-14s %8d %9.1f %9.1f %9.1f\n", s, len(ds), pct(ds, 50), pct(ds, 95), pct(ds, 99))
	}
	fmt.Fprintf(w, "%-14s %8d %9.1f %9.1f %9.1f\n", "all", len(all), pct(all, 50), pct(all, 95), pct(all, 99))
	if len(r.errors) == 0 {
		fmt.Fprintln(w, "errors: 0")
		return
	}
	fmt.Fprintln(w, "errors:")
	kinds := make([]string, 0, len(r.errors))
	for k := range r.errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  %6d  %s\n", r.errors[k], k)
	}
}

func pct(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(float64(len(s)-1) * p / 100)
	return float64(s[i].Microseconds()) / 1000
}
