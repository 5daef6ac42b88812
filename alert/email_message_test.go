package alert

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime"
	"net/mail"
	"strings"
	"testing"

	"github.com/slad-project/slad/internal/testutil"
)

// TestAHeaderValueStartsOnTheFieldsLineAndEncodedWordsFitTheirLines: a
// folded subject never breaks right after its name, and one that must be
// encoded decodes back to itself, in encoded-words that keep each line
// after the first within RFC 2047's 76 characters (the first, which
// carries the name, within maxHeaderLine).
func TestAHeaderValueStartsOnTheFieldsLineAndEncodedWordsFitTheirLines(t *testing.T) {
	cases := map[string]string{
		"ASCII, left as it is":           "[slad] IT Service Desk missed its 4h target to resolve Sales' P1 'VPN down for the <sales> floor' (1m over)",
		"a dash in a long title":         "[slad] IT Service Desk has 28 seconds left to answer Sales' P1 'VPN down — the sales floor can't reach the CRM <b>now</b>' (53% of 1m used)",
		"accents everywhere":             "[slad] Ventes Île-de-France: le VPN ne marche plus — tout l'étage est bloqué depuis ce matin, même les imprimantes",
		"characters of four bytes":       "[slad] 🔥🔥🔥 " + strings.TrimSpace(strings.Repeat("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ", 12)),
		"Q's own signs in the text":      "[slad] a=b? c_d =?utf-8?q?not_a_word?= é",
		"one short word":                 "é",
		"ASCII that looks encoded":       "[slad] P1 '=?utf-8?q?=E2=9C=85_all_fine?=' (1m over)",
		"a long word without any spaces": strings.Repeat("é", 200),
	}
	rng := rand.New(rand.NewPCG(testutil.Seed(t, 0), 1))
	for i := range 50 {
		// A subject has a word at least ("[slad] " and a summary): one
		// drawn of spaces alone would be empty.
		cases[fmt.Sprint("random ", i)] = strings.TrimSpace(randomText(rng, "ab c_=?'<>—éÎ🔥\u00a0", 300) + " x")
	}
	for name, subject := range cases {
		t.Run(name, func(t *testing.T) {
			value := encodeText(subject, maxHeaderLine-len("Subject: "))
			var raw bytes.Buffer
			writeHeader(&raw, "Subject", value)
			lines := strings.Split(strings.TrimSuffix(raw.String(), "\r\n"), "\r\n")
			if lines[0] == "Subject:" {
				t.Errorf("the value starts on the next line:\n%s", raw.String())
			}
			for i, line := range lines {
				limit := maxHeaderLine
				if i > 0 && value != subject {
					limit = 76
				}
				if len(line) > limit {
					t.Errorf("line %d is %d characters long, more than %d: %q", i+1, len(line), limit, line)
				}
			}
			unfolded := strings.ReplaceAll(strings.TrimSuffix(raw.String(), "\r\n"), "\r\n ", " ")
			got, err := new(mime.WordDecoder).DecodeHeader(strings.TrimPrefix(unfolded, "Subject: "))
			if err != nil || got != subject {
				t.Errorf("decodes to %q (%v), want %q\nraw:\n%s", got, err, subject, raw.String())
			}
		})
	}
}

// TestAnAddressWithAnyNameFoldsWithinItsLinesAndParsesBack: a From or To
// whose names are long, not ASCII or full of signs an address list gives
// a meaning to keeps every line within maxHeaderLine, and a reader parses
// back each name and address as they were.
func TestAnAddressWithAnyNameFoldsWithinItsLinesAndParsesBack(t *testing.T) {
	cases := map[string][]*mail.Address{
		"no name":                    {{Address: "slad@example.com"}},
		"an ASCII name":              {{Name: "slad alerts", Address: "slad@example.com"}},
		"an ASCII name to quote":     {{Name: `Service Desk, "IT" <Level 2>`, Address: "desk@example.com"}},
		"a long name with accents":   {{Name: "Département Informatique — Support de niveau 2 de l'Île-de-France et des régions", Address: "it@example.fr"}},
		"signs of an address list":   {{Name: "Müller, Jörg <IT>; (on call) \"Ops\"", Address: "joerg@example.de"}},
		"characters of four bytes":   {{Name: strings.Repeat("🔥", 30), Address: "fire@example.com"}},
		"two recipients, both named": {{Name: "Équipe réseau — astreinte de nuit et de fin de semaine", Address: "net@example.fr"}, {Name: "Service Desk", Address: "desk@example.com"}},
	}
	rng := rand.New(rand.NewPCG(testutil.Seed(t, 0), 2))
	for i := range 30 {
		cases[fmt.Sprint("random ", i)] = []*mail.Address{{Name: randomText(rng, "ab ,;<>\"()@:=?_é🔥", 120), Address: "r@example.com"}}
	}
	for name, addrs := range cases {
		t.Run(name, func(t *testing.T) {
			for _, field := range []string{"From", "To"} {
				values := make([]string, len(addrs))
				for i, a := range addrs {
					values[i] = formatAddress(a, maxEncodedWord)
				}
				values[0] = formatAddress(addrs[0], maxHeaderLine-len(field+": "))
				var raw bytes.Buffer
				writeHeader(&raw, field, strings.Join(values, ", "))
				for i, line := range strings.Split(strings.TrimSuffix(raw.String(), "\r\n"), "\r\n") {
					if len(line) > maxHeaderLine {
						t.Errorf("%s line %d is %d characters long, more than %d: %q", field, i+1, len(line), maxHeaderLine, line)
					}
				}
				unfolded := strings.ReplaceAll(strings.TrimSuffix(raw.String(), "\r\n"), "\r\n ", " ")
				got, err := mail.ParseAddressList(strings.TrimPrefix(unfolded, field+": "))
				if err != nil {
					t.Fatalf("%s does not parse: %v\nraw:\n%s", field, err, raw.String())
				}
				if len(got) != len(addrs) {
					t.Fatalf("%s parses to %d addresses, want %d\nraw:\n%s", field, len(got), len(addrs), raw.String())
				}
				for i := range addrs {
					if *got[i] != *addrs[i] {
						t.Errorf("%s address %d parses to %q <%s>, want %q <%s>\nraw:\n%s", field, i+1, got[i].Name, got[i].Address, addrs[i].Name, addrs[i].Address, raw.String())
					}
				}
			}
		})
	}
}

// randomText draws up to most characters of alphabet, its runs of spaces
// made one space and none at its ends, as slad writes a header's text.
func randomText(rng *rand.Rand, alphabet string, most int) string {
	runes := []rune(alphabet)
	var b strings.Builder
	for range rng.IntN(most) + 1 {
		b.WriteRune(runes[rng.IntN(len(runes))])
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
