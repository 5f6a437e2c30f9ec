package payload_test

import (
	"testing"

	"github.com/sockio/sockio/payload"
)

// TestWithOffset: the offset becomes the last argument of the JSON array;
// anything else is left alone, and the packet given is not modified.
func TestWithOffset(t *testing.T) {
	for _, tc := range []struct{ data, offset, want string }{
		{`["greet","world"]`, "1795843181413-0", `["greet","world","1795843181413-0"]`},
		{`["e"]`, "a1-2", `["e","a1-2"]`},
		{`[]`, "x", `["x"]`},
		{`[ ]`, "x", `[ "x"]`},
		{"[\"e\",1]\n", "x", `["e",1,"x"]`},
		{`["e"]`, `q"\`, `["e","q\"\\"]`},
		{`{"a":1}`, "x", `{"a":1}`},
		{``, "x", ``},
	} {
		p := payload.Packet{Type: payload.Event, Namespace: "/", Data: []byte(tc.data)}
		q := payload.WithOffset(&p, tc.offset)
		if string(q.Data) != tc.want {
			t.Errorf("WithOffset(%q, %q) = %q, want %q", tc.data, tc.offset, q.Data, tc.want)
		}
		if string(p.Data) != tc.data {
			t.Errorf("WithOffset modified its packet: %q", p.Data)
		}
	}
}
