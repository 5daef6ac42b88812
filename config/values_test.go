package config

import (
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

func TestParseDuration(t *testing.T) {
	tests := map[string]struct {
		in      string
		want    time.Duration
		wantErr string
	}{
		"Go syntax is accepted":               {in: "1h30m", want: 90 * time.Minute},
		"a day is 24 hours":                   {in: "3d", want: 72 * time.Hour},
		"a week is 7 days":                    {in: "1w", want: 168 * time.Hour},
		"days and hours combine":              {in: "1d12h", want: 36 * time.Hour},
		"fractions work as in Go":             {in: "1.5d", want: 36 * time.Hour},
		"sub-second units still parse":        {in: "1500ms", want: 1500 * time.Millisecond},
		"a number without unit is refused":    {in: "30", wantErr: `"30" has no unit`},
		"a negative duration is refused":      {in: "-1h", wantErr: "more than zero"},
		"zero is refused":                     {in: "0s", wantErr: "more than zero"},
		"an unknown unit is named":            {in: "4hrs", wantErr: `unknown unit "hrs"`},
		"spaces are refused":                  {in: "1h 30m", wantErr: "without spaces"},
		"a malformed number is named":         {in: "1..5h", wantErr: `"1..5" is not a number`},
		"a word is refused":                   {in: "soon", wantErr: `expected a number at "soon"`},
		"weeks that overflow are refused":     {in: "100000000w", wantErr: "too large"},
		"a sum that overflows is refused":     {in: "2562047h2562047h", wantErr: "too large"},
		"hours that overflow Go are refused":  {in: "9999999999999h", wantErr: "too large"},
		"an empty string is refused":          {in: "", wantErr: "empty"},
		"a lone dot is not a number":          {in: ".h", wantErr: `"." is not a number`},
		"the micro sign is a unit, as in Go":  {in: "5µs", want: 5 * time.Microsecond},
		"units are case-sensitive, as in Go":  {in: "1H", wantErr: `unknown unit "H"`},
		"trailing garbage after a unit fails": {in: "1h!", wantErr: `unknown unit "h!"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseDuration(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Errorf("parseDuration(%q) = %v, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseDuration(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseShare(t *testing.T) {
	tests := map[string]struct {
		in   string
		want float64
		ok   bool
	}{
		"a percentage":                     {"95%", 0.95, true},
		"a fractional percentage":          {"99.9%", 0.999, true},
		"a share":                          {"0.95", 0.95, true},
		"one is a share":                   {"1", 1, true},
		"a share above one needs a %":      {"95", 0, false},
		"NaN is not a number to promise":   {"NaN", 0, false},
		"infinity is not a number":         {"Inf%", 0, false},
		"words are not shares":             {"high", 0, false},
		"a bare % sign is not a share":     {"%", 0, false},
		"ranges are checked by the caller": {"150%", 1.5, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseShare(tt.in)
			if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
				t.Errorf("parseShare(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := map[string]struct {
		in   string
		want int64
	}{
		"mebibytes":               {"8MiB", 8 << 20},
		"kibibytes":               {"512KiB", 512 << 10},
		"megabytes are decimal":   {"1MB", 1_000_000},
		"plain bytes":             {"1048576", 1 << 20},
		"units ignore case":       {"8mib", 8 << 20},
		"a space before the unit": {"8 MiB", 8 << 20},
		"words are refused":       {"8 megabytes", -1},
		"zero is refused":         {"0", -1},
		"a unit alone is refused": {"MiB", -1},
		"overflow is refused":     {"9223372036854775807GiB", -1},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseSize(tt.in)
			if tt.want < 0 {
				if err == nil {
					t.Errorf("parseSize(%q) = %v; want an error", tt.in, got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("parseSize(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseDays(t *testing.T) {
	tests := map[string]struct {
		in   string
		want string // formatDays of the result, "" for an error
	}{
		"one day":                         {"mon", "mon"},
		"a working week":                  {"mon-fri", "mon-fri"},
		"a list":                          {"sat,sun", "sat-sun"},
		"a range and a day":               {"mon-wed,fri", "mon-wed,fri"},
		"a range over the weekend wraps":  {"fri-mon", "mon,fri-sun"},
		"full names and any case":         {"Monday-Friday", "mon-fri"},
		"the whole week":                  {"mon-sun", "mon-sun"},
		"a day twice in one key is wrong": {"mon-fri,wed", ""},
		"a typo is refused":               {"mno", ""},
		"an empty part is refused":        {"mon,", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			days, err := parseDays(tt.in)
			got := ""
			if err == nil {
				got = formatDays(days)
			}
			if got != tt.want {
				t.Errorf("parseDays(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestNightShiftsNameTheNextDay(t *testing.T) {
	days, _ := parseDays("fri-sun")
	if got := formatDays(nextDays(days)); got != "mon,sat-sun" {
		t.Errorf("the days after fri-sun = %q, want mon,sat-sun", got)
	}
}

// robfig/cron/v3 panics on some specs; the configuration must not.
func TestCronSpecsThatPanicTheParserAreErrors(t *testing.T) {
	for _, spec := range []string{"TZ=UTC", "CRON_TZ=Europe/Berlin", "TZ="} {
		t.Run(spec, func(t *testing.T) {
			panicked := func() (p bool) {
				defer func() { p = recover() != nil }()
				_, _ = cron.NewParser(CronParser).Parse(spec)
				return false
			}()
			if !panicked {
				t.Logf("robfig/cron no longer panics on %q; the recover in checkSchedule may be moot", spec)
			}
			if _, err := ParseSchedule(spec); err == nil {
				t.Errorf("ParseSchedule(%q) succeeded", spec)
			}
		})
	}
}

func TestParseSchedule(t *testing.T) {
	tests := map[string]struct {
		spec string
		ok   bool
	}{
		"the default":                     {"@every 30s", true},
		"five fields":                     {"*/5 * * * *", true},
		"a descriptor":                    {"@hourly", true},
		"a zone before the fields":        {"CRON_TZ=Europe/Berlin 0 9 * * mon-fri", true},
		"a zone before a descriptor":      {"TZ=UTC @every 1m", true},
		"seconds are not a field":         {"0 */5 * * * *", false},
		"@every under a second":           {"@every 500ms", false},
		"@every negative":                 {"@every -1s", false},
		"a date that never comes":         {"0 0 31 4 *", false},
		"an unknown zone":                 {"CRON_TZ=Nowhere/Special * * * * *", false},
		"empty":                           {"", false},
		"huge steps are only an error":    {"*/99999999999999999999 * * * *", false},
		"a step of zero":                  {"*/0 * * * *", false},
		"a range beyond the field bounds": {"0 25 * * *", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := ParseSchedule(tt.spec)
			if (err == nil) != tt.ok {
				t.Errorf("ParseSchedule(%q) = %v; want ok %v", tt.spec, err, tt.ok)
			}
			if tt.ok && s.Next(time.Now()).IsZero() {
				t.Errorf("%q never fires", tt.spec)
			}
		})
	}
}

func TestDidYouMean(t *testing.T) {
	keys := []string{"objective", "window", "id", "notify"}
	tests := map[string]string{
		"objectve": ` (did you mean "objective"?)`,
		"windw":    ` (did you mean "window"?)`,
		"Window":   ` (did you mean "window"?)`,
		"nofity":   ` (did you mean "notify"?)`,
		"ix":       ` (did you mean "id"?)`,
		"budget":   "",
	}
	for in, want := range tests {
		if got := didYouMean(in, keys); got != want {
			t.Errorf("didYouMean(%q) = %q, want %q", in, got, want)
		}
	}
}
