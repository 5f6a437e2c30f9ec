package server

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sockio/sockio/payload"
)

func TestV1DialectJSONP(t *testing.T) {
	d := v1{}
	got := string(d.AppendJSONP(nil, "1", []byte("3:::a\u2028b\u2029\"\n</script>")))
	want := `io.j[1]("3:::a\u2028b\u2029\"\n\u003c/script\u003e");`
	if got != want {
		t.Fatalf("AppendJSONP = %s, want %s", got, want)
	}
	for d0, want := range map[string]string{`"2::"`: "2::", `"\ufffd3\ufffd2::"`: "\ufffd3\ufffd2::", `nope`: ""} {
		if got := string(d.DecodeJSONP(d0)); got != want {
			t.Errorf("DecodeJSONP(%s) = %q, want %q", d0, got, want)
		}
	}
}

func TestV1DialectFrames(t *testing.T) {
	d := v1{}
	for in, want := range map[string]payload.FrameType{"2::": payload.FramePong, "8::": payload.FrameNoop,
		"0::": payload.FrameClose, "0::/chat": payload.FrameMessage, "7:::1+0": payload.FrameNoop,
		"9:::x": payload.FrameNoop, "0": payload.FrameNoop, `5:::{"name":"disconnect"}`: payload.FrameMessage,
		`5:::{"name":"x"}`: payload.FrameMessage} {
		f, err := d.ParseMessage([]byte(in), false)
		if err != nil || f.Type != want {
			t.Errorf("ParseMessage(%q) = %v, %v; want %v", in, f.Type, err, want)
		}
	}
	// Frames go by the header: a message whose data the 0.9 server ignores
	// is dropped when its packet is decoded.
	for _, in := range []string{`5:::{"name":"disconnect"}`, `5:::{"name":1}`, `4:::{"a":`, "6:::x"} {
		if _, _, err := d.parsePacket([]byte(in)); err != errPacketIgnored {
			t.Errorf("parsePacket(%q) = %v, want errPacketIgnored", in, err)
		}
	}
	if _, err := d.ParseMessage([]byte{1}, true); err == nil {
		t.Error("a binary message must fail")
	}
	body, _ := d.AppendPayload(nil, []payload.Frame{{Type: payload.FramePing}, {Type: payload.FrameMessage, Data: []byte("3:::é😀")}}, false)
	if string(body) != "\ufffd3\ufffd2::\ufffd7\ufffd3:::é😀" {
		t.Fatalf("AppendPayload = %q", body)
	}
}

func TestV1DialectPackets(t *testing.T) {
	d := v1{}
	enc := func(p payload.Packet) string {
		fs := d.encodePacket(&p)
		if len(fs) == 0 {
			return ""
		}
		return string(fs[0].Data)
	}
	tests := []struct {
		p    payload.Packet
		want string
	}{
		{payload.Packet{Type: payload.Connect, Namespace: "/", Data: []byte(`{"sid":"x"}`)}, "1::"},
		{payload.Packet{Type: payload.Connect, Namespace: "/chat"}, "1::/chat"},
		{payload.Packet{Type: payload.Disconnect, Namespace: "/chat"}, "0::/chat"},
		{payload.Packet{Type: payload.Event, Namespace: "/", Data: []byte(`["a",1,{"b":2}]`)}, `5:::{"name":"a","args":[1,{"b":2}]}`},
		{payload.Packet{Type: payload.Event, Namespace: "/", Data: []byte(`["a"]`), ID: 0, HasID: true}, `5:1+::{"name":"a"}`},
		{payload.Packet{Type: payload.Ack, Namespace: "/c", Data: []byte(`["r"]`), ID: 4, HasID: true}, `6::/c:4+["r"]`},
		{payload.Packet{Type: payload.Ack, Namespace: "/", Data: []byte(`[]`), ID: 4, HasID: true}, `6:::4`},
		{payload.Packet{Type: payload.ConnectError, Namespace: "/chat", Data: []byte(`{"message":"no"}`)}, "7::/chat:2"},
		{payload.Packet{Type: payload.ConnectError, Namespace: "/x", Data: []byte(`{"message":"Invalid namespace"}`)}, ""},
	}
	for _, tt := range tests {
		if got := enc(tt.p); got != tt.want {
			t.Errorf("encode %+v = %q, want %q", tt.p, got, tt.want)
		}
	}
	dec := func(s string) payload.Packet {
		p, _, err := d.parsePacket([]byte(s))
		if err != nil {
			t.Fatalf("parsePacket(%q): %v", s, err)
		}
		return p
	}
	if p := dec("3:::hi"); p.Type != payload.Event || string(p.Data) != `["message","hi"]` || p.HasID {
		t.Errorf("message: %+v", p)
	}
	if p := dec(`4:2+:/c:{"a":1}`); p.Namespace != "/c" || string(p.Data) != `["message",{"a":1}]` || p.ID != 2 || !p.HasID {
		t.Errorf("json: %+v", p)
	}
	if p := dec(`5:3+::{"name":"e","args":[1, 2]}`); string(p.Data) != `["e",1, 2]` || p.ID != 3 {
		t.Errorf("event: %+v", p)
	}
	if p := dec(`5:::{"name":"e","args":[]}`); string(p.Data) != `["e"]` || p.HasID {
		t.Errorf("event: %+v", p)
	}
	if p := dec(`6:::1+["x"]`); p.Type != payload.Ack || p.ID != 0 || string(p.Data) != `["x"]` {
		t.Errorf("ack: %+v", p)
	}
	if p := dec(`6:::0`); p.ID != ^uint64(0) {
		t.Errorf("ack 0: %+v", p)
	}
	if p := dec("1::/test:?a=b"); p.Type != payload.Connect || p.Namespace != "/test" || string(p.Data) != `{"a":"b"}` {
		t.Errorf("connect: %+v", p)
	}
	if p := dec("1::/test?a=b"); p.Namespace != "/test" || string(p.Data) != `{"a":"b"}` {
		t.Errorf("connect: %+v", p)
	}
	if got := d.autoAck([]byte("3:5:/c:x")); len(got) != 1 || string(got[0].Data) != "6::/c:5" {
		t.Errorf("autoAck = %v", got)
	}
	if got := d.autoAck([]byte(`5:5+::{"name":"a"}`)); got != nil {
		t.Errorf("autoAck of + = %v", got)
	}
}

// BenchmarkBroadcastMixed1000 broadcasts to 1,000 sockets of all three
// generations (4.x, 2.x and 0.9 in turn): each generation encodes once per
// broadcast, whatever its number of receivers.
func BenchmarkBroadcastMixed1000(b *testing.B) {
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	defer srv.Close(b.Context())
	var n4, n3, n1 atomic.Int64
	sessions := benchSessions(b, srv, 1000, func(i int) dialect {
		switch i % 3 {
		case 0:
			return countingDialect{eio4{}, &n4}
		case 1:
			return countingV1{v1{}, &n1}
		}
		return countingDialect{eio3{}, &n3}
	})
	n4.Store(0)
	n3.Store(0)
	n1.Store(0)
	ns := srv.Of("/")
	msg := "a chat line of about sixty-four bytes, typical of a broadcast"
	b.ReportAllocs()
	for b.Loop() {
		if err := ns.To("r").Emit("chat", msg); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		drain(sessions)
		b.StartTimer()
	}
	b.ReportMetric(float64(n4.Load())/float64(b.N), "encodes4/op")
	b.ReportMetric(float64(n3.Load())/float64(b.N), "encodes2/op")
	b.ReportMetric(float64(n1.Load())/float64(b.N), "encodes09/op")
	if n4.Load() != int64(b.N) || n3.Load() != int64(b.N) || n1.Load() != int64(b.N) {
		b.Fatalf("encodes: 4.x %d, 2.x %d, 0.9 %d, want %d each", n4.Load(), n3.Load(), n1.Load(), b.N)
	}
}

// countingV1 counts v1 encodes; it keeps v1's autoAck.
type countingV1 struct {
	v1
	n *atomic.Int64
}

func (d countingV1) encodePacket(p *payload.Packet) []payload.Frame {
	d.n.Add(1)
	return d.v1.encodePacket(p)
}

// BenchmarkIdleWebSocketSessionV1 is BenchmarkIdleWebSocketSession for
// 0.9 clients: handshake (on connections that close), then a websocket that
// stays idle; the whole session is counted.
func BenchmarkIdleWebSocketSessionV1(b *testing.B) {
	const n = 1000
	srv := New(Options{PingInterval: time.Hour, PingTimeout: time.Hour})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(b.Context())
	addr := strings.TrimPrefix(ts.URL, "http://")
	before := heapAndStacks()
	sids := make([]string, n)
	for i := range sids {
		req, _ := http.NewRequest("GET", ts.URL+"/socket.io/1/", nil)
		req.Close = true
		res, err := ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var buf [64]byte
		k, _ := res.Body.Read(buf[:])
		res.Body.Close()
		sids[i], _, _ = strings.Cut(string(buf[:k]), ":")
	}
	ts.Client().CloseIdleConnections()
	srv.reg.Wait()
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = rawWSDial(b, addr, "/socket.io/1/websocket/"+sids[i], "8::")
	}
	srv.reg.Wait()
	awaitParked(b, srv, n)
	after := heapAndStacks()
	for b.Loop() {
	}
	b.ReportMetric(float64(after-before)/n, "bytes/session")
	for _, c := range conns {
		c.Close()
	}
}

func TestSplitV1Path(t *testing.T) {
	for path, want := range map[string][3]string{
		"/socket.io/1/":                    {"", "", "true"},
		"/socket.io/1":                     {"", "", "true"},
		"/socket.io/1/xhr-polling/abc":     {"xhr-polling", "abc", "true"},
		"/socket.io/1//abc/":               {"", "abc", "true"},
		"/api/1/socket.io/1/":              {"", "", "true"},
		"/api/1/socket.io/1/websocket/abc": {"websocket", "abc", "true"},
		"/socket.io/":                      {"", "", "false"},
	} {
		tr, sid, ok := splitV1Path(path)
		if tr != want[0] || sid != want[1] || strconv.FormatBool(ok) != want[2] {
			t.Errorf("splitV1Path(%q) = %q %q %v, want %v", path, tr, sid, ok, want)
		}
	}
}
