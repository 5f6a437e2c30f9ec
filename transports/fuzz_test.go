package transports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzHTMLFileScript: an htmlfile chunk never closes its script early nor
// holds a raw line terminator, and the string it passes to the client is
// the payload, byte for byte (for valid UTF-8; invalid bytes become
// U+FFFD as in any JSON string).
func FuzzHTMLFileScript(f *testing.F) {
	for _, s := range []string{
		"", "3:::hi", "</script><script>alert(1)</script>", "\u2028\u2029", `"\/\\`,
		"\ufffd5\ufffd3:::a\ufffd3\ufffd2::", "<!--", "\x00\x1f\x7f", "\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		chunk := AppendHTMLFileScript(nil, body)
		const head, tail = "<script>_(", ");</script>"
		if !bytes.HasPrefix(chunk, []byte(head)) || !bytes.HasSuffix(chunk, []byte(tail)) {
			t.Fatalf("AppendHTMLFileScript(%q) = %q", body, chunk)
		}
		lit := string(chunk[len(head) : len(chunk)-len(tail)])
		if strings.Contains(strings.ToLower(lit), "</") || strings.Contains(lit, "<!--") {
			t.Fatalf("AppendHTMLFileScript(%q): markup in %q", body, lit)
		}
		if strings.ContainsAny(lit, "\u2028\u2029\n\r") {
			t.Fatalf("AppendHTMLFileScript(%q): a raw line terminator in %q", body, lit)
		}
		var back string
		if err := json.Unmarshal([]byte(lit), &back); err != nil {
			t.Fatalf("AppendHTMLFileScript(%q): literal %q: %v", body, lit, err)
		}
		if utf8.Valid(body) && back != string(body) {
			t.Fatalf("AppendHTMLFileScript(%q) reads back %q", body, back)
		}
	})
}
