package payload

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func TestPacketTypeString(t *testing.T) {
	want := []string{"CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK"}
	for i, w := range want {
		if got := PacketType(i).String(); got != w {
			t.Errorf("PacketType(%d) = %q, want %q", i, got, w)
		}
	}
	if got := PacketType(7).String(); got != "UNKNOWN" {
		t.Errorf("PacketType(7) = %q, want UNKNOWN", got)
	}
}

func TestNsp(t *testing.T) {
	for _, tt := range []struct{ ns, want string }{{"", "/"}, {"/", "/"}, {"/admin", "/admin"}} {
		p := Packet{Namespace: tt.ns}
		if got := p.Nsp(); got != tt.want {
			t.Errorf("Packet{Namespace: %q}.Nsp() = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

// sioVectors are the Socket.IO 5 rows of protocol-eio.md §9, plus a few
// more. enc is the canonical encoding AppendPacket gives for the decoded
// packet ("" when it is the input itself).
var sioVectors = []struct {
	in    string
	typ   PacketType
	nsp   string
	id    uint64
	hasID bool
	data  string // "" for nil
	atts  int
	enc   string
}{
	{in: "0", typ: Connect, nsp: "/"},
	{in: `0{"token":"123"}`, typ: Connect, nsp: "/", data: `{"token":"123"}`},
	{in: "0/admin,", typ: Connect, nsp: "/admin"},
	{in: "0/admin", typ: Connect, nsp: "/admin", enc: "0/admin,"},
	{in: "0/random", typ: Connect, nsp: "/random", enc: "0/random,"},
	{in: `0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}`, typ: Connect, nsp: "/admin", data: `{"sid":"oSO0OpakMV_3jnilAAAA"}`},
	{in: "1", typ: Disconnect, nsp: "/"},
	{in: "1/admin,", typ: Disconnect, nsp: "/admin"},
	{in: `2["foo"]`, typ: Event, nsp: "/", data: `["foo"]`},
	{in: `2/admin,["bar"]`, typ: Event, nsp: "/admin", data: `["bar"]`},
	{in: `212["foo"]`, typ: Event, nsp: "/", id: 12, hasID: true, data: `["foo"]`},
	{in: `2/admin,456["project:delete",123]`, typ: Event, nsp: "/admin", id: 456, hasID: true, data: `["project:delete",123]`},
	{in: `2["foo",1]`, typ: Event, nsp: "/", data: `["foo",1]`},
	{in: `2[42,"x"]`, typ: Event, nsp: "/", data: `[42,"x"]`},
	{in: `2[-1]`, typ: Event, nsp: "/", data: `[-1]`},
	{in: `2[ "foo" ]`, typ: Event, nsp: "/", data: `[ "foo" ]`},
	{in: `2["connected"]`, typ: Event, nsp: "/", data: `["connected"]`},
	{in: `20["foo"]`, typ: Event, nsp: "/", id: 0, hasID: true, data: `["foo"]`},
	{in: `2/,["foo"]`, typ: Event, nsp: "/", data: `["foo"]`, enc: `2["foo"]`},
	{in: `2007["foo"]`, typ: Event, nsp: "/", id: 7, hasID: true, data: `["foo"]`, enc: `27["foo"]`},
	{in: `218446744073709551615["foo"]`, typ: Event, nsp: "/", id: 18446744073709551615, hasID: true, data: `["foo"]`},
	{in: `3/admin,13["bar"]`, typ: Ack, nsp: "/admin", id: 13, hasID: true, data: `["bar"]`},
	{in: `3456[]`, typ: Ack, nsp: "/", id: 456, hasID: true, data: `[]`},
	{in: `312[]`, typ: Ack, nsp: "/", id: 12, hasID: true, data: `[]`},
	{in: `4{"message":"Not authorized"}`, typ: ConnectError, nsp: "/", data: `{"message":"Not authorized"}`},
	{in: `4/admin,"Not authorized"`, typ: ConnectError, nsp: "/admin", data: `"Not authorized"`},
	{in: `4/random,{"message":"Invalid namespace"}`, typ: ConnectError, nsp: "/random", data: `{"message":"Invalid namespace"}`},
	{in: `51-["baz",{"_placeholder":true,"num":0}]`, typ: BinaryEvent, nsp: "/", data: `["baz",{"_placeholder":true,"num":0}]`, atts: 1},
	{in: `52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, typ: BinaryEvent, nsp: "/admin",
		data: `["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`, atts: 2},
	{in: `510-["baz",{"_placeholder":true,"num":9},{"_placeholder":true,"num":8},{"_placeholder":true,"num":7},{"_placeholder":true,"num":6},{"_placeholder":true,"num":5},[{"x":{"_placeholder":true,"num":4}},{"_placeholder":true,"num":3},{"_placeholder":true,"num":2}],{"_placeholder":true,"num":1},{"num":0,"_placeholder":true}]`,
		typ: BinaryEvent, nsp: "/", atts: 10,
		data: `["baz",{"_placeholder":true,"num":9},{"_placeholder":true,"num":8},{"_placeholder":true,"num":7},{"_placeholder":true,"num":6},{"_placeholder":true,"num":5},[{"x":{"_placeholder":true,"num":4}},{"_placeholder":true,"num":3},{"_placeholder":true,"num":2}],{"_placeholder":true,"num":1},{"num":0,"_placeholder":true}]`},
	{in: `61-["x",{"\u005fplaceholder":true,"num":0}]`, typ: BinaryAck, nsp: "/", data: `["x",{"\u005fplaceholder":true,"num":0}]`, atts: 1},
	{in: `51-["x",{"_placeholder":true,"num":0},{"_placeholder":false,"num":7},{"_placeholder":1,"num":7},"_placeholder"]`, typ: BinaryEvent, nsp: "/",
		data: `["x",{"_placeholder":true,"num":0},{"_placeholder":false,"num":7},{"_placeholder":1,"num":7},"_placeholder"]`, atts: 1},
	{in: `2["x",{"_placeholder":true,"num":5}]`, typ: Event, nsp: "/", data: `["x",{"_placeholder":true,"num":5}]`},
	{in: `61-15["bar",{"_placeholder":true,"num":0}]`, typ: BinaryAck, nsp: "/", id: 15, hasID: true, data: `["bar",{"_placeholder":true,"num":0}]`, atts: 1},
	{in: `61-/admin,15["bar",{"_placeholder":true,"num":0}]`, typ: BinaryAck, nsp: "/admin", id: 15, hasID: true, data: `["bar",{"_placeholder":true,"num":0}]`, atts: 1},
}

// TestParsePacketNamespaceToEnd decodes the Engine.IO message "40/random":
// without a ',' the namespace runs to the end of the string.
func TestParsePacketNamespaceToEnd(t *testing.T) {
	f, err := ParseEIO4Frame([]byte("40/random"))
	if err != nil || f.Type != FrameMessage {
		t.Fatalf("ParseEIO4Frame = %+v, %v", f, err)
	}
	p, n, err := ParsePacket(f.Data)
	if err != nil {
		t.Fatalf("ParsePacket(%q): %v", f.Data, err)
	}
	if p.Type != Connect || p.Namespace != "/random" || p.HasID || p.Data != nil || n != 0 {
		t.Errorf("ParsePacket(%q) = %+v, %d", f.Data, p, n)
	}
	for in, nsp := range map[string]string{
		"0/admin":             "/admin",
		"1/admin":             "/admin",
		"0/a/b":               "/a/b",
		"0/admin?token=abc":   "/admin?token=abc",
		"0/12":                "/12",
		"0/":                  "/",
		"1/x-y":               "/x-y",
		"0/admin,":            "/admin",
		"0/admin,12":          "/admin", // ack id after the ','
		`0/admin,{"a":"b,c"}`: "/admin",
	} {
		p, _, err := ParsePacket([]byte(in))
		if err != nil || p.Namespace != nsp {
			t.Errorf("ParsePacket(%q) = namespace %q, %v; want %q", in, p.Namespace, err, nsp)
		}
	}
}

func TestParsePacket(t *testing.T) {
	for _, tt := range sioVectors {
		p, n, err := ParsePacket([]byte(tt.in))
		if err != nil {
			t.Errorf("ParsePacket(%q): %v", tt.in, err)
			continue
		}
		if p.Type != tt.typ || p.Namespace != tt.nsp || p.ID != tt.id || p.HasID != tt.hasID || n != tt.atts {
			t.Errorf("ParsePacket(%q) = {%v %q id=%d/%v} atts=%d; want {%v %q id=%d/%v} atts=%d",
				tt.in, p.Type, p.Namespace, p.ID, p.HasID, n, tt.typ, tt.nsp, tt.id, tt.hasID, tt.atts)
		}
		if tt.data == "" {
			if p.Data != nil {
				t.Errorf("ParsePacket(%q).Data = %q, want nil", tt.in, p.Data)
			}
		} else if string(p.Data) != tt.data {
			t.Errorf("ParsePacket(%q).Data = %q, want %q", tt.in, p.Data, tt.data)
		}
		if p.Attachments != nil {
			t.Errorf("ParsePacket(%q).Attachments = %v, want nil (caller fills)", tt.in, p.Attachments)
		}
	}
}

func TestAppendPacketRoundTrip(t *testing.T) {
	for _, tt := range sioVectors {
		p, n, err := ParsePacket([]byte(tt.in))
		if err != nil {
			t.Fatalf("ParsePacket(%q): %v", tt.in, err)
		}
		p.Attachments = make([][]byte, n)
		want := tt.enc
		if want == "" {
			want = tt.in
		}
		got := AppendPacket(nil, &p)
		if string(got) != want {
			t.Errorf("AppendPacket(ParsePacket(%q)) = %q, want %q", tt.in, got, want)
		}
		q, m, err := ParsePacket(got)
		if err != nil || !packetEqual(p, q) || m != n {
			t.Errorf("ParsePacket(%q) = %+v, %d, %v; want %+v, %d", got, q, m, err, p, n)
		}
	}
}

func TestParsePacketInvalid(t *testing.T) {
	for _, in := range []string{
		// §9
		`2{}`, `2abc["x"]`, `2["disconnect"]`, `2[]`, `0[]`, `1{}`, `7`, `a`,
		// more
		``, `8`, `/`, `-`, ` 2["x"]`,
		`2`, `3`, `5`, `6`, `2/admin,`, `3/admin,1`, `21`, // EVENT/ACK need data
		`2["connect"]`, `2["connect_error"]`, `2["disconnecting"]`, `2["newListener"]`, `2["removeListener"]`,
		`2[null]`, `2[true]`, `2[{}]`, `2[[]]`, `2["x"`, `2["x"]]`, `2"x"`, `2 `, `2["x"]x`,
		`3{}`, `3"x"`, `31{}`, `3[`,
		`0"x"`, `01[]`, `0/admin,[]`, `0{`, `0 `,
		`1"x"`, `1[]`, `1/admin,{}`,
		`4[]`, `41`, `4`, `4/admin,`, `4 1`, `4null`,
		`51-{}`, `5-["x"]`, `5["x"]`, `5x-["x"]`, `5-1-["x"]`, `511-["x"]`, `599999999999999999999-["x"]`,
		`51-["disconnect",{"_placeholder":true,"num":0}]`, `51-`, `61-15{}`, `61-`,
		`2/admin,["x"`, `2,["x"]`, `218446744073709551616["foo"]`, // ack id overflows uint64
		`2["\ud800`,
	} {
		if p, n, err := ParsePacket([]byte(in)); !errors.Is(err, ErrPacket) {
			t.Errorf("ParsePacket(%q) = %+v, %d, %v; want ErrPacket", in, p, n, err)
		}
	}
}

func TestParsePacketAliases(t *testing.T) {
	in := []byte(`2["foo"]`)
	p, _, err := ParsePacket(in)
	if err != nil {
		t.Fatal(err)
	}
	in[3] = 'g'
	if string(p.Data) != `["goo"]` {
		t.Errorf("Data does not alias the input: %q", p.Data)
	}
}

func TestAppendPacket(t *testing.T) {
	tests := []struct {
		p    Packet
		want string
	}{
		{Packet{Type: Connect}, "0"},
		{Packet{Type: Connect, Namespace: "/"}, "0"},
		{Packet{Type: Connect, Namespace: "/admin"}, "0/admin,"},
		{Packet{Type: Connect, Data: []byte(`{"sid":"abc"}`)}, `0{"sid":"abc"}`},
		{Packet{Type: Connect, Namespace: "/admin", Data: []byte(`{"sid":"abc"}`)}, `0/admin,{"sid":"abc"}`},
		{Packet{Type: Disconnect, Namespace: "/admin"}, "1/admin,"},
		{Packet{Type: Event, Data: []byte(`["foo",1]`)}, `2["foo",1]`},
		{Packet{Type: Event, Namespace: "/admin", Data: []byte(`["bar"]`)}, `2/admin,["bar"]`},
		{Packet{Type: Event, ID: 12, HasID: true, Data: []byte(`["foo"]`)}, `212["foo"]`},
		{Packet{Type: Event, ID: 12, Data: []byte(`["foo"]`)}, `2["foo"]`}, // ID without HasID is not written
		{Packet{Type: Event, ID: 0, HasID: true, Data: []byte(`["foo"]`)}, `20["foo"]`},
		{Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true, Data: []byte(`["bar"]`)}, `3/admin,13["bar"]`},
		{Packet{Type: Ack, ID: 12, HasID: true, Data: []byte(`[]`)}, `312[]`},
		{Packet{Type: ConnectError, Namespace: "/random", Data: []byte(`{"message":"Invalid namespace"}`)}, `4/random,{"message":"Invalid namespace"}`},
		{Packet{Type: BinaryEvent, Data: []byte(`["baz",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3, 4}}},
			`51-["baz",{"_placeholder":true,"num":0}]`},
		{Packet{Type: BinaryEvent, Namespace: "/admin", Data: []byte(`["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`),
			Attachments: [][]byte{{1, 2}, {3, 4}}},
			`52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`},
		{Packet{Type: BinaryAck, ID: 15, HasID: true, Data: []byte(`["bar",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}}},
			`61-15["bar",{"_placeholder":true,"num":0}]`},
		{Packet{Type: BinaryEvent, Data: []byte(`["x"]`)}, `50-["x"]`},
		{Packet{Type: Event, Data: []byte(`["x"]`), Attachments: [][]byte{{1}}}, `2["x"]`}, // count only for binary types
	}
	for _, tt := range tests {
		got := AppendPacket(nil, &tt.p)
		if string(got) != tt.want {
			t.Errorf("AppendPacket(%+v) = %q, want %q", tt.p, got, tt.want)
		}
		if got := AppendPacket([]byte("4"), &tt.p); string(got) != "4"+tt.want {
			t.Errorf("AppendPacket(4, %+v) = %q, want %q", tt.p, got, "4"+tt.want)
		}
	}
}

func TestAppendPacketReuseNoAlloc(t *testing.T) {
	p := Packet{Type: Ack, Namespace: "/admin", ID: 13, HasID: true, Data: []byte(`["bar"]`)}
	buf := make([]byte, 0, 64)
	if allocs := testing.AllocsPerRun(100, func() { buf = AppendPacket(buf[:0], &p) }); allocs != 0 {
		t.Errorf("AppendPacket into a reused buffer: %v allocs, want 0", allocs)
	}
}

func TestSharedFramesOncePerDialect(t *testing.T) {
	s := &Shared{Packet: Packet{Type: Event, Namespace: "/chat", Data: []byte(`["msg","hi"]`)}}
	var calls [MaxDialects]atomic.Int32
	encoders := make([]func(*Packet) []Frame, MaxDialects)
	for d := range encoders {
		encoders[d] = func(p *Packet) []Frame {
			calls[d].Add(1)
			if p != &s.Packet {
				t.Errorf("dialect %d: encode got %p, want the shared packet %p", d, p, &s.Packet)
			}
			data := AppendPacket([]byte(fmt.Sprintf("d%d:", d)), p)
			return []Frame{{Type: FrameMessage, Data: data}}
		}
	}

	const goroutines = 64
	const rounds = 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make([][MaxDialects][]Frame, goroutines)
	for g := range goroutines {
		wg.Go(func() {
			<-start
			for r := range rounds {
				d := (g + r) % MaxDialects
				f := s.Frames(d, encoders[d])
				if results[g][d] == nil {
					results[g][d] = f
				} else if &results[g][d][0] != &f[0] {
					t.Errorf("goroutine %d dialect %d: Frames returned a different slice", g, d)
				}
			}
		})
	}
	close(start)
	wg.Wait()

	for d := range MaxDialects {
		if n := calls[d].Load(); n != 1 {
			t.Errorf("dialect %d: encode called %d times, want 1", d, n)
		}
		want := fmt.Sprintf(`d%d:2/chat,["msg","hi"]`, d)
		for g := range goroutines {
			f := results[g][d]
			if len(f) != 1 || string(f[0].Data) != want {
				t.Errorf("goroutine %d dialect %d: frames %+v, want data %q", g, d, f, want)
			}
			if &f[0] != &results[0][d][0] {
				t.Errorf("goroutine %d dialect %d: not the same frames as goroutine 0", g, d)
			}
		}
	}
	// Later calls with a different encode function still reuse the result.
	f := s.Frames(0, func(*Packet) []Frame { t.Error("encode called again"); return nil })
	if len(f) != 1 || &f[0] != &results[0][0][0] {
		t.Errorf("Frames(0) after first use = %+v", f)
	}
}

func TestSharedFramesUnusedDialect(t *testing.T) {
	s := &Shared{Packet: Packet{Type: Connect}}
	var n int
	enc := func(p *Packet) []Frame { n++; return []Frame{{Type: FrameMessage, Data: AppendPacket(nil, p)}} }
	if f := s.Frames(MaxDialects-1, enc); len(f) != 1 || string(f[0].Data) != "0" {
		t.Errorf("Frames = %+v", f)
	}
	s.Frames(MaxDialects-1, enc)
	s.Frames(0, enc)
	if n != 2 {
		t.Errorf("encode calls = %d, want 2 (one per dialect used)", n)
	}
}

func packetEqual(a, b Packet) bool {
	if a.Type != b.Type || a.Nsp() != b.Nsp() || a.HasID != b.HasID || (a.HasID && a.ID != b.ID) ||
		!bytes.Equal(a.Data, b.Data) || (a.Data == nil) != (b.Data == nil) {
		return false
	}
	return true
}

// leadingID reads the digits strconv.ParseUint reads, to the same id, and
// refuses what overflows a uint64.
func TestLeadingID(t *testing.T) {
	for _, s := range []string{"", "x", "0", "007[", "42", "9999999999999999999", "18446744073709551615",
		"18446744073709551616", "99999999999999999999x", "12345678901234567890123"} {
		id, n, ok := leadingID([]byte(s))
		k := len(s) - len(strings.TrimLeft(s, "0123456789"))
		var want uint64
		var err error
		if k > 0 {
			want, err = strconv.ParseUint(s[:k], 10, 64)
		}
		if n != k || ok != (err == nil) || (ok && id != want) {
			t.Errorf("leadingID(%q) = %d, %d, %v; want %d, %d, %v", s, id, n, ok, want, k, err == nil)
		}
	}
}
