package daemon

import (
	"crypto/subtle"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/slad-project/slad/api/wire"
	"github.com/slad-project/slad/config"
	"github.com/slad-project/slad/sla"
)

// The settings part of a plan: what a reload would add, remove or change,
// field by field, each new value at its file:line. Settings are compared
// as loaded (defaults applied, durations parsed), so that an edit of form
// alone (1440m for 1d, a reordered list of customers, a comment) changes
// nothing, and written as a person reads them. Secrets (receiver URLs and
// signing secrets, token values) are compared in constant time and only
// said to have changed.

// field is one setting's value, as its YAML key path in its block.
type field struct {
	path   string // "resolution.P1", "hours.monday"
	value  string
	secret bool
}

// setting is one block of the configuration: its kind, name and fields.
type setting struct {
	kind, name string
	fields     []field
}

// settingChanges lists what differs between cur and next; src is next's
// YAML, read for the lines of its values.
func settingChanges(cur, next *config.Config, src []byte) []wire.SettingChange {
	doc := parseYAML(src)
	old, now := settingsOf(cur), settingsOf(next)
	var out []wire.SettingChange
	for _, kind := range []string{wire.SettingGlobal, wire.SettingCalendar, wire.SettingDepartment, wire.SettingReceiver, wire.SettingToken, wire.SettingSLA} {
		for _, name := range namesOf(kind, old, now) {
			o, n := old[key{kind, name}], now[key{kind, name}]
			switch {
			case o == nil:
				out = append(out, wire.SettingChange{Kind: kind, Name: name, Change: wire.ChangeAdded, At: doc.at(next.File, kind, name, "")})
			case n == nil:
				out = append(out, wire.SettingChange{Kind: kind, Name: name, Change: wire.ChangeRemoved})
			default:
				if fields := diffFields(o, n, doc, next.File); len(fields) > 0 {
					out = append(out, wire.SettingChange{Kind: kind, Name: name, Change: wire.ChangeChanged, At: doc.at(next.File, kind, name, ""), Fields: fields})
				}
			}
		}
	}
	if out == nil {
		out = []wire.SettingChange{}
	}
	return out
}

// key names a setting.
type key struct{ kind, name string }

// namesOf lists the names of a kind in either configuration, sorted.
func namesOf(kind string, a, b map[key]*setting) []string {
	var names []string
	for _, m := range []map[key]*setting{a, b} {
		for k := range m {
			if k.kind == kind && !slices.Contains(names, k.name) {
				names = append(names, k.name)
			}
		}
	}
	slices.Sort(names)
	return names
}

// diffFields lists the fields of a setting whose values differ.
func diffFields(o, n *setting, doc yamlDoc, file string) []wire.FieldChange {
	ov, nv := map[string]field{}, map[string]field{}
	var paths []string
	for _, f := range n.fields {
		nv[f.path] = f
		paths = append(paths, f.path)
	}
	for _, f := range o.fields {
		ov[f.path] = f
		if _, ok := nv[f.path]; !ok {
			paths = append(paths, f.path)
		}
	}
	var out []wire.FieldChange
	for _, p := range paths {
		a, b := ov[p], nv[p]
		if a.secret || b.secret {
			if subtle.ConstantTimeCompare([]byte(a.value), []byte(b.value)) == 1 {
				continue
			}
			out = append(out, wire.FieldChange{Field: p, Secret: true, At: doc.at(file, n.kind, n.name, p)})
			continue
		}
		if a.value == b.value {
			continue
		}
		fc := wire.FieldChange{Field: p, Old: a.value, New: b.value}
		if b.value != "" {
			fc.At = doc.at(file, n.kind, n.name, p)
		}
		out = append(out, fc)
	}
	return out
}

// settingsOf lays a configuration out as settings.
func settingsOf(c *config.Config) map[key]*setting {
	out := map[key]*setting{}
	put := func(s *setting) { out[key{s.kind, s.name}] = s }
	put(globalSetting(c.Global, c.Policy))
	for name, cal := range c.Policy.Calendars {
		put(calendarSetting(name, cal))
	}
	for id, d := range c.Policy.Departments {
		fields := append([]field{
			{path: "name", value: d.Name}, {path: "lead", value: d.Lead}, {path: "notify", value: list(d.Notify)},
		}, hoursFields(d.Hours)...)
		put(&setting{kind: wire.SettingDepartment, name: id, fields: append(fields, digestFields(c.Digests[id])...)})
	}
	for name, r := range c.Receivers {
		fields := []field{
			{path: "type", value: string(r.Type)},
			{path: "url", value: r.URL.Value(), secret: true},
			{path: "secret", value: r.SigningSecret.Value(), secret: true},
			{path: "smarthost", value: r.Email.Smarthost},
			{path: "from", value: r.Email.From},
			{path: "to", value: r.Email.To},
			{path: "tls", value: string(r.Email.TLS)},
			{path: "username", value: r.Email.Username},
			{path: "password", value: r.Email.Password.Value(), secret: true},
			{path: "timeout", value: sla.FormatDuration(r.Timeout)},
			{path: "give_up_after", value: sla.FormatDuration(r.GiveUpAfter)},
		}
		put(&setting{kind: wire.SettingReceiver, name: name, fields: append(fields, hoursFields(c.Policy.ReceiverHours[name])...)})
	}
	for _, t := range c.Tokens {
		put(&setting{kind: wire.SettingToken, name: t.Name, fields: []field{
			{path: "token", value: t.Value.Value(), secret: true},
			{path: "departments", value: list(t.Departments)},
			{path: "admin", value: strconv.FormatBool(t.Admin)},
		}})
	}
	for _, s := range c.Policy.SLAs {
		put(slaSetting(s))
	}
	return out
}

func globalSetting(g config.Global, p *sla.Policy) *setting {
	zone := ""
	if g.Timezone != nil {
		zone = g.Timezone.String()
	}
	return &setting{kind: wire.SettingGlobal, name: "", fields: []field{
		{path: "timezone", value: zone},
		{path: "evaluation_schedule", value: g.EvaluationSchedule},
		{path: "external_url", value: g.ExternalURL},
		{path: "max_body_size", value: strconv.FormatInt(g.MaxBodyBytes, 10) + " bytes"},
		{path: "max_body_bytes_in_flight", value: strconv.FormatInt(g.MaxBodyBytesInFlight, 10) + " bytes"},
		{path: "read_access", value: string(g.ReadAccess)},
		{path: "inps_window", value: g.INPSWindow.String()},
		{path: "retention", value: sla.FormatDuration(g.Retention)},
		{path: "customer_reasons", value: set(p.CustomerReasons)}, // a top-level key
	}}
}

// hoursFields are a department's or a receiver's notification hours.
func hoursFields(h *sla.NotifyHours) []field {
	var cal string
	var urgent []string
	if h != nil && h.Calendar != nil {
		cal = h.Calendar.Name()
	}
	if h != nil {
		for _, stage := range slices.Sorted(maps.Keys(h.Urgent)) {
			prios := "any priority"
			if len(h.Urgent[stage]) > 0 {
				prios = set(h.Urgent[stage])
			}
			urgent = append(urgent, stage+" ("+prios+")")
		}
	}
	return []field{{path: "notify_hours", value: cal}, {path: "urgent", value: list(urgent)}}
}

// digestFields are a department's scheduled digest: its schedule as
// written, its receivers and the zone its schedule is read in (as loaded:
// global.timezone when it names none).
func digestFields(d *config.Digest) []field {
	var zone string
	if d == nil {
		d = &config.Digest{}
	} else if d.Location != nil {
		zone = d.Location.String()
	}
	return []field{{path: "digest.schedule", value: d.Spec}, {path: "digest.notify", value: list(d.Notify)}, {path: "digest.timezone", value: zone}}
}

func calendarSetting(name string, c *sla.Calendar) *setting {
	s := &setting{kind: wire.SettingCalendar, name: name, fields: []field{{path: "timezone", value: c.Location().String()}}}
	for d := time.Sunday; d <= time.Saturday; d++ {
		var hours []string
		for _, iv := range c.Hours(d) {
			hours = append(hours, iv.String())
		}
		s.fields = append(s.fields, field{path: "hours." + strings.ToLower(d.String()), value: list(hours)})
	}
	var days []string
	for _, d := range c.Holidays() {
		days = append(days, d.String())
	}
	s.fields = append(s.fields, field{path: "holidays", value: list(days)})
	return s
}

func slaSetting(s *sla.SLA) *setting {
	f := []field{
		{path: "description", value: s.Description},
		{path: "provider", value: s.Provider},
		{path: "customers", value: set(s.Customers)},
		{path: "measures", value: s.Measures.String()},
		{path: "match.priority", value: set(s.Match.Priority)},
		{path: "match.category", value: set(s.Match.Category)},
	}
	for _, k := range slices.Sorted(maps.Keys(s.Match.Labels)) {
		f = append(f, field{path: "match.labels." + k, value: set(s.Match.Labels[k])})
	}
	f = append(f, field{path: "calendar", value: s.CalendarOf().Name()})
	f = append(f, targetFields("response", s.Response)...)
	f = append(f, targetFields("resolution", s.Resolution)...)
	f = append(f,
		field{path: "objective", value: percent(s.Objective)},
		field{path: "window", value: s.Window.String()},
		field{path: "pause_on", value: set(s.PauseOn)},
		field{path: "warn_at", value: shares(s.WarnAt)},
	)
	for i, e := range s.Escalate {
		f = append(f, field{path: fmt.Sprintf("escalate.%d", i+1), value: "after " + sla.FormatDuration(e.After) + " notify " + list(e.Notify)})
	}
	f = append(f, field{path: "notify", value: list(s.Notify)})
	return &setting{kind: wire.SettingSLA, name: s.ID, fields: f}
}

// targetFields writes a target as its key does: one duration, or one per
// priority and a default.
func targetFields(name string, t sla.Target) []field {
	if len(t.ByPriority) == 0 {
		v := ""
		if t.Default > 0 {
			v = sla.FormatDuration(t.Default)
		}
		return []field{{path: name, value: v}}
	}
	var out []field
	for _, p := range slices.Sorted(maps.Keys(t.ByPriority)) {
		out = append(out, field{path: name + "." + p, value: sla.FormatDuration(t.ByPriority[p])})
	}
	if t.Default > 0 {
		out = append(out, field{path: name + ".default", value: sla.FormatDuration(t.Default)})
	}
	return out
}

// list writes values in their order ("a, b"); set sorts them first, for a
// list whose order means nothing.
func list(vs []string) string { return strings.Join(vs, ", ") }

func set(vs []string) string { return list(slices.Sorted(slices.Values(vs))) }

func percent(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

func shares(fs []float64) string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = percent(f)
	}
	return list(out)
}

// yamlDoc is a configuration's YAML tree, for the lines of its values; a
// document that does not parse (it loaded, so it does) places nothing.
type yamlDoc struct{ root *yaml.Node }

func parseYAML(src []byte) yamlDoc {
	var n yaml.Node
	if err := yaml.Unmarshal(src, &n); err != nil || len(n.Content) == 0 {
		return yamlDoc{}
	}
	return yamlDoc{root: n.Content[0]}
}

// at is "file:line" of a setting's field (path "" for the setting itself),
// or of the deepest part of the path the file spells out (a field left to
// its default is placed at its block); "" when the file does not say.
func (d yamlDoc) at(file, kind, name, path string) string {
	if kind == wire.SettingGlobal && path != "" {
		if v, k := lookup(d.root, path); v != nil {
			return file + ":" + strconv.Itoa(k.Line) // a top-level key of the global settings
		}
	}
	n := d.block(kind, name)
	if n == nil {
		return ""
	}
	line := n.Line
	for _, part := range strings.Split(path, ".") {
		if part == "" {
			break
		}
		v, k := lookup(n, part)
		if i, err := strconv.Atoi(part); err == nil && n.Kind == yaml.SequenceNode && i >= 1 && i <= len(n.Content) {
			v = deref(n.Content[i-1]) // escalate.2: the second step
			k = v
		}
		if v == nil {
			break
		}
		n, line = v, k.Line
	}
	return file + ":" + strconv.Itoa(line)
}

// block is the node of a setting: under its top-level key, by name (a
// mapping's key, or the "id" or "name" of a list's entry).
func (d yamlDoc) block(kind, name string) *yaml.Node {
	if d.root == nil {
		return nil
	}
	top := map[string]string{
		wire.SettingGlobal: "global", wire.SettingCalendar: "calendars", wire.SettingDepartment: "departments",
		wire.SettingReceiver: "receivers", wire.SettingToken: "tokens", wire.SettingSLA: "slas",
	}[kind]
	v, k := lookup(d.root, top)
	switch {
	case v == nil:
		return nil
	case kind == wire.SettingGlobal:
		return keyNode(v, k)
	case v.Kind == yaml.SequenceNode:
		for _, item := range v.Content {
			item = deref(item)
			for _, idKey := range []string{"id", "name"} {
				if iv, _ := lookup(item, idKey); iv != nil && iv.Value == name {
					return item
				}
			}
		}
		return nil
	}
	if iv, ik := lookup(v, name); iv != nil {
		return keyNode(iv, ik)
	}
	return nil
}

// keyNode is a mapping value whose line is that of its key, for a block
// written on the lines after it.
func keyNode(v, k *yaml.Node) *yaml.Node {
	c := *v
	c.Line = k.Line
	return &c
}

// lookup finds a key of a mapping, or of the mappings it merges (<<), and
// the keys of secrets read from elsewhere (url_file for url); it returns
// the value and the key.
func lookup(m *yaml.Node, name string) (v, k *yaml.Node) {
	m = deref(m)
	if m == nil || m.Kind != yaml.MappingNode {
		return nil, nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if kn := m.Content[i]; kn.Value == name || kn.Value == name+"_file" || kn.Value == name+"_env" {
			return deref(m.Content[i+1]), kn
		}
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value != "<<" {
			continue
		}
		merged := deref(m.Content[i+1])
		sources := []*yaml.Node{merged}
		if merged.Kind == yaml.SequenceNode {
			sources = merged.Content
		}
		for _, s := range sources {
			if v, k := lookup(s, name); v != nil {
				return v, k
			}
		}
	}
	return nil, nil
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}
