package config

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// CronParser is the parser the daemon schedules evaluations with, and the
// one the configuration is validated against: five fields (minute, hour,
// day of month, month, day of week) or a descriptor such as "@every 30s",
// optionally after CRON_TZ=<zone> or TZ=<zone>.
const CronParser = cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor

// ParseSchedule parses a cron spec as the daemon does. Unlike
// cron.Parser.Parse it never panics (robfig/cron/v3 does on "TZ=UTC"
// without a schedule after it), refuses "@every" under a second (which
// cron would silently round up) and specs that never fire ("0 0 30 2 *").
func ParseSchedule(spec string) (cron.Schedule, error) {
	if err := checkSchedule(spec); err != nil {
		return nil, err
	}
	return cron.NewParser(CronParser).Parse(spec)
}

func checkSchedule(spec string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the cron parser failed on it (%v)%s", r, scheduleHint(spec))
		}
	}()
	sched, err := cron.NewParser(CronParser).Parse(spec)
	if err != nil {
		if strings.Contains(err.Error(), "location") {
			return fmt.Errorf("%w; name an IANA time zone such as Europe/Berlin", err)
		}
		return fmt.Errorf("%w%s", err, scheduleHint(spec))
	}
	rest := spec
	if strings.HasPrefix(rest, "TZ=") || strings.HasPrefix(rest, "CRON_TZ=") {
		_, rest, _ = strings.Cut(rest, " ")
	}
	if every, ok := strings.CutPrefix(strings.TrimSpace(rest), "@every "); ok {
		if d, err := time.ParseDuration(every); err != nil || d < time.Second {
			return errors.New("@every needs a duration of at least 1s, e.g. @every 30s")
		}
	}
	ref := time.Date(2026, time.January, 1, 0, 0, 0, 0, time.UTC)
	if sched.Next(ref).IsZero() {
		return errors.New("it never fires (no date matches it)")
	}
	return nil
}

func scheduleHint(spec string) string {
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(strings.TrimSpace(spec), " ") {
		return `; write the schedule after the zone, e.g. "CRON_TZ=Europe/Berlin */5 * * * *"`
	}
	return `; write five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *", or "@every 30s"`
}
