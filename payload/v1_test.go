package payload

import (
	"bytes"
	"errors"
	"testing"
)

// Decode vectors from protocol-v1.md §10.
func TestParseV1Packet(t *testing.T) {
	tests := []struct {
		in   string
		want V1Packet
	}{
		{"0::", V1Packet{Type: V1Disconnect}},
		{"0::/woot", V1Packet{Type: V1Disconnect, Endpoint: "/woot"}},
		{"1::/tobi", V1Packet{Type: V1Connect, Endpoint: "/tobi"}},
		{"1::/test:?test=1", V1Packet{Type: V1Connect, Endpoint: "/test", Query: "?test=1"}},
		{"1::/test?my=param", V1Packet{Type: V1Connect, Endpoint: "/test?my=param"}},
		{"2::", V1Packet{Type: V1Heartbeat}},
		{"2:::", V1Packet{Type: V1Heartbeat}},
		{"3:::woot", V1Packet{Type: V1Message, Data: []byte("woot")}},
		{"3:5:/tobi", V1Packet{Type: V1Message, ID: 5, HasID: true, Endpoint: "/tobi", Data: []byte{}}},
		{"3:1::hi:there", V1Packet{Type: V1Message, ID: 1, HasID: true, Data: []byte("hi:there")}},
		{"3:::a\nb", V1Packet{Type: V1Message, Data: []byte("a\nb")}},
		{`4:::"2"`, V1Packet{Type: V1JSON, Data: []byte(`"2"`)}},
		{`4:1+::{"a":"b"}`, V1Packet{Type: V1JSON, ID: 1, HasID: true, AckData: true, Data: []byte(`{"a":"b"}`)}},
		{`5:::{"name":"woot"}`, V1Packet{Type: V1Event, Name: "woot"}},
		{`5:1+::{"name":"tobi"}`, V1Packet{Type: V1Event, Name: "tobi", ID: 1, HasID: true, AckData: true}},
		{`5:::{"name":"edwald","args":[{"a": "b"},2,"3"]}`, V1Packet{Type: V1Event, Name: "edwald", Args: []byte(`[{"a": "b"},2,"3"]`)}},
		{"6:::140", V1Packet{Type: V1Ack, AckID: 140}},
		{`6:::12+["woot","wa"]`, V1Packet{Type: V1Ack, AckID: 12, Args: []byte(`["woot","wa"]`)}},
		{`6:::1+{"++]`, V1Packet{Type: V1Ack, AckID: 1}},
		{`5:2+:/chat:{"name":"msg","args":["x",1]}`, V1Packet{Type: V1Event, Name: "msg", ID: 2, HasID: true, AckData: true, Endpoint: "/chat", Args: []byte(`["x",1]`)}},
		{`6::/chat:2+["ok"]`, V1Packet{Type: V1Ack, AckID: 2, Endpoint: "/chat", Args: []byte(`["ok"]`)}},
		{"7:::", V1Packet{Type: V1Error}},
		{"7:::0", V1Packet{Type: V1Error, Reason: "0"}},
		{"7:::2+0", V1Packet{Type: V1Error, Reason: "2", Advice: "0"}},
		{"7::/woot", V1Packet{Type: V1Error, Endpoint: "/woot"}},
		{"8::", V1Packet{Type: V1Noop}},
	}
	for _, tt := range tests {
		got, err := ParseV1Packet([]byte(tt.in))
		if err != nil {
			t.Errorf("ParseV1Packet(%q): %v", tt.in, err)
			continue
		}
		if !v1Equal(got, tt.want) {
			t.Errorf("ParseV1Packet(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func v1Equal(a, b V1Packet) bool {
	return a.Type == b.Type && a.ID == b.ID && a.HasID == b.HasID && a.AckData == b.AckData &&
		a.Endpoint == b.Endpoint && bytes.Equal(a.Data, b.Data) && a.Name == b.Name &&
		bytes.Equal(a.Args, b.Args) && a.AckID == b.AckID && a.Reason == b.Reason &&
		a.Advice == b.Advice && a.Query == b.Query
}

func TestParseV1PacketInvalid(t *testing.T) {
	for _, in := range []string{"", "0", "9:::x", "5:::", "5:::{}", `5:::{"name":1}`, `5:::{"name":"a","args":3}`,
		"6:::", "6:::x", "4:::{", "3:+::x", "3:1x::", "a::", "12::", "3:99999999999999999999::x"} {
		if _, err := ParseV1Packet([]byte(in)); !errors.Is(err, ErrV1Packet) {
			t.Errorf("ParseV1Packet(%q) err = %v, want ErrV1Packet", in, err)
		}
	}
}

// Re-encoding a decoded vector gives the same bytes, except where §10 says.
func TestV1RoundTrip(t *testing.T) {
	tests := []struct{ in, out string }{
		{"0::", "0::"}, {"0::/woot", "0::/woot"}, {"1::/tobi", "1::/tobi"},
		{"1::/test:?test=1", "1::/test:?test=1"}, {"2:::", "2::"}, {"3:::woot", "3:::woot"},
		{"3:5:/tobi", "3:5:/tobi"}, {"3:1::hi:there", "3:1::hi:there"}, {`4:::"2"`, `4:::"2"`},
		{`4:1+::{"a":"b"}`, `4:1+::{"a":"b"}`}, {`5:::{"name":"woot"}`, `5:::{"name":"woot"}`},
		{`5:1+::{"name":"tobi"}`, `5:1+::{"name":"tobi"}`}, {"6:::140", "6:::140"},
		{`6:::12+["woot","wa"]`, `6:::12+["woot","wa"]`}, {`6:::1+{"++]`, "6:::1"},
		{`5:2+:/chat:{"name":"msg","args":["x",1]}`, `5:2+:/chat:{"name":"msg","args":["x",1]}`},
		{"7:::", "7::"}, {"7:::0", "7:::0"}, {"7:::2+0", "7:::2+0"}, {"7::/woot", "7::/woot"}, {"8::", "8::"},
	}
	for _, tt := range tests {
		p, err := ParseV1Packet([]byte(tt.in))
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if got := string(AppendV1Packet(nil, &p)); got != tt.out {
			t.Errorf("round trip %q = %q, want %q", tt.in, got, tt.out)
		}
	}
}

func TestAppendV1Packet(t *testing.T) {
	tests := []struct {
		p    V1Packet
		want string
	}{
		{V1Packet{Type: V1Heartbeat}, "2::"},
		{V1Packet{Type: V1Noop}, "8::"},
		{V1Packet{Type: V1Disconnect}, "0::"},
		{V1Packet{Type: V1Message, ID: 5, HasID: true, Endpoint: "/tobi"}, "3:5:/tobi"},
		{V1Packet{Type: V1Event, Name: "edwald", Args: []byte(`[{"a":"b"},2,"3"]`)}, `5:::{"name":"edwald","args":[{"a":"b"},2,"3"]}`},
		{V1Packet{Type: V1Event, Name: "woot"}, `5:::{"name":"woot"}`},
		{V1Packet{Type: V1Event, Name: "woot", Args: []byte(`[]`)}, `5:::{"name":"woot"}`},
		{V1Packet{Type: V1Event, Name: "<a&b>"}, `5:::{"name":"<a&b>"}`},
		{V1Packet{Type: V1Error}, "7::"},
		{V1Packet{Type: V1Error, Reason: "1", Advice: "0"}, "7:::1+0"},
		{V1Packet{Type: V1Error, Reason: "2", Endpoint: "/chat"}, "7::/chat:2"},
		{V1Packet{Type: V1Ack, AckID: 3, Endpoint: "/chat", Args: []byte(`["A","B"]`)}, `6::/chat:3+["A","B"]`},
		{V1Packet{Type: V1Ack, AckID: 4}, "6:::4"},
	}
	for _, tt := range tests {
		if got := string(AppendV1Packet(nil, &tt.p)); got != tt.want {
			t.Errorf("AppendV1Packet(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
}

func TestV1Info(t *testing.T) {
	typ, ep, id, auto, err := V1Info([]byte("3:7:/chat:hi"))
	if err != nil || typ != V1Message || ep != "/chat" || id != 7 || !auto {
		t.Fatalf("V1Info = %v %q %d %v %v", typ, ep, id, auto, err)
	}
	if _, _, _, auto, _ := V1Info([]byte(`5:7+::{"name":"a"}`)); auto {
		t.Fatal("a + id is not auto-acked")
	}
}

func TestV1UTF16Units(t *testing.T) {
	for in, want := range map[string]int{"": 0, "2::": 3, "3:::é😀": 7,
		`5:::{"name":"utf8-test","args":["Iñtërnâtiônàlizætiøn"]}`: 56, "\xff": 1} {
		if got := utf16Units([]byte(in)); got != want {
			t.Errorf("utf16Units(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestV1Payload(t *testing.T) {
	enc := func(ps ...string) string {
		bs := make([][]byte, len(ps))
		for i, p := range ps {
			bs[i] = []byte(p)
		}
		return string(AppendV1Payload(nil, bs...))
	}
	if got := enc("3:::5", "3:::53d"); got != "\ufffd5\ufffd3:::5\ufffd7\ufffd3:::53d" {
		t.Errorf("got %q", got)
	}
	if got := enc("3:::a"); got != "3:::a" {
		t.Errorf("got %q", got)
	}
	if got := enc("3:::é😀", "2::"); got != "\ufffd7\ufffd3:::é😀\ufffd3\ufffd2::" {
		t.Errorf("got %q", got)
	}
	long := "\ufffd7\ufffd3:::é😀\ufffd56\ufffd5:::{\"name\":\"utf8-test\",\"args\":[\"Iñtërnâtiônàlizætiøn\"]}\ufffd3\ufffd2::"
	if got := enc("3:::é😀", `5:::{"name":"utf8-test","args":["Iñtërnâtiônàlizætiøn"]}`, "2::"); got != long {
		t.Errorf("got %q", got)
	}
	for body, want := range map[string][]string{
		"\ufffd5\ufffd3:::5\ufffd7\ufffd3:::53d\ufffd3\ufffd0::": {"3:::5", "3:::53d", "0::"},
		long:                           {"3:::é😀", `5:::{"name":"utf8-test","args":["Iñtërnâtiônàlizætiøn"]}`, "2::"},
		"3:::a":                        {"3:::a"},
		"\ufffd0\ufffd":                {""},
		"\ufffd5\ufffd3:\ufffd:\ufffd": {"3:\ufffd:\ufffd"},
	} {
		got, err := DecodeV1Payload([]byte(body))
		if err != nil {
			t.Errorf("DecodeV1Payload(%q): %v", body, err)
			continue
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if len(gs) != len(want) {
			t.Errorf("DecodeV1Payload(%q) = %q, want %q", body, gs, want)
			continue
		}
		for i := range gs {
			if gs[i] != want[i] {
				t.Errorf("DecodeV1Payload(%q) = %q, want %q", body, gs, want)
			}
		}
	}
	for _, bad := range []string{"", "\ufffd", "\ufffd5\ufffd3::", "\ufffdx\ufffd3::", "\ufffd\ufffd", "\ufffd1\ufffd😀",
		"\ufffd3\ufffd2::x", "\ufffd-1\ufffd"} {
		if _, err := DecodeV1Payload([]byte(bad)); !errors.Is(err, ErrV1Payload) {
			t.Errorf("DecodeV1Payload(%q) err = %v", bad, err)
		}
	}
}

// v1Event64 is a 64-byte event packet.
var v1Event64 = []byte(`5:1+::{"name":"chat","args":["hello from a 0.9 client!!",42424]}`)

func BenchmarkV1EventEncode(b *testing.B) {
	p := V1Packet{Type: V1Event, ID: 1, HasID: true, AckData: true, Name: "chat",
		Args: []byte(`["hello from a 0.9 client!!",42424]`)}
	if got := AppendV1Packet(nil, &p); string(got) != string(v1Event64) {
		b.Fatalf("%s", got)
	}
	buf := make([]byte, 0, 128)
	b.SetBytes(int64(len(v1Event64)))
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendV1Packet(buf[:0], &p)
	}
}

func BenchmarkV1EventDecode(b *testing.B) {
	b.SetBytes(int64(len(v1Event64)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseV1Packet(v1Event64); err != nil {
			b.Fatal(err)
		}
	}
}
