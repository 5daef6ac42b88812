package eventio

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/sla"
)

// TestFastFieldsAreTheEventsFields: decodeFast reads every field of the
// contract, and no other key.
func TestFastFieldsAreTheEventsFields(t *testing.T) {
	got, want := slices.Sorted(slices.Values(fastFields[:])), slices.Sorted(slices.Values(Fields))
	if !slices.Equal(got, want) {
		t.Fatalf("decodeFast reads %v; the event's fields are %v", got, want)
	}
}

// sameAsJSON fails t unless data, which decodeFast took, is an event that
// encoding/json decodes without error to the same value.
func sameAsJSON(t *testing.T, data []byte) {
	t.Helper()
	fast, ok := decodeFast(data)
	if !ok {
		return
	}
	for _, ndjson := range []bool{false, true} {
		slow, err := decodeJSON(data, ndjson)
		if err != nil {
			t.Fatalf("decodeFast took %q, which encoding/json refuses: %v", data, err)
		}
		if !reflect.DeepEqual(fast, slow) {
			t.Fatalf("%q: decodeFast gives %+v, encoding/json %+v", data, fast, slow)
		}
	}
}

// FuzzDecodeFast: whatever decodeFast takes, encoding/json takes too, as
// the same event.
func FuzzDecodeFast(f *testing.F) {
	for _, seed := range []string{
		`{"id":"e1","request":"R1","type":"opened","at":"2026-11-23T09:14:00Z","provider":"it","customer":"sales","labels":{"site":"berlin"}}`,
		` { "id" : "e2" , "csat" : 5, "type": "rated", "comment": "ok", "at": "2026-11-23T09:14:00.5+02:00" } `,
		`{"id":"e3","csat":-12,"labels":{}}`,
		`{"id":"e4","csat":05}`,
		`{"id":"e5","at":"2026-11-23T09:14:00"}`,
		`{"id":"e6","ID":"x"}`,
		`{"id":"e7","labels":{"a":"1","a":"2"}}`,
		`{"id":"e8"} x`,
		`{"id":"e9","csat":1e2}`,
		`{"id":"e10","csat":0}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) { sameAsJSON(t, data) })
}

// TestDecodeFastAgreesWithJSON compares the two decoders on random events
// as senders write them, and on each with a byte changed, added or cut:
// decodeFast takes the plain ones, and whatever it takes it reads as
// encoding/json does.
func TestDecodeFastAgreesWithJSON(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 1))
	t.Logf("seed %d", seed)
	took := 0
	for range 3000 {
		data := randomEventJSON(rnd)
		if _, ok := decodeFast(data); ok {
			took++
		} else if strings.IndexFunc(string(data), func(r rune) bool { return r < 0x20 || r > 0x7E }) < 0 && !strings.Contains(string(data), `\`) {
			t.Fatalf("decodeFast did not take the plain event %s", data)
		}
		sameAsJSON(t, data)
		for range 5 {
			sameAsJSON(t, mutate(rnd, data))
		}
	}
	if took == 0 {
		t.Fatal("decodeFast took no event")
	}
}

// randomEventJSON writes a random event as JSON, its fields in a random
// order, with random white space between tokens.
func randomEventJSON(rnd *rand.Rand) []byte {
	text := func() string {
		const chars = "abcXYZ09 -_./:é\t\"\\\u2028"
		n := rnd.IntN(12)
		var b strings.Builder
		for range n {
			if rnd.IntN(20) == 0 {
				b.WriteString(string([]rune(chars)[rnd.IntN(len([]rune(chars)))]))
			} else {
				b.WriteByte("abcdefXYZ0123 -_."[rnd.IntN(17)])
			}
		}
		return b.String()
	}
	quote := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	var fields []string
	for _, name := range Fields {
		if rnd.IntN(3) == 0 {
			continue
		}
		var v string
		switch name {
		case "at":
			at := time.Date(2026, 11, 23, 9, 14, 0, 0, time.UTC).Add(time.Duration(rnd.Int64N(1e15)))
			layouts := []string{time.RFC3339, time.RFC3339Nano, "2006-01-02T15:04:05.000-07:00"}
			v = quote(at.In(time.FixedZone("", (rnd.IntN(25)-12)*3600)).Format(layouts[rnd.IntN(len(layouts))]))
		case "csat":
			v = []string{"0", "1", "5", "-3", "123456789", "1234567890", "1.5", "2e1", "00"}[rnd.IntN(9)]
		case "labels":
			var kv []string
			for range rnd.IntN(4) {
				kv = append(kv, quote(text())+":"+quote(text()))
			}
			v = "{" + strings.Join(kv, ",") + "}"
		default:
			v = quote(text())
		}
		fields = append(fields, quote(name)+":"+v)
	}
	rnd.Shuffle(len(fields), func(i, j int) { fields[i], fields[j] = fields[j], fields[i] })
	space := func() string { return []string{"", "", " ", "\n", "\t ", "\r\n"}[rnd.IntN(6)] }
	var b strings.Builder
	b.WriteString(space() + "{")
	for i, f := range fields {
		if i > 0 {
			b.WriteString(space() + ",")
		}
		name, value, _ := strings.Cut(f, ":")
		b.WriteString(space() + name + space() + ":" + space() + value)
	}
	b.WriteString(space() + "}" + space())
	return []byte(b.String())
}

// mutate changes, adds or cuts one byte of data, in a copy.
func mutate(rnd *rand.Rand, data []byte) []byte {
	out := slices.Clone(data)
	if len(out) == 0 {
		return out
	}
	i := rnd.IntN(len(out))
	c := `{}[]:,"\ 0123456789-.eEnulltrue` + "\x00\xff\xc3"
	switch rnd.IntN(3) {
	case 0:
		out[i] = c[rnd.IntN(len(c))]
	case 1:
		out = slices.Insert(out, i, c[rnd.IntN(len(c))])
	default:
		out = slices.Delete(out, i, i+1)
	}
	return out
}

// BenchmarkDecode compares decode on an event as senders write it with
// encoding/json alone.
func BenchmarkDecode(b *testing.B) {
	data := []byte(`{"id":"bench1-o","request":"bench1","type":"opened","at":"2026-03-02T08:59:30Z","provider":"it","customer":"sales","priority":"P3","category":"incident","title":"bench request 1 of the sales floor: the laptop does not start","labels":{"site":"berlin"}}`)
	for _, c := range []struct {
		name   string
		decode func([]byte, bool) (sla.Event, error)
	}{{"decode", decode}, {"json", decodeJSON}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.decode(data, true); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// FuzzNDJSONLines: NDJSON held whole is cut into the same events, on the
// same lines, as NDJSON read through a scanner.
func FuzzNDJSONLines(f *testing.F) {
	for _, seed := range []string{"", "\n", "a", "a\n", "\xef\xbb\xbf{}\r\n\n {} \n\r\n", "\n\n\xef\xbb\xbfx\n y"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		type token struct {
			raw  string
			line int
		}
		read := func(next func(int) ([]byte, int, error)) (out []token) {
			for {
				raw, line, err := next(len(out))
				if err != nil {
					if !errors.Is(err, io.EOF) {
						t.Fatalf("%q: %v", input, err)
					}
					return out
				}
				out = append(out, token{string(raw), line})
			}
		}
		sc := bufio.NewScanner(strings.NewReader(input))
		sc.Buffer(make([]byte, 0, 64<<10), MaxLine)
		want := read((&ndjsonInput{sc: sc}).next)
		if got := read((&ndjsonLines{rest: []byte(input)}).next); !slices.Equal(got, want) {
			t.Fatalf("%q: cut into %+v, scanned into %+v", input, got, want)
		}
	})
}

// TestArrayLinesAreCountedOn: the line of each event of a JSON array,
// counted on from the event before, is the line its "{" is on.
func TestArrayLinesAreCountedOn(t *testing.T) {
	rnd := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
	compared := 0
	for range 200 {
		var b strings.Builder
		var want []int
		b.WriteString("[")
		for i := range 1 + rnd.IntN(8) {
			if i > 0 {
				b.WriteString([]string{",", "\n,", ",\n\n"}[rnd.IntN(3)])
			}
			e := string(randomEventJSON(rnd))
			brace := b.Len() + strings.IndexByte(e, '{')
			want = append(want, 1+strings.Count(b.String()+e[:brace-b.Len()], "\n"))
			b.WriteString(e)
		}
		b.WriteString("]")
		r, err := NewReader(bytes.NewBufferString(b.String()), JSON)
		if err != nil {
			continue // an event the random text made invalid
		}
		var got []int
		for {
			if _, err := r.Read(); err != nil {
				break
			}
			got = append(got, r.Line())
		}
		if len(got) == len(want) {
			compared++
			if !slices.Equal(got, want) {
				t.Fatalf("%q: lines %v, want %v", b.String(), got, want)
			}
		}
	}
	if compared == 0 {
		t.Fatal("no array was read whole")
	}
}
