package payload

import (
	"bytes"
	"strconv"
	"testing"
)

// The 0.9 client reads an ack's arguments with /^([0-9]+)(\+)?(.*)/, whose
// "." stops at U+2028 and U+2029: every JSON text written for it has them
// escaped, whether it came from encoding/json (which escapes them) or
// arrived raw from a client and is forwarded as written.
func TestAppendV1PacketEscapesLineSeparators(t *testing.T) {
	for _, tt := range []struct {
		p    V1Packet
		want string
	}{
		{V1Packet{Type: V1Event, Name: "m", Args: []byte("[\"a\u2028b\u2029c\"]")},
			`5:::{"name":"m","args":["a\u2028b\u2029c"]}`},
		{V1Packet{Type: V1Event, Name: "m\u2028", ID: 3, HasID: true, AckData: true, Args: []byte("[{\"\u2029\":\"\u2028\u2028\"}]")},
			`5:3+::{"name":"m\u2028","args":[{"\u2029":"\u2028\u2028"}]}`},
		{V1Packet{Type: V1Ack, AckID: 4, Endpoint: "/chat", Args: []byte("[\"\u2028\",1]")},
			`6::/chat:4+["\u2028",1]`},
		{V1Packet{Type: V1JSON, Data: []byte("\"x\u2029\"")}, `4:::"x\u2029"`},
		// Other characters that start with 0xE2 are kept, and so are
		// escapes already written.
		{V1Packet{Type: V1Ack, AckID: 1, Args: []byte(`["€—\u2028","\u2029\\u2028"]`)},
			`6:::1+["€—\u2028","\u2029\\u2028"]`},
		{V1Packet{Type: V1Ack, AckID: 1, Args: []byte("[\"\xe2\x80\"]")}, "6:::1+[\"\xe2\x80\"]"},
		// A message is raw text, not JSON: kept as is.
		{V1Packet{Type: V1Message, Data: []byte("a\u2028b")}, "3:::a\u2028b"},
	} {
		got := AppendV1Packet(nil, &tt.p)
		if string(got) != tt.want {
			t.Errorf("AppendV1Packet(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// TestV1PayloadLengthAfterEscaping: the \ufffd<len>\ufffd prefix counts
// the escaped packet (\u2028 is 6 UTF-16 units where U+2028 is 1).
func TestV1PayloadLengthAfterEscaping(t *testing.T) {
	a := AppendV1Packet(nil, &V1Packet{Type: V1Ack, AckID: 1, Args: []byte("[\"\u2028\"]")})
	b := AppendV1Packet(nil, &V1Packet{Type: V1Event, Name: "e", Args: []byte("[\"\u2029é😀\"]")})
	body := AppendV1Payload(nil, a, b)
	want := "\ufffd" + strconv.Itoa(len(`6:::1+["\u2028"]`)) + "\ufffd" + `6:::1+["\u2028"]` +
		"\ufffd37\ufffd" + // 37 UTF-16 units: \u2029 is 6, é 1, 😀 2
		`5:::{"name":"e","args":["\u2029é😀"]}`
	if string(body) != want {
		t.Fatalf("AppendV1Payload = %q, want %q", body, want)
	}
	ps, err := DecodeV1Payload(body)
	if err != nil || len(ps) != 2 || !bytes.Equal(ps[0], a) || !bytes.Equal(ps[1], b) {
		t.Fatalf("DecodeV1Payload(%q) = %q, %v", body, ps, err)
	}
}

func BenchmarkAppendLineSafe(b *testing.B) {
	src := []byte(`["hello from a 0.9 client — and a line separator`) // no U+2028: the common case
	src = append(src, `"]`...)
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		buf = appendLineSafe(buf[:0], src)
	}
}
