package api

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
)

// jsonStream writes a long compact JSON answer a value at a time through
// a buffer, instead of building the whole answer and then encoding it:
// the answer's memory is one value's, whatever the length of the list.
type jsonStream struct {
	w   *bufio.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func newJSONStream(w io.Writer) *jsonStream {
	s := &jsonStream{w: bufio.NewWriterSize(w, 64<<10)}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false) // as writeJSON
	return s
}

// raw writes JSON text as it is (brackets, commas, keys).
func (s *jsonStream) raw(text string) {
	if s.err == nil {
		_, s.err = s.w.WriteString(text)
	}
}

// value writes v encoded, without the newline the encoder ends it with.
func (s *jsonStream) value(v any) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	if s.err = s.enc.Encode(v); s.err == nil {
		_, s.err = s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
	}
}

// close flushes what is buffered and returns the first error.
func (s *jsonStream) close() error {
	if s.err == nil {
		s.err = s.w.Flush()
	}
	return s.err
}
