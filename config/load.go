package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/internal/httputil"
	"github.com/slad-project/slad/sla"
)

// Defaults of settings the configuration may leave out.
const (
	// DefaultEvaluationSchedule is global.evaluation_schedule's default.
	DefaultEvaluationSchedule = "@every 30s"
	// DefaultExternalURL is global.external_url's default.
	DefaultExternalURL = "http://localhost:9780"
	// DefaultMaxBodyBytes is global.max_body_size's default: 8 MiB.
	DefaultMaxBodyBytes = 8 << 20
	// DefaultBodiesInFlight is how many bodies of global.max_body_size fit
	// in global.max_body_bytes_in_flight's default (32 MiB with the default
	// body size).
	DefaultBodiesInFlight = 4
	// DefaultReceiverTimeout bounds one delivery attempt to a receiver.
	DefaultReceiverTimeout = 10 * time.Second
	// DefaultGiveUpAfter is how long an undeliverable alert is retried. It
	// is the lifecycle's StaleAge by definition: a breach older than that is
	// no longer news, so an alert still undelivered by then is given up
	// rather than sent late.
	DefaultGiveUpAfter = lifecycle.StaleAge
)

const (
	// maxFileSize bounds a configuration file and a secret file.
	maxFileSize   = 16 << 20
	maxSecretSize = 64 << 10
	maxBodyLimit  = 1 << 30
)

// Kinds of names the configuration defines and refers to.
const (
	kindCalendar   = "calendar"
	kindDepartment = "department"
	kindReceiver   = "receiver"
)

// loader holds the state of one load: where the file is, what has been
// defined so far, and every problem found.
type loader struct {
	file string // as given to Load, for messages
	dir  string // relative secret paths are resolved against it

	errs, warns []Problem
	visits      int
	exhausted   bool // the visit budget ran out; stop reporting
	mergeDepth  int
	anySLA      bool // slas lists at least one entry, valid or not

	// defined holds the names of each kind given in the file, valid or
	// not, so that a broken calendar does not also make every SLA that
	// names it "unknown"; used holds those referred to.
	defined map[string]map[string]*yaml.Node
	used    map[string]map[string]bool
	zones   map[string]*time.Location

	retentionAt *yaml.Node // global.retention's value, if given (retention.go)

	// urgentNamed are the priorities urgent mappings name, checked
	// against the SLAs' targets once those are read (urgent_priorities.go).
	urgentNamed []urgentNamed
}

// Load reads and validates the configuration file at path. On success the
// Config holds a built [sla.Policy] and any warnings; otherwise the error is
// an [*Errors] with every problem found, each at its file:line:col, or, when
// the file cannot be read at all, a [*FileError] wrapping the cause.
func Load(path string) (*Config, error) {
	data, err := readFile(path, maxFileSize)
	if err != nil {
		return nil, &FileError{Path: path, Err: err}
	}
	return LoadBytes(path, data, filepath.Dir(path))
}

// FileError is a configuration file that cannot be read at all: missing,
// a directory, unreadable, too large. Like [*Errors], it is the admin's
// to fix, not a fault of slad's.
type FileError struct {
	Path string
	Err  error
}

func (e *FileError) Error() string { return "load config: " + e.Err.Error() }

// Unwrap returns the cause (fs.ErrNotExist, fs.ErrPermission, …).
func (e *FileError) Unwrap() error { return e.Err }

// LoadBytes validates a configuration held in memory. name stands for the
// file in messages; dir is the directory relative secret paths (url_file,
// secret_file, token_file) are resolved against.
func LoadBytes(name string, data []byte, dir string) (*Config, error) {
	l := &loader{
		file:    name,
		dir:     dir,
		defined: map[string]map[string]*yaml.Node{kindCalendar: {}, kindDepartment: {}, kindReceiver: {}},
		used:    map[string]map[string]bool{kindCalendar: {}, kindDepartment: {}, kindReceiver: {}},
		zones:   map[string]*time.Location{},
	}
	cfg := l.load(data)
	sortProblems(l.errs)
	sortProblems(l.warns)
	l.errs, l.warns = dedupe(l.errs), dedupe(l.warns)
	if len(l.errs) > 0 {
		return nil, &Errors{Problems: l.errs, Warnings: l.warns}
	}
	cfg.Warnings = l.warns
	cfg.Policy.Meaning = PolicyMeaning(cfg.Policy)
	cfg.Fingerprint = cfg.Policy.Meaning.Fingerprint
	return cfg, nil
}

// dedupe drops repeated problems: the same node reached through several
// aliases reports once.
func dedupe(ps []Problem) []Problem {
	seen := map[Problem]bool{}
	return slices.DeleteFunc(ps, func(p Problem) bool {
		if seen[p] {
			return true
		}
		seen[p] = true
		return false
	})
}

// readFile reads a regular file of at most limit bytes. Other files (a
// directory, a FIFO that would block, /dev/zero) are refused before they
// are opened.
func readFile(path string, limit int64) ([]byte, error) {
	// When Stat fails, Open says why in the words people know ("open …").
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }() // read only
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

var topKeys = []string{"global", "calendars", "departments", "receivers", "tokens", "slas", "customer_reasons"}

func (l *loader) load(data []byte) *Config {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			l.errorf(nil, "the file is empty; a configuration needs at least departments and slas")
		} else {
			l.syntaxError(err, data)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errorf(&extra, "a second YAML document starts here (after ---); a configuration is one document")
	} else if !errors.Is(err, io.EOF) {
		l.syntaxError(err, data)
	}
	if len(doc.Content) == 0 || isNull(doc.Content[0]) {
		l.errorf(nil, "the file is empty; a configuration needs at least departments and slas")
		return nil
	}
	root := doc.Content[0]
	top, ok := l.fields(root, "the configuration", topKeys)
	if !ok {
		return nil
	}

	cfg := &Config{
		File: l.file,
		Global: Global{
			Timezone:             time.UTC,
			EvaluationSchedule:   DefaultEvaluationSchedule,
			ExternalURL:          DefaultExternalURL,
			MaxBodyBytes:         DefaultMaxBodyBytes,
			MaxBodyBytesInFlight: DefaultBodiesInFlight * DefaultMaxBodyBytes,
			ReadAccess:           ReadOpen,
			INPSWindow:           sla.Window{Kind: sla.Quarter},
			Retention:            DefaultRetention,
		},
	}
	// Blocks are read in the order they depend on each other, whatever
	// their order in the file.
	if e, ok := top["global"]; ok {
		l.global(e, &cfg.Global)
	}
	policy := &sla.Policy{}
	policy.Calendars = l.calendars(top["calendars"], cfg.Global.Timezone)
	cfg.Receivers = l.receivers(top["receivers"])
	policy.Departments = l.departments(top["departments"])
	l.notifyHours(top, policy, cfg.Receivers)               // notify_hours.go
	cfg.Digests = l.digests(top, cfg.Global, cfg.Receivers) // digest.go
	cfg.Tokens = l.tokens(top["tokens"])
	reasons := l.customerReasons(top, policy)
	slaErrs := len(l.errs)
	policy.SLAs = l.slas(top["slas"], policy)
	if len(l.errs) == slaErrs {
		// Every SLA was read: the priorities they target are all there is.
		l.checkUrgentPriorities(policy.SLAs) // urgent_priorities.go
	}
	l.checkParties(policy, reasons, top)
	cfg.Policy = policy
	l.checkRetention(cfg)

	if len(l.defined[kindDepartment]) == 0 {
		l.missingBlock(root, top, "departments", "the configuration defines no departments; add the provider and customers of each SLA under departments:")
	}
	if !l.anySLA {
		l.missingBlock(root, top, "slas", "the configuration defines no SLAs; add at least one under slas:")
	}
	for _, name := range slices.Sorted(maps.Keys(l.defined[kindReceiver])) {
		if !l.used[kindReceiver][name] {
			l.warnf(l.defined[kindReceiver][name], "receiver %q is not used: no department, SLA or escalation names it in notify", name)
		}
	}
	if l.typoOf(root, topKeys, topKeys...) {
		// A block under a misspelt name was not read: warnings about what
		// it would have used or defined ("receiver … is not used") would
		// bury the typo's error under consequences of it.
		l.warns = nil
	}
	return cfg
}

// missingBlock reports that the top-level block key is missing or empty,
// unless an unknown top-level key is a typo of it ("sla:" for "slas:"):
// that typo's error says what to fix.
func (l *loader) missingBlock(root *yaml.Node, top fields, key, msg string) {
	if e, ok := top[key]; ok {
		l.errorf(e.k, "%s", msg)
		return
	}
	if l.typoOf(root, topKeys, key) {
		return
	}
	l.errorf(nil, "%s", msg)
}

// define records a name of a kind, refusing names that could not travel
// in URLs and metric labels.
func (l *loader) define(kind string, e entry) {
	if !validName(e.key) {
		l.errorf(e.k, "%s name %q is not valid: use letters, digits, '.', '_' and '-' (at most 100, starting with a letter or digit)", kind, e.key)
	}
	l.defined[kind][e.key] = e.k
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

func validName(s string) bool { return nameRE.MatchString(s) }

// ref checks that a name refers to something of a kind that is defined and
// marks it used.
func (l *loader) ref(kind string, it item, where string) bool {
	if _, ok := l.defined[kind][it.s]; ok {
		l.used[kind][it.s] = true
		return true
	}
	l.errorf(it.n, "%s", unknownRef(kind, it.s, where, slices.Sorted(maps.Keys(l.defined[kind]))))
	return false
}

// refs checks a list of names.
func (l *loader) refs(kind string, items []item, where string) []string {
	for _, it := range items {
		l.ref(kind, it, where)
	}
	return values(items)
}

var globalKeys = []string{"timezone", "evaluation_schedule", "external_url", "max_body_size", "max_body_bytes_in_flight", "read_access", "inps_window", "retention"}

func (l *loader) global(e entry, g *Global) {
	const what = "global"
	f, _ := l.fields(e.v, what, globalKeys)
	if e, ok := f["timezone"]; ok {
		if loc := l.location(e, what); loc != nil {
			g.Timezone = loc
		}
	}
	l.globalValue(f, "evaluation_schedule", func(s string) error {
		if err := checkSchedule(s, scheduleHint(s)); err != nil {
			return err
		}
		g.EvaluationSchedule = s
		return nil
	})
	l.globalValue(f, "external_url", func(s string) error {
		if err := httputil.CheckURL(s); err != nil {
			return err
		}
		g.ExternalURL = strings.TrimRight(s, "/")
		return nil
	})
	l.globalValue(f, "max_body_size", func(s string) error {
		n, err := parseSize(s)
		if err == nil && n > maxBodyLimit {
			err = errors.New("it may be at most 1GiB")
		}
		if err == nil {
			g.MaxBodyBytes = n
		}
		return err
	})
	// After max_body_size: the bodies held at once must leave room for one
	// of the largest.
	g.MaxBodyBytesInFlight = DefaultBodiesInFlight * g.MaxBodyBytes
	l.globalValue(f, "max_body_bytes_in_flight", func(s string) error {
		n, err := parseSize(s)
		if err == nil && n < g.MaxBodyBytes {
			err = fmt.Errorf("it must be at least max_body_size (%d bytes), or no body of the largest size could ever be read", g.MaxBodyBytes)
		}
		if err == nil {
			g.MaxBodyBytesInFlight = n
		}
		return err
	})
	if e, ok := f["read_access"]; ok {
		l.readAccess(e, g)
	}
	if e, ok := f["inps_window"]; ok {
		if s, ok := l.str(e, what); ok {
			if w, err := parseWindow(s, "feedback"); err != nil {
				l.errorf(e.v, "inps_window %q in global %v", s, err)
			} else {
				g.INPSWindow = w
			}
		}
	}
	if e, ok := f["retention"]; ok {
		l.retention(e, g)
	}
}

// globalValue reads key of global's fields f, a string, if it is there,
// and hands it to set, which keeps it or says what is wrong with it: that
// is reported at the value, as "KEY "VALUE" in global is not valid: WHY".
func (l *loader) globalValue(f fields, key string, set func(s string) error) {
	e, ok := f[key]
	if !ok {
		return
	}
	s, ok := l.str(e, "global")
	if !ok {
		return
	}
	if err := set(s); err != nil {
		l.errorf(e.v, "%s %q in global is not valid: %v", key, s, err)
	}
}

// readAccess reads global.read_access, one of readAccessValues.
func (l *loader) readAccess(e entry, g *Global) {
	s, ok := l.str(e, "global")
	if !ok {
		return
	}
	if !slices.Contains(readAccessValues, s) {
		l.errorf(e.v, "read_access %q in global is not valid%s; use %s", s, didYouMean(s, readAccessValues), strings.Join(readAccessValues, " or "))
		return
	}
	g.ReadAccess = ReadAccess(s)
}

// location loads the time zone a key names.
func (l *loader) location(e entry, what string) *time.Location {
	s, ok := l.str(e, what)
	if !ok {
		return nil
	}
	if loc, ok := l.zones[s]; ok {
		return loc
	}
	loc, err := time.LoadLocation(s)
	if err != nil || s == "Local" {
		l.errorf(e.v, "unknown time zone %q in %s; use an IANA name such as Europe/Berlin, America/New_York or UTC", s, what)
		loc = nil
	}
	l.zones[s] = loc
	return loc
}
