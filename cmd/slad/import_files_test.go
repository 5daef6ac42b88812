package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

func TestImportParsesCSVWithLabelColumns(t *testing.T) {
	f, srv := newFakeSlad(t, "")
	file := writeFile(t, filepath.Join(t.TempDir(), "history.csv"), "\ufeffid,request,type,at,provider,customer,priority,category,title,Labels.site,labels.Floor,reason,csat\r\n"+
		"e1,IT-1,opened,2025-06-02T09:00:00Z,it,sales,P1,incident,\"VPN down, \"\"again\"\"\",berlin,3,,\r\n"+
		"e2,IT-1,paused,2025-06-02T09:30:00+02:00,,,,,,,,waiting_for_customer,\r\n"+
		"\r\n"+
		"e3,IT-1,resolved,2025-06-02T11:00:00Z,,,,,,,,, 4 \r\n"+
		"e4,IT-2,opened,2025-06-03T08:00:00Z,it,hr,,,\"two\nlines\",,,,\r\n"+
		"e5,IT-2,updated,2025-06-03T08:05:00Z,,,P2,,,hamburg,,,\r\n")

	code, stdout, stderr := runImportCmd(t, "--server", srv.URL, file)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, "imported 5 events (5 accepted, 0 duplicates)") {
		t.Errorf("summary = %q", stdout)
	}
	_, stored, _, _ := f.snapshot()
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	want := map[string]sla.Event{
		"e1": {ID: "e1", Request: "IT-1", Type: sla.Opened, At: at("2025-06-02T09:00:00Z"), Provider: "it", Customer: "sales",
			Priority: "P1", Category: "incident", Title: `VPN down, "again"`, Labels: map[string]string{"site": "berlin", "Floor": "3"}},
		"e2": {ID: "e2", Request: "IT-1", Type: sla.Paused, At: at("2025-06-02T09:30:00+02:00"), Reason: "waiting_for_customer"},
		"e3": {ID: "e3", Request: "IT-1", Type: sla.Resolved, At: at("2025-06-02T11:00:00Z"), CSAT: 4},
		"e4": {ID: "e4", Request: "IT-2", Type: sla.Opened, At: at("2025-06-03T08:00:00Z"), Provider: "it", Customer: "hr", Title: "two\nlines"},
		"e5": {ID: "e5", Request: "IT-2", Type: sla.Updated, At: at("2025-06-03T08:05:00Z"), Priority: "P2", Labels: map[string]string{"site": "hamburg"}},
	}
	for id, w := range want {
		g := stored[id]
		if !g.At.Equal(w.At) {
			t.Errorf("%s: at = %v, want %v", id, g.At, w.At)
		}
		g.At, w.At = time.Time{}, time.Time{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s arrived as\n %+v\nwant\n %+v", id, g, w)
		}
	}
}

func TestImportReadsOtherShapesOfInput(t *testing.T) {
	tests := map[string]struct {
		name, content string
		stdin         bool
		args          []string
		want          int
	}{
		"a .json file holding one array of events": {
			name: "events.json", content: "[\n  " + eventLine(0) + ",\n  " + eventLine(1) + "\n]\n", want: 2,
		},
		"NDJSON without an extension is told by its content": {
			name: "dump", content: eventLine(0) + "\n" + eventLine(1) + "\n" + eventLine(2), want: 3,
		},
		"CSV without an extension is told by its content": {
			name: "dump", content: "id,request,type,at\nx1,IT-9,responded,2025-06-02T09:00:00Z\n", want: 1,
		},
		"--format csv overrides the extension": {
			name: "export.txt.json", content: "id,request,type,at\nx1,IT-9,responded,2025-06-02T09:00:00Z\n",
			args: []string{"--format", "csv"}, want: 1,
		},
		"standard input is read for -": {
			name: "-", content: eventLine(0) + "\n" + eventLine(1) + "\n", stdin: true, want: 2,
		},
		"flags may follow the files": {
			name: "events.ndjson", content: eventLine(0) + "\n", args: []string{"--batch", "1"}, want: 1,
		},
		"an empty file imports nothing": {
			name: "empty.csv", content: "", want: 0,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			path := filepath.Join(t.TempDir(), tc.name)
			if tc.stdin {
				in := writeFile(t, filepath.Join(t.TempDir(), "stdin"), tc.content)
				fh, err := os.Open(in)
				if err != nil {
					t.Fatal(err)
				}
				defer fh.Close()
				old := os.Stdin
				os.Stdin = fh
				defer func() { os.Stdin = old }()
				path = "-"
			} else {
				writeFile(t, path, tc.content)
			}
			args := append([]string{"--server", srv.URL, path}, tc.args...)
			code, stdout, stderr := runImportCmd(t, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if _, stored, _, _ := f.snapshot(); len(stored) != tc.want {
				t.Errorf("server stored %d events, want %d", len(stored), tc.want)
			}
			if want := fmt.Sprintf("imported %s (%d accepted", sla.Plural(tc.want, "event", "events"), tc.want); !strings.HasPrefix(stdout, want) {
				t.Errorf("summary = %q, want it to start with %q", stdout, want)
			}
		})
	}
}

func TestImportReportsProblemsInTheFileByLine(t *testing.T) {
	tests := map[string]struct {
		name, content string
		want          string
		wantRequests  int
	}{
		"bad JSON on line 17 stops before its batch is sent": {
			name: "events.ndjson",
			content: func() string {
				var b strings.Builder
				for i := range 16 {
					b.WriteString(eventLine(i) + "\n")
				}
				b.WriteString(`{"id":"x", "request": oops}` + "\n" + eventLine(99) + "\n")
				return b.String()
			}(),
			want:         "events.ndjson:17: invalid JSON at column 23: invalid character 'o' looking for beginning of value",
			wantRequests: 1, // lines 1-10; 11-16 share a batch with line 17
		},
		"an event split over lines is explained": {
			name: "events.ndjson", content: "{\n\"id\": \"a\"}\n",
			want: "events.ndjson:1: invalid JSON: the event ends early; in NDJSON each event must be on one line",
		},
		"a line that is not an object": {
			name: "events.ndjson", content: eventLine(0) + "\n[1,2]\n",
			want: "events.ndjson:2: expected an event, a JSON object, but found a JSON array",
		},
		"a field of the wrong type": {
			name: "events.ndjson", content: `{"id":"a","request":"r","type":"resolved","at":"2025-06-02T09:00:00Z","csat":"5"}` + "\n",
			want: `events.ndjson:1: field "csat" is a JSON string; it must be a whole number`,
		},
		"a time that is not RFC 3339": {
			name: "events.ndjson", content: `{"id":"a","request":"r","type":"responded","at":"2025-06-02 09:00"}` + "\n",
			want: `events.ndjson:1: field "at": "2025-06-02 09:00" is not an RFC 3339 time`,
		},
		"an event without an id": {
			name: "events.ndjson", content: "\n\n" + `{"request":"r","type":"responded","at":"2025-06-02T09:00:00Z"}` + "\n",
			want: `events.ndjson:3: field "id" is required`,
		},
		"an unknown CSV column names the valid ones": {
			name: "h.csv", content: "id,request,type,at,sites\n",
			want: `h.csv:1: unknown column "sites"; the columns are id, request, type, at, provider, customer, priority, category, title, reason, csat, comment, department, and labels.<key> for labels`,
		},
		"a CSV header without an id column": {
			name: "h.csv", content: "request,type,at\n",
			want: `h.csv:1: the header has no "id" column`,
		},
		"a CSV label column without a key": {
			name: "h.csv", content: "id,labels.\n",
			want: `h.csv:1: column "labels." names no label key`,
		},
		"a CSV column named twice": {
			name: "h.csv", content: "id,type,Type\n",
			want: `h.csv:1: column "Type" appears twice`,
		},
		"a CSV csat that is not a number": {
			name: "h.csv", content: "id,request,type,at,csat\na,r,resolved,2025-06-02T09:00:00Z,good\n",
			want: `h.csv:2: column "csat": "good" is not a whole number`,
		},
		"a CSV time that is not RFC 3339": {
			name: "h.csv", content: "id,request,type,at\na,r,responded,02.06.2025 09:00\n",
			want: `h.csv:2: column "at": "02.06.2025 09:00" is not an RFC 3339 time`,
		},
		"a CSV row with too few cells": {
			name: "h.csv", content: "id,request,type,at\na,r,responded,2025-06-02T09:00:00Z\nb,r\n",
			want: `h.csv:3: the row has 2 cells but the header 4 columns`,
		},
		"a CSV row with a stray quote": {
			name: "h.csv", content: "id,request,type,at\na,r\"x,responded,2025-06-02T09:00:00Z\n",
			want: `h.csv:2: invalid CSV at column 4: bare " in non-quoted-field`,
		},
		"a CSV row without an id": {
			name: "h.csv", content: "id,request,type,at\n,r,responded,2025-06-02T09:00:00Z\n",
			want: `h.csv:2: column "id" is empty`,
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, srv := newFakeSlad(t, "")
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, tc.name), tc.content)
			t.Chdir(dir) // so that messages name the file as given
			code, stdout, stderr := runImportCmd(t, "--server", srv.URL, "--batch", "10", tc.name)
			if code != 1 {
				t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, stdout, stderr)
			}
			if !strings.HasPrefix(stderr, tc.want) {
				t.Errorf("stderr does not start with\n  %s\n%s", tc.want, stderr)
			}
			if requests, _, _, _ := f.snapshot(); requests != tc.wantRequests {
				t.Errorf("server got %d requests, want %d", requests, tc.wantRequests)
			}
		})
	}
}

func TestCountEventsMatchesWhatIsRead(t *testing.T) {
	dir := t.TempDir()
	tests := map[string]struct {
		name, content string
		want          int64
	}{
		"NDJSON with blank lines and no final newline": {name: "a.ndjson", content: "\n{}\n  \n{}\n{}", want: 3},
		"CSV with a quoted newline":                    {name: "a.csv", content: "id,title\na,\"x\ny\"\nb,z\n", want: 2},
		"a JSON array":                                 {name: "a.json", content: "[{},\n{}]", want: 2},
		"an empty file":                                {name: "e.csv", want: 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, tc.name), tc.content)
			_, total, err := prepareSources([]string{path}, "auto")
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.want {
				t.Errorf("total = %d, want %d", total, tc.want)
			}
		})
	}
}
