package payload

import (
	"bytes"
	"testing"
)

// Socket.IO packets and the protocol 1 bytes they are sent as.
var packetToV1Vectors = []struct {
	p    Packet
	want string // "" when protocol 1 does not carry the packet
}{
	{Packet{Type: Connect, Namespace: "/", Data: []byte(`{"sid":"x"}`)}, "1::"},
	{Packet{Type: Connect, Namespace: "/chat"}, "1::/chat"},
	{Packet{Type: Disconnect, Namespace: "/chat"}, "0::/chat"},
	{Packet{Type: Event, Namespace: "/", Data: []byte(`["a",1,{"b":2}]`)}, `5:::{"name":"a","args":[1,{"b":2}]}`},
	{Packet{Type: Event, Namespace: "/", Data: []byte(`["a"]`), ID: 0, HasID: true}, `5:1+::{"name":"a"}`},
	{Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["b",{"_placeholder":true,"num":0}]`),
		Attachments: [][]byte{{1, 2, 3}}}, `5:::{"name":"b","args":["AQID"]}`},
	{Packet{Type: Ack, Namespace: "/c", Data: []byte(`["r"]`), ID: 4, HasID: true}, `6::/c:4+["r"]`},
	{Packet{Type: Ack, Namespace: "/", Data: []byte(`[]`), ID: 4, HasID: true}, `6:::4`},
	{Packet{Type: ConnectError, Namespace: "/chat", Data: []byte(`{"message":"no"}`)}, "7::/chat:2"},
	{Packet{Type: ConnectError, Namespace: "/x", Data: []byte(`{"message":"Invalid namespace"}`)}, ""},
	{Packet{Type: Event, Namespace: "/", Data: []byte(`[]`)}, ""},
}

func TestPacketToV1(t *testing.T) {
	for _, tt := range packetToV1Vectors {
		q, ok := PacketToV1(&tt.p)
		got := ""
		if ok {
			got = string(AppendV1Packet(nil, &q))
		}
		if got != tt.want {
			t.Errorf("PacketToV1(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

// Protocol 1 bytes from a client and the Socket.IO packets they stand for.
var v1ToPacketVectors = []struct {
	in    string
	typ   PacketType
	nsp   string
	data  string
	id    uint64
	hasID bool
}{
	{"3:::hi", Event, "/", `["message","hi"]`, 0, false},
	{`4:2+:/c:{"a":1}`, Event, "/c", `["message",{"a":1}]`, 2, true},
	{`5:3+::{"name":"e","args":[1, 2]}`, Event, "/", `["e",1, 2]`, 3, true},
	{`5:::{"name":"e","args":[]}`, Event, "/", `["e"]`, 0, false},
	{`6:::1+["x"]`, Ack, "/", `["x"]`, 0, true},
	{`6:::0`, Ack, "/", `[]`, ^uint64(0), true},
	{"1::/test:?a=b", Connect, "/test", `{"a":"b"}`, 0, false},
	{"1::/test?a=b", Connect, "/test", `{"a":"b"}`, 0, false},
	{"1::", Connect, "/", ``, 0, false},
	{"0::/c", Disconnect, "/c", ``, 0, false},
}

func TestV1ToPacket(t *testing.T) {
	for _, tt := range v1ToPacketVectors {
		q, err := ParseV1Packet([]byte(tt.in))
		if err != nil {
			t.Fatalf("ParseV1Packet(%q): %v", tt.in, err)
		}
		p, err := V1ToPacket(&q)
		if err != nil || p.Type != tt.typ || p.Namespace != tt.nsp || string(p.Data) != tt.data ||
			p.ID != tt.id || p.HasID != tt.hasID {
			t.Errorf("V1ToPacket(%q) = %+v, %v", tt.in, p, err)
		}
	}
	for _, in := range []string{"2::", "8::", "7:::1+0"} {
		q, _ := ParseV1Packet([]byte(in))
		if _, err := V1ToPacket(&q); err != ErrV1Ignored {
			t.Errorf("V1ToPacket(%q) = %v, want ErrV1Ignored", in, err)
		}
	}
}

func TestParseV1Frame(t *testing.T) {
	for in, want := range map[string]FrameType{"2::": FramePong, "8::": FrameNoop,
		"0::": FrameClose, "0::/chat": FrameMessage, "7:::1+0": FrameNoop,
		"9:::x": FrameNoop, "0": FrameNoop, `5:::{"name":"disconnect"}`: FrameNoop,
		`5:::{"name":"x"}`: FrameMessage} {
		if f := ParseV1Frame([]byte(in)); f.Type != want || (want == FrameMessage && string(f.Data) != in) {
			t.Errorf("ParseV1Frame(%q) = %v %q; want %v", in, f.Type, f.Data, want)
		}
	}
	for f, want := range map[FrameType]string{FramePing: "2::", FramePong: "2::", FrameClose: "0::",
		FrameNoop: "8::", FrameUpgrade: "8::"} {
		if got := string(V1FrameText(Frame{Type: f})); got != want {
			t.Errorf("V1FrameText(%v) = %q, want %q", f, got, want)
		}
	}
	if got := V1FrameText(Frame{Type: FrameMessage, Data: []byte("3:::x")}); !bytes.Equal(got, []byte("3:::x")) {
		t.Errorf("V1FrameText(message) = %q", got)
	}
}

// checkV1MessagePacket checks that V1HeaderFrame and V1MessagePacket
// answer for text as ParseV1Frame, ParseV1Packet and V1ToPacket do.
func checkV1MessagePacket(t *testing.T, text []byte) {
	t.Helper()
	want := ParseV1Frame(text)
	got := V1HeaderFrame(text)
	if got.Type != want.Type && !(want.Type == FrameNoop && got.Type == FrameMessage) {
		t.Fatalf("V1HeaderFrame(%q) = %v, ParseV1Frame %v", text, got.Type, want.Type)
	}
	if got.Type == FrameMessage && !bytes.Equal(got.Data, text) {
		t.Fatalf("V1HeaderFrame(%q) holds %q", text, got.Data)
	}
	if got.Type != FrameMessage {
		return
	}
	p, err := V1MessagePacket(text)
	if want.Type != FrameMessage {
		if err != ErrV1Ignored {
			t.Fatalf("V1MessagePacket(%q) = %+v, %v; ParseV1Frame makes it %v", text, p, err, want.Type)
		}
		return
	}
	q, _ := ParseV1Packet(text)
	wp, werr := V1ToPacket(&q)
	if err != werr || p.Type != wp.Type || p.Namespace != wp.Namespace || !bytes.Equal(p.Data, wp.Data) ||
		p.ID != wp.ID || p.HasID != wp.HasID || len(p.Attachments) != 0 {
		t.Fatalf("V1MessagePacket(%q) = %+v, %v; V1ToPacket: %+v, %v", text, p, err, wp, werr)
	}
}

// v1MessageInputs are packets for the one-pass translation: every form of
// the fast event path and what falls back from it.
var v1MessageInputs = []string{
	`5:17+::{"name":"echo","args":["a chat line"]}`, `5:::{"name":"e"}`, `5:::{"name":"e","args":[]}`,
	`5:::{"name":"e","args":[ ]}`, `5:::{"name":"e","args":[1, 2] }`, `5:3:/c?x=1:{"name":"e","args":[1]}`,
	`5::/c:{"name":"é","args":[1]}`, "5:::{\"name\":\"\u2028\",\"args\":[1]}", `5:::{"name":"a\"b","args":[1]}`,
	`5:::{"name":"disconnect"}`, `5:::{"name":"disconnect","args":[1]}`, `5:::{"args":[1],"name":"disconnect"}`,
	`5:::{"args":[1],"name":"x"}`, `5:::{"name":"x","args":[1}`, `5:::{"name":"x","args":{}}`, `5:::{"name":1}`,
	`5:::`, `5:::{"name":"x\u0000"}`, "5:::{\"name\":\"\xff\"}", `5:1+:/c:{"name":"x","args":[{"a":[1,"]"]}]}`,
	"3:::hi", "3:5:/c:x", `4:2+:/c:{"a":1}`, `4:::{"a":`, `6:::1+["x"]`, "6:::0", "6:::x", "6:::", "6:::3+{", "1::/t:?a=b",
	"1::/t?a=b", "1::", "0::", "0::/c", "2::", "8::", "7:::1+0", "9:::x", "0", "5", "5:x:", "5:1+:", "5:+::x",
	"5:99999999999999999999::{}",
}

func TestV1MessagePacket(t *testing.T) {
	for _, in := range v1MessageInputs {
		checkV1MessagePacket(t, []byte(in))
	}
	for _, tt := range v1ToPacketVectors {
		checkV1MessagePacket(t, []byte(tt.in))
	}
}

func TestV1AutoAck(t *testing.T) {
	for in, want := range map[string]string{"3:5:/c:x": "6::/c:5", `5:5+::{"name":"a"}`: "", "6:::5": "",
		"3:::x": "", "nope": "", "3:5::x": "6:::5", "3:5": "", "3:5+": "", "3:05::x": "6:::5", "x:5::y": ""} {
		if got := string(V1AutoAck([]byte(in))); got != want {
			t.Errorf("V1AutoAck(%q) = %q, want %q", in, got, want)
		}
		checkV1AutoAck(t, []byte(in))
	}
}

// checkV1AutoAck checks V1AutoAck against the ack V1Info describes.
func checkV1AutoAck(t *testing.T, text []byte) {
	t.Helper()
	var want []byte
	if typ, ep, id, auto, err := V1Info(text); err == nil && auto && typ != V1Ack {
		want = AppendV1Packet(nil, &V1Packet{Type: V1Ack, Endpoint: ep, AckID: id})
	}
	if got := V1AutoAck(text); !bytes.Equal(got, want) {
		t.Fatalf("V1AutoAck(%q) = %q, want %q", text, got, want)
	}
}

// The codec work of a 0.9 echo allocates only the event's Socket.IO data:
// the packet is framed by its header and decoded in one pass, and the ack
// is written without a copy of the packet.
func TestV1EchoAllocs(t *testing.T) {
	in := []byte(`5:17+::{"name":"echo","args":["a chat line"]}`)
	if n := testing.AllocsPerRun(100, func() {
		f := V1HeaderFrame(in)
		if f.Type != FrameMessage || V1AutoAck(f.Data) != nil {
			t.Fatalf("frame %v", f.Type)
		}
		p, err := V1MessagePacket(f.Data)
		if err != nil || string(p.Data) != `["echo","a chat line"]` || p.ID != 17 || !p.HasID {
			t.Fatalf("V1MessagePacket = %+v, %v", p, err)
		}
	}); n != 1 {
		t.Errorf("decoding the echo: %v allocations, want 1 (its data)", n)
	}
	ack := &Packet{Type: Ack, Namespace: "/", ID: 17, HasID: true, Data: []byte(`["a chat line"]`)}
	buf := make([]byte, 0, 64)
	if n := testing.AllocsPerRun(100, func() {
		q, ok := PacketToV1(ack)
		if !ok {
			t.Fatal("ack not translated")
		}
		buf = AppendV1Packet(buf[:0], &q)
	}); n != 0 {
		t.Errorf("encoding the ack: %v allocations, want 0", n)
	}
	if string(buf) != `6:::17+["a chat line"]` {
		t.Errorf("ack %s", buf)
	}
}

func TestEmptyArray(t *testing.T) {
	for in, want := range map[string]bool{"": true, " \n": true, "[]": true, " [ \t] ": true, "[1]": false,
		"[": false, "[ ": false, "]": false, "x": false, "[]]": false, "[]x": false, `[""]`: false} {
		if got := emptyArray([]byte(in)); got != want {
			t.Errorf("emptyArray(%q) = %v, want %v", in, got, want)
		}
	}
}
