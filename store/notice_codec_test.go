package store

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/slad-project/slad/alert/lifecycle"
	"github.com/slad-project/slad/sla"
)

// fullNotice sets every field of a notice to a value that is not zero,
// by reflection, so that a field added to lifecycle.Notice and not to the
// codec is caught.
func fullNotice(t *testing.T) lifecycle.Notice {
	t.Helper()
	var n lifecycle.Notice
	v := reflect.ValueOf(&n).Elem()
	berlin := time.FixedZone("", 3600)
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch {
		case f.Type() == reflect.TypeFor[time.Time]():
			f.Set(reflect.ValueOf(time.Date(2026, 3, 2, 9, 14, 5, 123456789+i, berlin)))
		case f.Type() == reflect.TypeFor[*lifecycle.Digest]():
			f.Set(reflect.ValueOf(&lifecycle.Digest{Department: "it", Slot: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC), Provides: []lifecycle.DigestSLA{{SLA: "it-sales", Party: "Sales"}}}))
		case f.Kind() == reflect.String:
			f.SetString(name + " «naïve» \x00 value")
		case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
			f.SetInt(-int64(1000 + i))
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		case f.Kind() == reflect.Float64:
			f.SetFloat(0.8 + float64(i))
		default:
			t.Fatalf("lifecycle.Notice.%s is a %s: teach fullNotice and the notice codec (notice_codec.go) to store it", name, f.Type())
		}
	}
	return n
}

func TestEveryNoticeFieldIsStored(t *testing.T) {
	n := fullNotice(t)
	data, err := encodeNotice(&n)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeNotice(data)
	if err != nil {
		t.Fatal(err)
	}
	// What receivers get is the notice's JSON: it must not tell the two apart.
	want, _ := json.Marshal(n)
	got, _ := json.Marshal(back)
	if string(got) != string(want) {
		t.Errorf("a notice stored and read back is\n%s\nwant\n%s", got, want)
	}
	if !back.FiredAt.Equal(n.FiredAt) || !reflect.DeepEqual(back.Digest, n.Digest) {
		t.Errorf("read back %+v", back)
	}
	if json, _ := json.Marshal(n); len(data) >= len(json)*3/4 {
		t.Errorf("the stored notice takes %d bytes, its JSON %d", len(data), len(json))
	}
}

func TestANoticeWithOnlySomeFieldsComesBackAsItWas(t *testing.T) {
	for _, n := range []lifecycle.Notice{
		{},
		{ID: "msg_1", Stage: lifecycle.StageBreach, Target: sla.Response, TargetSeconds: 1800, FiredAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)},
		{ID: "msg_2", Stage: lifecycle.StageWarning, WarnAt: 0.5, Escalation: 3, Deadline: time.Unix(0, 1).UTC()},
	} {
		data, err := encodeNotice(&n)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := decodeNotice(data); err != nil || !reflect.DeepEqual(back, n) {
			t.Errorf("%+v came back as %+v, %v", n, back, err)
		}
	}
}

func TestANoticeStoredAsJSONIsReadAsJSON(t *testing.T) {
	n := lifecycle.Notice{ID: "msg_1", Stage: lifecycle.StageResolved, RequestID: "R1", FiredAt: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	data, _ := json.Marshal(n)
	if back, err := decodeNotice(data); err != nil || back != n {
		t.Errorf("%s read as %+v, %v", data, back, err)
	}
}

func TestADamagedNoticeIsAnErrorNotAGuess(t *testing.T) {
	n := fullNotice(t)
	data, _ := encodeNotice(&n)
	for name, bad := range map[string][]byte{
		"empty":           nil,
		"unknown version": append([]byte{9}, data[1:]...),
		"cut short":       data[:len(data)/2],
		"unknown field":   append([]byte{noticeBinary, 200}, data[1:]...),
	} {
		if _, err := decodeNotice(bad); err == nil {
			t.Errorf("%s: decoded without an error", name)
		} else if strings.Contains(err.Error(), "%!") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
