package config

import (
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Digest is a department's scheduled report on its SLAs, as provider and
// as customer (daemon/digest.go sends it):
//
//	departments:
//	  it:
//	    digest: {schedule: "0 8 * * MON", notify: [lead-mail], timezone: Europe/Berlin}
type Digest struct {
	Department string
	// Spec is the schedule as written; Schedule its parsed form, whose
	// instants (slots) are read in Location.
	Spec     string
	Schedule cron.Schedule
	// Location is the digest's timezone, or global.timezone.
	Location *time.Location
	// Notify are the receivers it goes to.
	Notify []string
}

// Next returns the digest's first slot after t.
func (d *Digest) Next(t time.Time) time.Time { return d.Schedule.Next(t.In(d.Location)) }

var digestKeys = []string{"schedule", "notify", "timezone"}

// digests reads the digest of each department, once receivers are known.
func (l *loader) digests(top fields, g Global, receivers map[string]*Receiver) map[string]*Digest {
	out := map[string]*Digest{}
	e, ok := top["departments"]
	if !ok {
		return out
	}
	es, _ := l.entries(e.v, "departments")
	for _, dep := range es {
		if l.resolve(dep.v).Kind != yaml.MappingNode {
			continue
		}
		des, _ := l.entries(dep.v, "")
		for _, de := range des {
			if de.key != "digest" {
				continue
			}
			if d := l.digest(de, dep.key, g, receivers); d != nil {
				out[dep.key] = d
			}
		}
	}
	return out
}

// digest reads one department's digest.
func (l *loader) digest(e entry, dept string, g Global, receivers map[string]*Receiver) *Digest {
	what := fmt.Sprintf("the digest of department %q", dept)
	f, ok := l.fields(e.v, what, digestKeys)
	if !ok {
		return nil
	}
	d := &Digest{Department: dept, Location: g.Timezone}
	var valid bool
	if se, ok := f["schedule"]; !ok {
		l.errorf(e.k, `%s has no schedule; add one such as schedule: "0 8 * * MON" (Mondays at 08:00)`, what)
	} else if d.Spec, ok = l.str(se, what); ok {
		d.Schedule, valid = l.digestSchedule(se, d.Spec, what)
	}
	if te, ok := f["timezone"]; ok {
		if loc := l.location(te, what); loc != nil {
			d.Location = loc
		} else {
			valid = false
		}
	}
	ne, ok := f["notify"]
	if !ok {
		l.errorf(e.k, "%s has no notify; name the receivers it goes to (notify: [lead-mail])", what)
		return nil
	}
	var notifyOK bool
	d.Notify, notifyOK = l.digestNotify(ne, what, receivers)
	if !valid || !notifyOK {
		return nil
	}
	return d
}

// digestNotify reads the receivers a digest goes to (at ne): at least one,
// each configured, and none an Alertmanager, which takes alerts, not
// reports.
func (l *loader) digestNotify(ne entry, what string, receivers map[string]*Receiver) ([]string, bool) {
	items, valid := l.strs(ne, what)
	if len(items) == 0 && valid {
		l.errorf(ne.k, "notify of %s lists no receiver; name at least one", what)
		valid = false
	}
	for _, it := range items {
		if !l.ref(kindReceiver, it, "notify of "+what) {
			valid = false
		} else if r := receivers[it.s]; r != nil && r.Type == ReceiverAlertmanager {
			l.errorf(it.n, "receiver %q in notify of %s is an Alertmanager, which routes alerts, not reports; send digests to a webhook, Slack, email or log receiver", it.s, what)
			valid = false
		}
	}
	return values(items), valid
}

// digestSchedule parses a digest's schedule: cron's five fields or a
// descriptor at fixed times (@daily, @weekly); not "@every", whose times
// depend on when slad started, nor a zone of its own (timezone: says it).
func (l *loader) digestSchedule(e entry, spec, what string) (cron.Schedule, bool) {
	trimmed := strings.TrimSpace(spec)
	switch {
	case strings.HasPrefix(trimmed, "@every"):
		l.errorf(e.v, "schedule %q of %s is not valid: a digest goes out at fixed times, and @every counts from when slad started; write five fields such as \"0 8 * * MON\" or @daily", spec, what)
		return nil, false
	case strings.HasPrefix(trimmed, "TZ=") || strings.HasPrefix(trimmed, "CRON_TZ="):
		l.errorf(e.v, "schedule %q of %s names a zone; give it as timezone: in the digest instead", spec, what)
		return nil, false
	}
	s, err := parseSchedule(spec, digestScheduleHint)
	if err != nil {
		l.errorf(e.v, "schedule %q of %s is not valid: %v", spec, what, err)
		return nil, false
	}
	return s, true
}
