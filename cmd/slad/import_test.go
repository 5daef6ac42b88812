package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/slad-project/slad/store"
)

func TestImportSendsEveryEventOnceInBatchesWithinTheLimits(t *testing.T) {
	tests := map[string]struct {
		batch, batchBytes int // 0: the flag is not given
		events            int
		want              []int // the events of each batch; nil: any within the limits
	}{
		"the event count bounds each batch": {batch: 300, batchBytes: 4 << 20, events: 2000},
		"the byte size bounds each batch":   {batch: 500, batchBytes: 20_000, events: 2000},
		"the default batch is a full commit of the server": {events: 12_000,
			want: []int{store.DefaultMaxBatchEvents, store.DefaultMaxBatchEvents, 12_000 - 2*store.DefaultMaxBatchEvents}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			file := filepath.Join(t.TempDir(), "events.ndjson")
			writeNDJSON(t, file, tc.events)
			args := []string{"--server", srv.URL}
			limit, limitBytes := tc.batch, tc.batchBytes
			if tc.batch > 0 {
				args = append(args, "--batch", fmt.Sprint(tc.batch), "--batch-bytes", fmt.Sprint(tc.batchBytes))
			} else {
				limit, limitBytes = store.DefaultMaxBatchEvents, importBatchBytes
			}

			code, stdout, stderr := runImportCmd(t, append(args, file)...)
			if code != 0 {
				t.Fatalf("exit %d\nstderr: %s", code, stderr)
			}
			_, stored, batches, sizes := f.snapshot()
			if len(stored) != tc.events {
				t.Errorf("server stored %d events, want %d", len(stored), tc.events)
			}
			sum := 0
			for i, n := range batches {
				sum += n
				if n > limit {
					t.Errorf("batch %d holds %d events, more than --batch %d", i, n, limit)
				}
				if sizes[i] > limitBytes {
					t.Errorf("batch %d is %d bytes, more than --batch-bytes %d", i, sizes[i], limitBytes)
				}
			}
			if sum != tc.events {
				t.Errorf("the batches carried %d events, want every event once (%d)", sum, tc.events)
			}
			if tc.want != nil && !slices.Equal(batches, tc.want) {
				t.Errorf("the batches held %v events; want %v", batches, tc.want)
			}
			if got := stored["ev-00003"]; got.Title != "request 3 needs <care> & attention" || got.Labels["site"] != "berlin" {
				t.Errorf("event ev-00003 arrived as %+v", got)
			}
			if !strings.HasPrefix(stdout, fmt.Sprintf("imported %d events (%d accepted, 0 duplicates) in ", tc.events, tc.events)) || !strings.HasSuffix(stdout, " events/s\n") {
				t.Errorf("summary = %q", stdout)
			}
			if !strings.Contains(stderr, fmt.Sprintf("events.ndjson: %d events sent; %d/%d events", tc.events, tc.events, tc.events)) {
				t.Errorf("stderr has no line for the finished file:\n%s", stderr)
			}
			if strings.Contains(stderr, "\r") {
				t.Errorf("progress redraws although stderr is not a terminal:\n%q", stderr)
			}
		})
	}
}

func TestImportRunAgainStoresNothingTwice(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	dir := t.TempDir()
	a := filepath.Join(dir, "a.ndjson")
	b := filepath.Join(dir, "b.jsonl")
	writeNDJSON(t, a, 120)
	writeFile(t, b, eventLine(500)+"\n"+eventLine(501)+"\n")

	if code, _, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "50", a, b); code != 0 {
		t.Fatalf("first run: exit %d: %s", code, stderr)
	}
	code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "50", a, b)
	if code != 0 {
		t.Fatalf("second run: exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "imported 122 events (0 accepted, 122 duplicates)") {
		t.Errorf("second run summary = %q", stdout)
	}
	if _, stored, _, _ := f.snapshot(); len(stored) != 122 {
		t.Errorf("server holds %d events, want 122", len(stored))
	}
}

func TestImportSendsTheTokenAndNeverShowsIt(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, filepath.Join(dir, "token"), "  "+secretToken+"\n")
	wrong := writeFile(t, filepath.Join(dir, "wrong-token"), secretToken+"-old\n")
	twoWords := writeFile(t, filepath.Join(dir, "two-words"), secretToken+" "+secretToken+"\n")
	events := filepath.Join(dir, "events.ndjson")
	writeNDJSON(t, events, 5)

	tests := map[string]struct {
		tokenFile string
		wantCode  int
		want      string
	}{
		"the token from the file is sent as a bearer token": {tokenFile: good, want: "imported 5 events"},
		"a token the server does not know is refused":       {tokenFile: wrong, wantCode: 1, want: "Check --token-file"},
		"a token file with two words is refused":            {tokenFile: twoWords, wantCode: 1, want: "holds more than the token"},
		"a missing token file is named":                     {tokenFile: filepath.Join(dir, "nope"), wantCode: 1, want: "read token file: open "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, srv := newFakeSlad(t, secretToken)
			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--token-file", tc.tokenFile, events)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d\n%s", code, tc.wantCode, stderr)
			}
			if !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("output does not contain %q:\n%s%s", tc.want, stdout, stderr)
			}
			if strings.Contains(stdout+stderr, secretToken) {
				t.Errorf("the token appears in the output:\n%s%s", stdout, stderr)
			}
		})
	}
}

func TestImportRejectsBadUsage(t *testing.T) {
	file := writeFile(t, filepath.Join(t.TempDir(), "e.ndjson"), eventLine(0)+"\n")
	tests := map[string]struct {
		args     []string
		wantCode int
		want     string
	}{
		"no file":                         {args: nil, wantCode: 2, want: "name at least one FILE"},
		"an unknown format":               {args: []string{"--format", "xml", file}, wantCode: 2, want: `--format "xml"`},
		"a batch of zero":                 {args: []string{"--batch", "0", file}, wantCode: 2, want: "--batch must be between 1 and 10000"},
		"a batch over the server's limit": {args: []string{"--batch", "10001", file}, wantCode: 2, want: "--batch must be between 1 and 10000"},
		"standard input twice":            {args: []string{"-", "-"}, wantCode: 2, want: "can be read only once"},
		"an unknown flag":                 {args: []string{"--bogus", file}, wantCode: 2, want: "flag provided but not defined: -bogus"},
		"a server URL without scheme":     {args: []string{"--server", "localhost:9780", file}, wantCode: 1, want: "must start with http:// or https://"},
		"a missing file before import":    {args: []string{file, "missing.ndjson"}, wantCode: 1, want: "open missing.ndjson: no such file"},
		"help is not an error":            {args: []string{"-h"}, wantCode: 0, want: "running the same command again"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, stderr := runImportCmd(t, tc.args...)
			if code != tc.wantCode || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d (want %d), stderr:\n%s\nwant it to contain %q", code, tc.wantCode, stderr, tc.want)
			}
		})
	}
}
