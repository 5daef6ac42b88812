package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
	"github.com/slad-project/slad/sla/slatest"
)

// fillEvent sets every field of an sla.Event to a value that is not its
// zero value, by reflection, so that a field added to sla.Event is filled
// too; a field of a kind it cannot fill fails the test, to be taught here.
func fillEvent(t *testing.T) sla.Event {
	t.Helper()
	var e sla.Event
	v := reflect.ValueOf(&e).Elem()
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			// Nanoseconds and a UTC offset, which the encoding writes only
			// when present.
			f.Set(reflect.ValueOf(time.Date(2026, 3, 2, 9, 14, 5, 123456789, time.FixedZone("", -(4*3600+30*60)))))
		case f.Kind() == reflect.String:
			f.SetString("v-" + strings.ToLower(name) + " ∞")
		case f.Kind() == reflect.Int:
			f.SetInt(-3)
		case f.Kind() == reflect.Uint64:
			f.SetUint(1<<40 + 7)
		case f.Type() == reflect.TypeFor[map[string]string]():
			f.Set(reflect.ValueOf(map[string]string{name + "-a": "1", name + "-b": "", "": "empty key"}))
		default:
			t.Fatalf("sla.Event.%s is a %s, which fillEvent cannot fill: teach it, and the event encoding (event_codec.go) to keep it", name, f.Type())
		}
		if f.IsZero() {
			t.Fatalf("sla.Event.%s is still zero", name)
		}
	}
	return e
}

// sameEvent fails unless got has every field of want: times as the same
// instant in the same offset, everything else equal.
func sameEvent(t *testing.T, got, want sla.Event) {
	t.Helper()
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	for i := range w.NumField() {
		name := w.Type().Field(i).Name
		gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
		if wt, ok := wf.(time.Time); ok {
			gt := gf.(time.Time)
			_, goff := gt.Zone()
			_, woff := wt.Zone()
			if !gt.Equal(wt) || goff != woff {
				t.Errorf("field %s reads back as %s, want %s", name, gt.Format(time.RFC3339Nano), wt.Format(time.RFC3339Nano))
			}
			continue
		}
		if !reflect.DeepEqual(gf, wf) {
			t.Errorf("field %s reads back as %#v, want %#v", name, gf, wf)
		}
	}
}

func TestAnEventKeepsEveryFieldThroughItsEncoding(t *testing.T) {
	full := fillEvent(t)
	noProvider := full
	noProvider.Provider = ""
	unknownType := full
	unknownType.Type = "escalated"
	tests := []struct {
		name string
		ref  Ref
		e    sla.Event
	}{
		{"stored under its own request and provider", Ref{Provider: full.Provider, ID: full.Request}, full},
		{"naming no provider", Ref{Provider: "it", ID: full.Request}, noProvider},
		{"naming another provider than its key", Ref{Provider: "it", ID: full.Request}, full},
		{"naming another request than its key", Ref{Provider: full.Provider, ID: "R1"}, full},
		{"of a type without a code", Ref{Provider: full.Provider, ID: full.Request}, unknownType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			back, err := decodeEvent(tt.ref, tt.e.Seq, encodeEvent(tt.ref, &tt.e))
			if err != nil {
				t.Fatal(err)
			}
			sameEvent(t, back, tt.e)
		})
	}
	t.Run("every event type", func(t *testing.T) {
		for _, typ := range sla.EventTypes {
			e := full
			e.Type = typ
			ref := Ref{Provider: e.Provider, ID: e.Request}
			back, err := decodeEvent(ref, e.Seq, encodeEvent(ref, &e))
			if err != nil || back.Type != typ {
				t.Errorf("type %q reads back as %q, %v", typ, back.Type, err)
			}
		}
	})
}

func TestRandomEventsReadBackAsTheyWereSent(t *testing.T) {
	rng := testutil.Rand(t)
	text := func() string {
		const alphabet = "aZ09-_ .∞é\u200b\"{}\\"
		r := []rune(alphabet)
		b := make([]rune, rng.IntN(12))
		for i := range b {
			b[i] = r[rng.IntN(len(r))]
		}
		return string(b)
	}
	for range testutil.Iterations(2000) {
		e := sla.Event{
			ID: text(), Request: text(), Type: sla.EventTypes[rng.IntN(len(sla.EventTypes))],
			At:       time.Unix(rng.Int64N(4e9), rng.Int64N(2)*rng.Int64N(1e9)).In(time.FixedZone("", (rng.IntN(57)-28)*900*rng.IntN(2))),
			Provider: text(), Customer: text(), Priority: text(), Category: text(), Title: text(),
			Reason: text(), CSAT: rng.IntN(11) - 5, Comment: text(), Department: text(), Seq: rng.Uint64(),
		}
		if rng.IntN(2) == 0 {
			e.Labels = map[string]string{}
			for range 1 + rng.IntN(4) {
				e.Labels[text()] = text()
			}
		}
		ref := Ref{Provider: e.Provider, ID: e.Request}
		if rng.IntN(3) == 0 {
			ref.Provider = text()
		}
		if rng.IntN(3) == 0 {
			ref.ID = text()
		}
		back, err := decodeEvent(ref, e.Seq, encodeEvent(ref, &e))
		if err != nil {
			t.Fatalf("%+v under %v: %v", e, ref, err)
		}
		sameEvent(t, back, e)
		if d := back.Differences(&e); len(d) > 0 || t.Failed() {
			t.Fatalf("%+v under %v reads back differing in %v", e, ref, d)
		}
	}
}

func TestEveryEventTypeHasACodeThatNeverChanges(t *testing.T) {
	// The codes are stored: each type keeps the code it was first given.
	stored := []sla.EventType{"opened", "responded", "paused", "resumed", "resolved", "reopened", "cancelled", "updated", "rated", "assigned"}
	for i, typ := range stored {
		if i >= len(eventTypeCodes) || eventTypeCodes[i] != typ {
			t.Fatalf("code %d names %q in stored events; append new types to eventTypeCodes, never reorder it (codes: %v)", i+1, typ, eventTypeCodes)
		}
	}
	for _, typ := range sla.EventTypes {
		found := false
		for _, c := range eventTypeCodes {
			found = found || c == typ
		}
		if !found {
			t.Errorf("event type %q has no code: append it to eventTypeCodes (it is written by name meanwhile)", typ)
		}
	}
}

func TestAnEventCutShortOrWithBytesAfterItIsRefused(t *testing.T) {
	e := fillEvent(t)
	ref := Ref{Provider: e.Provider, ID: e.Request}
	data := encodeEvent(ref, &e)
	for n := range len(data) {
		if _, err := decodeEvent(ref, 1, data[:n]); err == nil {
			t.Errorf("the first %d of %d bytes read as an event", n, len(data))
		}
	}
	if _, err := decodeEvent(ref, 1, append(data, 0)); err == nil {
		t.Error("an event with a byte after it read without an error")
	}
	if _, err := decodeEvent(ref, 1, binary.AppendUvarint([]byte{eventCompact}, evNext)); err == nil {
		t.Error("an event with a flag this slad does not write read without an error")
	}
}

func TestAnEventStoredAsJSONReadsAsItWasSent(t *testing.T) {
	e := fillEvent(t)
	data, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeEvent(Ref{Provider: "any", ID: "other"}, e.Seq, data)
	if err != nil {
		t.Fatal(err)
	}
	sameEvent(t, back, e)
}

func TestAnOpenedEventTakesUnderHalfItsJSON(t *testing.T) {
	// The "opened" event the benchmark sends, as a ticket system would.
	e := sla.Event{ID: "b123456-o", Request: "b123456", Type: sla.Opened, At: time.Date(2026, 3, 2, 8, 59, 40, 0, time.UTC),
		Provider: "d00", Customer: "d13", Priority: "P3", Category: "c2",
		Title:  "bench request 123456 of the sales floor: the laptop does not start",
		Labels: map[string]string{"site": "berlin"}}
	j, err := json.Marshal(&e)
	if err != nil {
		t.Fatal(err)
	}
	ref := Ref{Provider: e.Provider, ID: e.Request}
	if got := len(encodeEvent(ref, &e)); got*2 > len(j) {
		t.Errorf("the event takes %d bytes, its JSON %d: want under half", got, len(j))
	}
}

// TestEachFieldOfARepeatedIDDecidesDuplicateOrConflict sends, for each field
// of sla.Event, the stored event again with that field changed: a conflict
// naming the field, while the unchanged repeat is a duplicate. The stored
// event is read back from its encoding, so a field the encoding lost
// would make a repeat look like a conflict, or a conflict a duplicate.
func TestEachFieldOfARepeatedIDDecidesDuplicateOrConflict(t *testing.T) {
	s := openTest(t, t.TempDir(), testutil.NewClock(slatest.T0))
	ctx := context.Background()
	base := fillEvent(t)
	base.Type, base.At = sla.Opened, slatest.T0
	if _, err := s.Append(ctx, []sla.Event{base}); err != nil {
		t.Fatal(err)
	}
	same := base
	same.At = base.At.UTC() // the same instant, written in another offset
	same.Seq = 0
	res, err := s.Append(ctx, []sla.Event{same})
	if err != nil || res.Duplicates != 1 {
		t.Fatalf("the same event again: %+v, %v; want a duplicate", res, err)
	}
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		name := v.Type().Field(i).Name
		if name == "ID" || name == "Seq" || name == "Provider" || name == "Request" {
			continue // the id itself; not part of the event; where it goes
		}
		changed := base
		changed.Labels = map[string]string{"other": "labels"}
		if name != "Labels" {
			changed.Labels = base.Labels
		}
		f := reflect.ValueOf(&changed).Elem().Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "!")
		case reflect.Int:
			f.SetInt(f.Int() + 1)
		case reflect.Struct:
			changed.At = base.At.Add(time.Second)
		}
		_, err := s.Append(ctx, []sla.Event{changed})
		var ce *ConflictError
		if !errors.As(err, &ce) || !slices.Contains(ce.Stored.Differences(&ce.Sent), strings.ToLower(name)) {
			t.Errorf("the event with %s changed: %v; want a conflict in %s", name, err, strings.ToLower(name))
		}
	}
	view, err := s.Request(Ref{Provider: base.Provider, ID: base.Request})
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Events) != 1 {
		t.Fatalf("%d events stored, want 1", len(view.Events))
	}
	base.Seq = view.Events[0].Seq
	sameEvent(t, view.Events[0], base)
}

// rawEvents returns the stored bytes of every event, by key.
func rawEvents(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string][]byte{}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			out[string(k)] = bytes.Clone(v)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestADatabaseOfJSONEventsIsMigratedToCompactOnesThatReadTheSame(t *testing.T) {
	dir := t.TempDir()
	clock := testutil.NewClock(slatest.T0.Add(3 * 24 * time.Hour))
	s := openTest(t, dir, clock)
	full := fillEvent(t)
	full.Type, full.At, full.Provider, full.Seq = sla.Opened, slatest.T0, "it", 0
	events := append(slatest.RandomHistories(testutil.Rand(t), 20), full)
	if _, err := s.Append(context.Background(), events); err != nil {
		t.Fatal(err)
	}
	views := func(s *Store) map[Ref]RequestView {
		out := map[Ref]RequestView{}
		for _, e := range events {
			ref := Ref{Provider: "it", ID: e.Request}
			v, err := s.Request(ref)
			if err != nil {
				t.Fatalf("%s: %v", ref, err)
			}
			out[ref] = v
		}
		return out
	}
	want := views(s)
	s.Close()
	rewind(t, dir, 10, nil)
	for k, v := range rawEvents(t, dir) {
		if v[0] != '{' {
			t.Fatalf("event %q is not JSON after the rewind: %q", k, v)
		}
	}

	s = openTest(t, dir, clock)
	got := views(s)
	for ref, w := range want {
		g := got[ref]
		if len(g.Events) != len(w.Events) {
			t.Fatalf("%s has %d events after the migration, want %d", ref, len(g.Events), len(w.Events))
		}
		for i := range w.Events {
			sameEvent(t, g.Events[i], w.Events[i])
		}
	}
	res, err := s.Append(context.Background(), events)
	if err != nil || res.Duplicates != len(events) {
		t.Errorf("every event sent again after the migration: %+v, %v; want %d duplicates", res, err, len(events))
	}
	s.Close()
	for k, v := range rawEvents(t, dir) {
		if v[0] != eventCompact {
			t.Fatalf("event %q is not in the compact encoding after the migration: %q", k, v)
		}
	}
}

// FuzzDecodeEvent: whatever bytes an event's place holds, decodeEvent
// never panics, and an event it reads encodes and reads back as the same
// event (sla.Event.Differences: an empty set of labels is none) at the
// same offset (an offset of zero reads back as UTC).
//
//	go test ./store -run '^$' -fuzz FuzzDecodeEvent -fuzztime 1m
func FuzzDecodeEvent(f *testing.F) {
	ref := Ref{Provider: "it", ID: "R1"}
	for _, typ := range sla.EventTypes {
		e := slatest.Event("e-"+string(typ), ref.ID, typ, slatest.T0, func(e *sla.Event) { e.Provider, e.Reason = ref.Provider, "waiting_for_customer" })
		f.Add(encodeEvent(ref, &e))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := decodeEvent(ref, 7, data)
		if err != nil {
			return
		}
		back, err := decodeEvent(ref, 7, encodeEvent(ref, &e))
		_, offset := e.At.Zone()
		_, backOffset := back.At.Zone()
		if err != nil || len(e.Differences(&back)) > 0 || backOffset != offset || back.Seq != e.Seq {
			t.Fatalf("%x reads as\n%+v\nwhich encodes and reads back as\n%+v (%v)", data, e, back, err)
		}
	})
}
