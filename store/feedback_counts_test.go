package store

import (
	"encoding/json"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
	"github.com/slad-project/slad/sla"
)

// TestAFeedbackDayAggregateReadsBackAsWritten: every count encoding/json
// writes (each field 0 or not, small and large) reads back as it was,
// without encoding/json.
func TestAFeedbackDayAggregateReadsBackAsWritten(t *testing.T) {
	rng := testutil.Rand(t)
	values := []int64{0, 1, 9, 10, 12345, 1<<62 - 1}
	for range testutil.Iterations(2000) {
		var n sla.NPSCounts
		for _, f := range []*int64{&n.Promoters, &n.Passives, &n.Detractors} {
			if rng.IntN(3) > 0 {
				*f = values[rng.IntN(len(values))]
			}
		}
		data, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := readNPSCounts(data)
		if !ok || got != n {
			t.Fatalf("%s read %+v, %v; want %+v read without encoding/json", data, got, ok, n)
		}
	}
}

// FuzzDecodeNPSCounts holds the hand-written reading of a feedback day
// aggregate to encoding/json's: whatever it reads, encoding/json reads
// the same, and what it leaves is read by encoding/json.
func FuzzDecodeNPSCounts(f *testing.F) {
	for _, seed := range []string{
		`{}`, `{"promoters":3}`, `{"passives":2,"detractors":1}`, `{"promoters":1,"passives":2,"detractors":3}`,
		`{"passives":1,"promoters":2}`, `{"promoters":0}`, `{"promoters":-1}`, `{"promoters":1,}`, `{ "promoters":1}`,
		`{"promoters":1,"promoters":2}`, `{"promoters":99999999999999999999}`, `{"Promoters":4}`, `null`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want sla.NPSCounts
		wantErr := json.Unmarshal(data, &want)
		if got, ok := readNPSCounts(data); ok && (wantErr != nil || got != want) {
			t.Fatalf("%q read by hand as %+v; encoding/json reads %+v, %v", data, got, want, wantErr)
		}
		got, err := decodeNPSCounts(data)
		if (err != nil) != (wantErr != nil) || err == nil && got != want {
			t.Fatalf("%q decoded as %+v, %v; encoding/json reads %+v, %v", data, got, err, want, wantErr)
		}
	})
}
