package eventio

import (
	"errors"
	"strings"
	"testing"
)

// TestASemicolonOrTabSeparatedCSVIsRead (issue 13): a spreadsheet saved as
// CSV where the decimal mark is a comma separates cells with ";"; the
// header line tells the separator, and quoted cells keep theirs.
func TestASemicolonOrTabSeparatedCSVIsRead(t *testing.T) {
	tests := map[string]string{
		"comma":     "id,type,at,title\ne1,resolved,2025-06-02T09:30:00Z,\"a; b\"\n",
		"semicolon": "id;type;at;title\ne1;resolved;2025-06-02T09:30:00Z;\"a; b\"\n",
		"tab":       "id\ttype\tat\ttitle\ne1\tresolved\t2025-06-02T09:30:00Z\ta; b\n",
		"semicolon, a separator unquoted in a cell": "id;type;at;\"title\"\ne1;resolved;2025-06-02T09:30:00Z;a; b\n",
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(strings.NewReader(in), CSV)
			if err != nil {
				t.Fatal(err)
			}
			e, err := r.Read()
			if name == "semicolon, a separator unquoted in a cell" {
				// "a; b" unquoted is two cells: the row has 5 cells.
				if err == nil || !strings.Contains(err.Error(), "the row has 5 cells but the header 4 columns") {
					t.Errorf("err = %v; want the row's cells counted with ';'", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.ID != "e1" || e.Type != "resolved" || e.Title != "a; b" {
				t.Errorf("event = %+v; want e1, resolved, title \"a; b\"", e)
			}
		})
	}
}

// TestAMixedSeparatorHeaderIsToldWhatToDo: a header that mixes "," and ";"
// is read with ",", and its unknown column says how the separator is told.
func TestAMixedSeparatorHeaderIsToldWhatToDo(t *testing.T) {
	_, err := NewReader(strings.NewReader("id;type,at\n"), CSV)
	var e *Error
	if !errors.As(err, &e) || e.Line != 1 || !strings.Contains(err.Error(), `unknown column "id;type"`) ||
		!strings.Contains(err.Error(), `the header line decides the separator (",", else ";", else a tab): use one throughout`) {
		t.Errorf("err = %v; want line 1, the column and the hint", err)
	}
}
