package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/slad-project/slad/daemon"
)

// row is one line of the table: a figure, what it is compared with, and
// the target for it.
type row struct {
	scenario string
	what     string
	measured string
	base     string // the ceiling or figure it is a ratio of; empty if none
	ratio    string
	target   string // empty for the ceilings themselves
	pass     bool
}

// result says PASS or MISS against the target, or nothing without one.
func (r row) result() string {
	switch {
	case r.target == "":
		return ""
	case r.pass:
		return "PASS"
	default:
		return "MISS"
	}
}

// printTable writes the rows as one Markdown table, aligned so that it
// reads in a terminal too.
func printTable(w io.Writer, rows []row) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	line := func(cells ...string) { fmt.Fprintln(tw, "| "+strings.Join(cells, "\t ")+"\t") }
	fmt.Fprintln(w)
	line("scenario", "what", "measured", "ceiling / base", "ratio", "target", "result")
	line("---", "---", "---", "---", "---", "---", "---")
	for _, r := range rows {
		line(r.scenario, r.what, r.measured, r.base, r.ratio, r.target, r.result())
	}
	_ = tw.Flush()
}

// describeMachine is the header above the table: what ran, where, at which
// sizes. The data directory's file system matters most: fsync on a tmpfs
// costs nothing.
func describeMachine(o options, dir string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "slad bench, %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "machine: %d CPUs (%s), %s/%s, %s, %s, %s\n", runtime.NumCPU(), cpuModel(), runtime.GOOS, runtime.GOARCH, memTotal(), runtime.Version(), gcSetting())
	fmt.Fprintf(&b, "data: %s on %s\n", dir, fileSystem(dir))
	fmt.Fprintf(&b, "sizes: -clients %d -batch-clients %d -duration %s -events %d -open %d -storm %d -history %d -reps %d",
		o.clients, o.batchClients, o.duration, o.events, o.open, o.storm, o.history, o.reps)
	if o.short {
		fmt.Fprintf(&b, ", %d SLAs (-short: a smoke run, its figures mean nothing)", generated{o.departments}.slas())
	}
	b.WriteString("\n")
	return b.String()
}

// gcSetting says which garbage collector target the run has: slad serve's
// (daemon.TuneGC, which main applies), or the environment's GOGC.
func gcSetting() string {
	if v, set := os.LookupEnv("GOGC"); set {
		return "GOGC=" + v + " (from the environment)"
	}
	return fmt.Sprintf("GOGC=%d (slad's default)", daemon.GCPercent)
}

// cpuModel is the first model name of /proc/cpuinfo, where there is one.
func cpuModel() string {
	return procField("/proc/cpuinfo", "model name", ":", "unknown CPU")
}

// memTotal is the machine's memory, from /proc/meminfo where there is one.
func memTotal() string {
	kb := procField("/proc/meminfo", "MemTotal", ":", "")
	var n int64
	if _, err := fmt.Sscanf(kb, "%d kB", &n); err != nil {
		return "memory unknown"
	}
	return fmt.Sprintf("%.0f GiB RAM", float64(n)/(1<<20))
}

func procField(file, key, sep, fallback string) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return fallback
	}
	for l := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(l, sep)
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return fallback
}

// fileSystem names the type of the file system dir is on, from the longest
// mount point of /proc/mounts that contains it.
func fileSystem(dir string) string {
	data, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return "an unknown file system"
	}
	best, typ := "", "an unknown file system"
	for l := range strings.Lines(string(data)) {
		f := strings.Fields(l)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		inside := dir == mp || strings.HasPrefix(dir, strings.TrimSuffix(mp, "/")+"/")
		if inside && len(mp) > len(best) {
			best, typ = mp, f[2]+" ("+f[0]+")"
		}
	}
	return typ
}

// Formatting of figures.

func perSecond(v float64) string { return grouped(v) + "/s" }

// grouped writes a number with thousands separators, as the issue does.
func grouped(v float64) string {
	s := fmt.Sprintf("%.0f", math.Round(v))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func percent(v float64) string { return fmt.Sprintf("%.0f%%", 100*v) }

// ms writes a duration in milliseconds, with a decimal under 10 ms.
func ms(d time.Duration) string {
	f := float64(d) / float64(time.Millisecond)
	if f < 10 {
		return fmt.Sprintf("%.1f ms", f)
	}
	return fmt.Sprintf("%.0f ms", f)
}

// seconds writes a duration in seconds, or milliseconds under one.
func seconds(d time.Duration) string {
	if d < time.Second {
		return ms(d)
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}

// size writes a byte count in B, KB or MB (powers of 1,000, as the issue).
func size(n int64) string {
	switch {
	case n < 10_000:
		return grouped(float64(n)) + " B"
	case n < 10_000_000:
		return fmt.Sprintf("%.0f KB", float64(n)/1e3)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}

// ratio is a/b, or 0 when b is not a figure.
func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}
