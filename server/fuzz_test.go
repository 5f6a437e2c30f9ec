package server

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/sockio/sockio/payload"
)

// FuzzJSONPForm feeds arbitrary JSONP POST bodies (form encoded, the
// payload in the field "d") through every dialect as the polling
// transport does: nothing may panic, a decoded body is at most three times
// the field, and what the server writes in a JSONP callback reads back
// as the payload it wrapped.
func FuzzJSONPForm(f *testing.F) {
	for _, s := range []string{
		"d=4%3Ahello", "d=10%3A42%5B%22a%22%5D", `d=%2210%3A42%5B%5C%22a%5C%22%5D%22`,
		`d="3:::hi"`, `d="\ufffd5\ufffd3:::a"`, `d=42["a\\nb"]`, `d=4\\\\n`, "d=%", "a=1&d=4x&d=4y",
		`d="5:::{\"name\":\"x\",\"args\":[\"\u2028\"]}"`, "d=\x1e", "",
	} {
		f.Add(s)
	}
	dialects := []dialect{eio4{}, eio3{}, v1{}}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		d := form.Get("d")
		for _, dl := range dialects {
			raw := dl.DecodeJSONP(d)
			// At most each invalid byte becomes U+FFFD (3 bytes).
			if len(raw) > 3*len(d) {
				t.Fatalf("%T.DecodeJSONP(%q) = %d bytes for a %d-byte field", dl, d, len(raw), len(d))
			}
			_, _ = dl.DecodePayload(raw, "text/plain")

			// The callback the server writes holds the body as a string
			// literal JavaScript reads back unchanged.
			if !utf8.ValidString(d) {
				continue
			}
			cb := string(dl.AppendJSONP(nil, "7", []byte(d)))
			open := strings.IndexByte(cb, '(')
			if open < 0 || !strings.HasSuffix(cb, ");") || !strings.HasSuffix(cb[:open], "[7]") {
				t.Fatalf("%T.AppendJSONP(%q) = %q", dl, d, cb)
			}
			lit := cb[open+1 : len(cb)-2]
			if strings.ContainsAny(lit, "\u2028\u2029\n\r") {
				t.Fatalf("%T.AppendJSONP(%q): a raw line terminator in %q", dl, d, lit)
			}
			var back string
			if err := json.Unmarshal([]byte(lit), &back); err != nil || back != d {
				t.Fatalf("%T.AppendJSONP(%q): literal %q reads %q, %v", dl, d, lit, back, err)
			}
		}
		// A protocol 1 field is a JSON string: the client's own
		// encoding of any payload decodes back to it.
		if utf8.ValidString(d) {
			enc, _ := json.Marshal(d)
			if got := (v1{}).DecodeJSONP(string(enc)); !bytes.Equal(got, []byte(d)) {
				t.Fatalf("v1.DecodeJSONP(%s) = %q, want %q", enc, got, d)
			}
		}
	})
}

// FuzzV1Dialect feeds arbitrary client text through the dialect: no input
// may panic, and whatever decodes must encode again.
func FuzzV1Dialect(f *testing.F) {
	for _, s := range []string{"2::", "0::", "0::/c", "1::/test:?a=b", "3:1::hi", `4:1+::{"a":1}`,
		`5:2+:/chat:{"name":"msg","args":["x",1]}`, `6:::1+["x"]`, "6:::0", "7:::1+0", "\ufffd3\ufffd2::"} {
		f.Add([]byte(s))
	}
	d := v1{}
	f.Fuzz(func(t *testing.T, in []byte) {
		frames, err := d.DecodePayload(in, "text/plain")
		if err != nil {
			return
		}
		for _, fr := range frames {
			_ = d.autoAck(fr.Data)
			if fr.Type != payload.FrameMessage {
				continue
			}
			p, _, err := d.parsePacket(fr.Data)
			if err != nil {
				continue
			}
			if p.Type == payload.Event {
				if items, err := payload.SplitArgs(p.Data); err != nil || len(items) == 0 {
					t.Fatalf("%q: event data %q is not a named array", in, p.Data)
				}
			}
			_ = d.encodePacket(&p)
		}
	})
}
