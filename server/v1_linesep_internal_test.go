package server

import (
	"testing"

	"github.com/sockio/sockio/payload"
)

// TestV1EncodeEscapesLineSeparators: the protocol 1 encoding of a shared
// packet escapes U+2028 and U+2029, with or without attachments, and runs
// once however many 0.9 sessions send the packet.
func TestV1EncodeEscapesLineSeparators(t *testing.T) {
	for _, tc := range []struct {
		p    payload.Packet
		want string
	}{
		{payload.Packet{Type: payload.Event, Data: []byte("[\"m\",\"a\u2028\",{\"\u2029\":1}]")},
			`5:::{"name":"m","args":["a\u2028",{"\u2029":1}]}`},
		{payload.Packet{Type: payload.Ack, ID: 4, HasID: true, Data: []byte("[\"\u2029\"]")},
			`6:::4+["\u2029"]`},
		{payload.Packet{Type: payload.BinaryEvent, Namespace: "/c", Data: []byte("[\"m\",\"\u2028\",{\"_placeholder\":true,\"num\":0}]"),
			Attachments: [][]byte{{1, 2}}},
			`5::/c:{"name":"m","args":["\u2028","AQI="]}`},
	} {
		calls := 0
		encode := func(p *payload.Packet) []payload.Frame { calls++; return v1{}.encodePacket(p) }
		s := &payload.Shared{Packet: tc.p}
		for i := 0; i < 3; i++ { // three 0.9 receivers
			frames := s.Frames(v1{}.traits().slot, encode)
			if len(frames) != 1 || string(frames[0].Data) != tc.want {
				t.Fatalf("encodePacket(%s) = %+v, want %q", tc.p.Data, frames, tc.want)
			}
		}
		if calls != 1 {
			t.Errorf("encodePacket ran %d times for one shared packet", calls)
		}
	}
}
