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
	return parseSchedule(spec, scheduleHint(spec))
}

// parseSchedule is ParseSchedule with the advice to give after a spec
// cron cannot read: a digest's differs (no "@every").
func parseSchedule(spec, hint string) (cron.Schedule, error) {
	if err := checkSchedule(spec, hint); err != nil {
		return nil, err
	}
	return cron.NewParser(CronParser).Parse(spec)
}

func checkSchedule(spec, hint string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the cron parser failed on it (%v)%s", r, hint)
		}
	}()
	sched, err := cron.NewParser(CronParser).Parse(spec)
	if err != nil {
		if strings.Contains(err.Error(), "location") {
			return fmt.Errorf("%w; name an IANA time zone such as Europe/Berlin", err)
		}
		return fmt.Errorf("%s%s", cronSentence(err), hint)
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

// cronSentence words robfig/cron's errors for a person: a field it could
// not read is named as written, without the strconv error behind it.
func cronSentence(err error) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "failed to parse int from "); ok {
		field, _, _ := strings.Cut(rest, ":")
		return fmt.Sprintf("%q is neither a number nor a name cron knows (months JAN–DEC, days of the week SUN–SAT)", field)
	}
	return msg
}

// digestScheduleHint is the advice after a digest schedule cron cannot read.
const digestScheduleHint = `; write five fields (minute hour day-of-month month day-of-week), e.g. "0 8 * * MON" (Mondays at 08:00), or @daily or @weekly`

func scheduleHint(spec string) string {
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(strings.TrimSpace(spec), " ") {
		return `; write the schedule after the zone, e.g. "CRON_TZ=Europe/Berlin */5 * * * *"`
	}
	return `; write five fields (minute hour day-of-month month day-of-week), e.g. "*/5 * * * *", or "@every 30s"`
}
