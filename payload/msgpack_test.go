package payload

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// mp builds msgpack bytes from hex (spaces allowed) and "quoted" strings,
// which become fixstr values: mp(`83 "type" 02`).
func mp(t testing.TB, spec string) []byte {
	t.Helper()
	var out []byte
	for len(spec) > 0 {
		spec = strings.TrimLeft(spec, " ")
		if spec == "" {
			break
		}
		if spec[0] == '"' {
			end := strings.IndexByte(spec[1:], '"') + 1
			s := spec[1:end]
			out = append(out, 0xa0|byte(len(s)))
			out = append(out, s...)
			spec = spec[end+1:]
			continue
		}
		end := strings.IndexAny(spec, ` "`)
		if end < 0 {
			end = len(spec)
		}
		b, err := hex.DecodeString(spec[:end])
		if err != nil {
			t.Fatalf("mp(%q): %v", spec, err)
		}
		out = append(out, b...)
		spec = spec[end:]
	}
	return out
}

// The packets of docs/features.md §A, as socket.io-client 4.8 with
// socket.io-msgpack-parser 3.0.2 writes them.
func TestParseMsgpackObserved(t *testing.T) {
	for _, tt := range []struct {
		name, in string
		want     Packet
	}{
		{"event", `83 "type" 02 "data" 92 "hello" "world" "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["hello","world"]`)}},
		{"binary event", `83 "type" 02 "data" 92 "bin" c4 03 010203 "nsp" "/"`,
			Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["bin",{"_placeholder":true,"num":0}]`),
				Attachments: [][]byte{{1, 2, 3}}}},
		{"event with ack and options", `85 "type" 02 "data" 93 "echo" "a" 01 "options" 81 "compress" c3 "id" 00 "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["echo","a",1]`), ID: 0, HasID: true}},
		{"ack, keys in the server's order", `84 "id" 00 "type" 03 "data" 91 "ok" "nsp" "/"`,
			Packet{Type: Ack, Namespace: "/", Data: []byte(`["ok"]`), HasID: true}},
		{"connect with auth", `83 "type" 00 "data" 81 "token" "abc" "nsp" "/"`,
			Packet{Type: Connect, Namespace: "/", Data: []byte(`{"token":"abc"}`)}},
		{"connect without auth", `83 "type" 00 "data" d40000 "nsp" "/"`,
			Packet{Type: Connect, Namespace: "/"}},
		{"connect error", `83 "type" 04 "data" 82 "message" "nope" "data" 81 "code" 2a "nsp" "/err"`,
			Packet{Type: ConnectError, Namespace: "/err", Data: []byte(`{"message":"nope","data":{"code":42}}`)}},
		{"disconnect", `82 "type" 01 "nsp" "/chat"`, Packet{Type: Disconnect, Namespace: "/chat"}},
		{"ArrayBuffer as ext 0", `83 "type" 02 "data" 92 "bin" c7 02 00 0a0b "nsp" "/"`,
			Packet{Type: BinaryEvent, Namespace: "/", Data: []byte(`["bin",{"_placeholder":true,"num":0}]`),
				Attachments: [][]byte{{10, 11}}}},
		{"values", `83 "type" 02 "data" 97 "v" ff d0 80 cb 3ff8000000000000 c0 c2 92 d40000 cf ffffffffffffffff "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["v",-1,-128,1.5,null,false,[null,18446744073709551615]]`)}},
		{"undefined in a map, a Date", `83 "type" 02 "data" 92 "d" 82 "u" d40000 "t" d7 00 0000018bcfe56800 "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["d",{"t":"2023-11-14T22:13:20.000Z"}]`)}},
		{"numbered event, 16-bit lengths", `de 0003 "type" 02 da 0004 64617461 dc 0001 07 "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`[7]`)}},
		{"undefined id", `84 "type" 02 "id" d40000 "data" 91 "x" "nsp" "/"`,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["x"]`)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := mp(t, tt.in)
			p, err := ParseMsgpackPacket(in)
			if err != nil {
				t.Fatalf("ParseMsgpackPacket(% x): %v", in, err)
			}
			if !packetEqual(p, tt.want) || !reflect.DeepEqual(p.Attachments, tt.want.Attachments) {
				t.Fatalf("got %+v (data %s), want %+v (data %s)", p, p.Data, tt.want, tt.want.Data)
			}
		})
	}
}

func TestParseMsgpackRefused(t *testing.T) {
	long := strings.Repeat("91 ", maxDepth+1) + "01"
	for _, tt := range []struct{ name, in string }{
		{"empty", ``},
		{"not a map", `92 "type" 02`},
		{"type missing", `82 "data" 91 "x" "nsp" "/"`},
		{"nsp missing", `82 "type" 02 "data" 91 "x"`},
		{"nsp not a string", `83 "type" 02 "data" 91 "x" "nsp" 01`},
		{"type a string", `83 "type" a132 "data" 91 "x" "nsp" "/"`},
		{"type 5 (binary types are for 2.x)", `83 "type" 05 "data" 91 "x" "nsp" "/"`},
		{"type 7", `83 "type" 07 "data" 91 "x" "nsp" "/"`},
		{"type -1", `83 "type" ff "data" 91 "x" "nsp" "/"`},
		{"type 1.5", `83 "type" cb 3ff8000000000000 "data" 91 "x" "nsp" "/"`},
		{"negative id", `84 "type" 02 "data" 91 "x" "nsp" "/" "id" ff`},
		{"id a string", `84 "type" 02 "data" 91 "x" "nsp" "/" "id" a131`},
		{"id nil", `84 "type" 02 "data" 91 "x" "nsp" "/" "id" c0`},
		{"event data a map", `83 "type" 02 "data" 80 "nsp" "/"`},
		{"event data empty", `83 "type" 02 "data" 90 "nsp" "/"`},
		{"event without data", `82 "type" 02 "nsp" "/"`},
		{"reserved event name", `83 "type" 02 "data" 91 "disconnect" "nsp" "/"`},
		{"event name a map", `83 "type" 02 "data" 91 80 "nsp" "/"`},
		{"ack data a string", `84 "type" 03 "data" a0 "nsp" "/" "id" 01`},
		{"connect data an array", `83 "type" 00 "data" 90 "nsp" "/"`},
		{"disconnect with data", `83 "type" 01 "data" 80 "nsp" "/"`},
		{"connect error data a number", `83 "type" 04 "data" 01 "nsp" "/"`},
		{"binary in a connect", `83 "type" 00 "data" 81 "b" c4 01 00 "nsp" "/"`},
		{"duplicate type", `84 "type" 02 "type" 02 "data" 91 "x" "nsp" "/"`},
		{"duplicate data", `84 "type" 02 "data" 91 "x" "data" 91 "y" "nsp" "/"`},
		{"non-string key", `83 01 02 "data" 91 "x" "nsp" "/"`},
		{"non-string key in data", `83 "type" 02 "data" 92 "x" 81 01 02 "nsp" "/"`},
		{"trailing bytes", `83 "type" 02 "data" 91 "x" "nsp" "/" 00`},
		{"truncated", `83 "type" 02 "data" 92 "x"`},
		{"ext type 1", `83 "type" 02 "data" 92 "x" c7 01 01 00 "nsp" "/"`},
		{"fixext 4", `83 "type" 02 "data" 92 "x" d6 00 00000000 "nsp" "/"`},
		{"fixext 1 of type 2", `83 "type" 02 "data" 92 "x" d4 02 00 "nsp" "/"`},
		{"never used code", `83 "type" 02 "data" 92 "x" c1 "nsp" "/"`},
		{"bad skipped key", `84 "type" 02 "data" 91 "x" "nsp" "/" "options" c1`},
		{"placeholder of the client's next to binary",
			`83 "type" 02 "data" 93 "x" c4 01 00 82 "_placeholder" c3 "num" 00 "nsp" "/"`},
		{"more binary values than MaxAttachments", `83 "type" 02 "data" 9c "x"` +
			strings.Repeat(" c4 00", MaxAttachments+1) + ` "nsp" "/"`},
		{"str32 of 4 GiB declared", `83 "type" 02 "data" 92 "x" db ffffffff 00 "nsp" "/"`},
		{"bin32 of 4 GiB declared", `83 "type" 02 "data" 92 "x" c6 ffffffff 00 "nsp" "/"`},
		{"ext32 of 4 GiB declared", `83 "type" 02 "data" 92 "x" c9 ffffffff 00 "nsp" "/"`},
		{"array32 of 4 G items declared", `83 "type" 02 "data" dd ffffffff "x" "nsp" "/"`},
		{"map32 of 4 G entries declared", `df ffffffff "type" 02`},
		{"nesting deeper than encoding/json's bound", `83 "type" 02 "nsp" "/" "data" 92 "x" ` + long},
		{"skipped nesting too deep", `84 "type" 02 "nsp" "/" "data" 91 "x" "options" ` + long},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in := mp(t, tt.in)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p, err := ParseMsgpackPacket(in)
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrMsgpack) {
				t.Fatalf("ParseMsgpackPacket(% x) = %+v, %v; want ErrMsgpack", in, p, err)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20+uint64(64*len(in)) {
				t.Errorf("allocated %d bytes for %d bytes of input", n, len(in))
			}
		})
	}
}

func TestParseMsgpackDeepButBounded(t *testing.T) {
	// maxDepth-1 arrays inside the data array: encoding/json still reads it.
	in := mp(t, `83 "type" 02 "nsp" "/" "data" 92 "x" `+strings.Repeat("91 ", maxDepth-1)+"01")
	p, err := ParseMsgpackPacket(in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := SplitArgs(p.Data); err != nil {
		t.Fatalf("SplitArgs of the data: %v", err)
	}
}

// A socket.io 2.x client marks events and acks with binary values as
// BINARY_EVENT and BINARY_ACK, and adds a query to the namespace.
func TestParseEIO3MsgpackPacket(t *testing.T) {
	p, err := ParseEIO3MsgpackPacket(mp(t, `83 "type" 05 "data" 92 "bin" c4 01 07 "nsp" "/"`))
	if err != nil || p.Type != BinaryEvent || !reflect.DeepEqual(p.Attachments, [][]byte{{7}}) {
		t.Fatalf("binary event: %+v, %v", p, err)
	}
	p, err = ParseEIO3MsgpackPacket(mp(t, `84 "type" 06 "data" 91 "ok" "id" 03 "nsp" "/"`))
	if err != nil || p.Type != Ack || p.ID != 3 || string(p.Data) != `["ok"]` {
		t.Fatalf("ack as BINARY_ACK: %+v, %v", p, err)
	}
	// The client adds the query to the namespace, and sends it apart too.
	p, err = ParseEIO3MsgpackPacket(mp(t, `83 "type" 00 "query" ac 746f6b656e3d736563726574 "nsp" b3 2f61646d696e3f746f6b656e3d736563726574`))
	if err != nil || p.Type != Connect || p.Namespace != "/admin" || string(p.Data) != `{"token":"secret"}` {
		t.Fatalf("connect with query: %+v (data %s), %v", p, p.Data, err)
	}
	if _, err := ParseEIO3MsgpackPacket(mp(t, `83 "type" 07 "data" 91 "x" "nsp" "/"`)); err == nil {
		t.Fatal("type 7 accepted")
	}
}

// unmarshal decodes msgpack the way a generic decoder sees it, to compare
// what was encoded regardless of key order.
func unmarshal(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := msgpack.Unmarshal(b, &m); err != nil {
		t.Fatalf("msgpack.Unmarshal(% x): %v", b, err)
	}
	return m
}

func TestAppendMsgpackPacket(t *testing.T) {
	// The EVENT is byte for byte what socket.io 4 writes.
	got, err := AppendMsgpackPacket(nil, &Packet{Type: Event, Namespace: "/", Data: []byte(`["hello","world"]`)})
	if want := mp(t, `83 "type" 02 "data" 92 "hello" "world" "nsp" "/"`); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("event: % x, %v; want % x", got, err, want)
	}
	got, err = AppendMsgpackPacket([]byte{9}, &Packet{Type: BinaryAck, ID: 7, HasID: true,
		Data:        []byte(`[{"_placeholder":true,"num":1},{"a":{"num":0,"_placeholder":true}},1.5,-3,1e300,null]`),
		Attachments: [][]byte{{1, 2}, nil}})
	if err != nil || got[0] != 9 {
		t.Fatalf("binary ack: % x, %v", got, err)
	}
	m := unmarshal(t, got[1:])
	want := map[string]any{"type": int8(3), "nsp": "/", "id": int8(7),
		"data": []any{[]byte{}, map[string]any{"a": []byte{1, 2}}, 1.5, int8(-3), 1e300, nil}}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("binary ack decodes to %#v, want %#v", m, want)
	}
	// In a packet without attachments a placeholder is plain data.
	got, _ = AppendMsgpackPacket(nil, &Packet{Type: Event, Data: []byte(`["x",{"_placeholder":true,"num":0}]`)})
	if m := unmarshal(t, got); !reflect.DeepEqual(m["data"],
		[]any{"x", map[string]any{"_placeholder": true, "num": int8(0)}}) {
		t.Fatalf("plain placeholder: %#v", m["data"])
	}
	// A CONNECT and a DISCONNECT.
	got, _ = AppendMsgpackPacket(nil, &Packet{Type: Connect, Namespace: "/a", Data: []byte(`{"sid":"x"}`)})
	if m := unmarshal(t, got); !reflect.DeepEqual(m, map[string]any{"type": int8(0), "nsp": "/a",
		"data": map[string]any{"sid": "x"}}) {
		t.Fatalf("connect: %#v", m)
	}
	got, _ = AppendMsgpackPacket(nil, &Packet{Type: Disconnect, Namespace: "/chat"})
	if want := mp(t, `82 "type" 01 "nsp" "/chat"`); !bytes.Equal(got, want) {
		t.Fatalf("disconnect: % x, want % x", got, want)
	}
	if _, err := AppendMsgpackPacket(nil, &Packet{Type: Event, Data: []byte(`["x"`)}); err == nil {
		t.Fatal("invalid JSON data encoded")
	}
}

// socket.io-msgpack-parser 2.x writes CONNECT, DISCONNECT and ERROR as
// JSON text, an ERROR's data always a string; other packets as msgpack.
func TestAppendEIO3MsgpackPacket(t *testing.T) {
	for _, tt := range []struct {
		in   Packet
		want string
	}{
		{Packet{Type: Connect, Namespace: "/", Data: []byte(`{"sid":"x"}`)}, `{"type":0,"nsp":"/"}`},
		{Packet{Type: Connect, Namespace: "/a\"b"}, `{"type":0,"nsp":"/a\"b"}`},
		{Packet{Type: Disconnect, Namespace: "/chat"}, `{"type":1,"nsp":"/chat"}`},
		{Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"nope","data":{"code":1}}`)},
			`{"type":4,"data":"nope","nsp":"/"}`},
		{Packet{Type: ConnectError, Namespace: "/p", Data: []byte(`{"message":"nope","data":"why"}`)},
			`{"type":4,"data":"why","nsp":"/p"}`},
		{Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"nope","data":42}`)},
			`{"type":4,"data":"nope","nsp":"/"}`},
		{Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"<n\u00f6pe>"}`)},
			`{"type":4,"data":"\u003cnöpe\u003e","nsp":"/"}`},
	} {
		got, text, err := AppendEIO3MsgpackPacket([]byte("x"), &tt.in)
		if err != nil || !text || string(got) != "x"+tt.want {
			t.Errorf("%s %s: %s (text %v), %v; want %s", tt.in.Type, tt.in.Data, got, text, err, tt.want)
		}
		// The client's decoder reads it back: JSON.parse, then its checks.
		back, err := ParseEIO3MsgpackText(got[1:])
		if err != nil || back.Type != tt.in.Type || back.Namespace != tt.in.Nsp() {
			t.Errorf("%s reads back as %+v, %v", got[1:], back, err)
		}
	}
	got, text, err := AppendEIO3MsgpackPacket(nil, &Packet{Type: BinaryEvent, Namespace: "/",
		Data: []byte(`["x",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{7}}})
	if err != nil || text {
		t.Fatalf("binary event: text %v, %v", text, err)
	}
	if m := unmarshal(t, got); !reflect.DeepEqual(m, map[string]any{"type": int8(2), "nsp": "/",
		"data": []any{"x", []byte{7}}}) {
		t.Fatalf("binary event: %#v", m)
	}
	if _, _, err := AppendEIO3MsgpackPacket(nil, &Packet{Type: Event, Data: []byte(`["x"`)}); err == nil {
		t.Fatal("invalid JSON data encoded")
	}
}

// What socket.io-msgpack-parser 2.x sends as text, and what it must not.
func TestParseEIO3MsgpackText(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Packet
	}{
		{`{"type":0,"nsp":"/chat"}`, Packet{Type: Connect, Namespace: "/chat"}},
		// socket.io-client 2.x adds the query to the namespace and sends it apart too.
		{`{"type":0,"query":"token=secret","nsp":"/admin?token=secret"}`,
			Packet{Type: Connect, Namespace: "/admin", Data: []byte(`{"token":"secret"}`)}},
		{`{"type":1,"nsp":"/chat"}`, Packet{Type: Disconnect, Namespace: "/chat"}},
		{` {"nsp":"/","type":2.0,"data":["a",1],"id":7} `,
			Packet{Type: Event, Namespace: "/", Data: []byte(`["a",1]`), ID: 7, HasID: true}},
		{`{"type":5,"data":["a"],"nsp":"/"}`, Packet{Type: Event, Namespace: "/", Data: []byte(`["a"]`)}},
		{`{"type":6,"data":[],"nsp":"/","id":0}`, Packet{Type: Ack, Namespace: "/", Data: []byte(`[]`), HasID: true}},
		{`{"type":2,"type":3,"data":[1],"nsp":"/","id":1,"extra":{"x":[]}}`,
			Packet{Type: Ack, Namespace: "/", Data: []byte(`[1]`), ID: 1, HasID: true}},
	} {
		p, err := ParseEIO3MsgpackText([]byte(tt.in))
		if err != nil || !reflect.DeepEqual(p, tt.want) {
			t.Errorf("%s: %+v (data %s), %v; want %+v", tt.in, p, p.Data, err, tt.want)
		}
	}
	for _, bad := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `{"type":0}`, `{"nsp":"/"}`, `{"type":0,"nsp":"/"`,
		`{"type":7,"nsp":"/"}`, `{"type":-1,"nsp":"/"}`, `{"type":1.5,"nsp":"/"}`, `{"type":"0","nsp":"/"}`,
		`{"type":null,"nsp":"/"}`, `{"type":0,"nsp":null}`, `{"type":0,"nsp":1}`,
		`{"type":1,"nsp":"/","data":null}`, `{"type":1,"nsp":"/","data":"x"}`,
		`{"type":2,"nsp":"/","data":{"a":1}}`, `{"type":2,"nsp":"/"}`, `{"type":2,"nsp":"/","data":[]}`,
		`{"type":2,"nsp":"/","data":["connect"]}`, `{"type":3,"nsp":"/","data":null}`,
		`{"type":2,"nsp":"/","data":["a"],"id":-1}`, `{"type":2,"nsp":"/","data":["a"],"id":1.5}`,
		`{"type":2,"nsp":"/","data":["a"],"id":null}`, `{"type":2,"nsp":"/","data":["a"],"id":1e300}`,
		`{"type":2,"nsp":"/","data":["a"]} x`, "\x83\xa4type\x00\xa3nsp\xa1/",
	} {
		if p, err := ParseEIO3MsgpackText([]byte(bad)); !errors.Is(err, ErrMsgpack) {
			t.Errorf("%q: %+v, %v; want ErrMsgpack", bad, p, err)
		}
	}
}

// Go values survive the trip through the text form's Data and attachments
// to msgpack and back.
func TestMsgpackRoundTrip(t *testing.T) {
	data, atts, err := EncodeEvent("ev", []any{"s", 1.25, map[string]any{"b": []byte{1}, "n": nil},
		[]any{[]byte{}, true}})
	if err != nil {
		t.Fatal(err)
	}
	in := Packet{Type: BinaryEvent, Namespace: "/x", Data: data, Attachments: atts, ID: 1 << 40, HasID: true}
	b, err := AppendMsgpackPacket(nil, &in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseMsgpackPacket(b)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := SplitArgs(out.Data)
	args, err := DecodeArgs(items[1:], out.Attachments)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"s", 1.25, map[string]any{"b": []byte{1}, "n": nil}, []any{[]byte{}, true}}
	if out.Type != BinaryEvent || out.Namespace != "/x" || out.ID != 1<<40 || !reflect.DeepEqual(args, want) {
		t.Fatalf("round trip: %+v %#v", out, args)
	}
}

// BenchmarkAppendMsgpackPacket64 encodes the 64-byte chat event of
// bench_test.go in the msgpack form (what a broadcast costs once per
// generation), from its JSON data as the namespaces hold it.
func BenchmarkAppendMsgpackPacket64(b *testing.B) {
	data, _, err := EncodeEvent("chat", event64Args)
	if err != nil {
		b.Fatal(err)
	}
	p := Packet{Type: Event, Namespace: "/", Data: data}
	b.ReportAllocs()
	b.SetBytes(int64(len(event64Frame)))
	buf := make([]byte, 0, 128)
	for b.Loop() {
		if buf, err = AppendMsgpackPacket(buf[:0], &p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseMsgpackPacket64 decodes that event as a client sends it.
func BenchmarkParseMsgpackPacket64(b *testing.B) {
	data, _, _ := EncodeEvent("chat", event64Args)
	in, err := AppendMsgpackPacket(nil, &Packet{Type: Event, Namespace: "/", Data: data})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		p, err := ParseMsgpackPacket(in)
		if err != nil || p.Type != Event {
			b.Fatal(p, err)
		}
	}
}
