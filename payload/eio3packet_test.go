package payload

import "testing"

func TestEIO3Packet(t *testing.T) {
	for _, tt := range []struct {
		p    Packet
		want string
	}{
		{Packet{Type: Connect, Namespace: "/", Data: []byte(`{"sid":"x"}`)}, "0"},
		{Packet{Type: Connect, Namespace: "/admin", Data: []byte(`{"sid":"x"}`)}, "0/admin,"},
		{Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"no"}`)}, `4"no"`},
		{Packet{Type: ConnectError, Namespace: "/", Data: []byte(`{"message":"no","data":null}`)}, `4"no"`},
		{Packet{Type: ConnectError, Namespace: "/a", Data: []byte(`{"message":"no","data":{"code":7}}`)}, `4/a,{"code":7}`},
		{Packet{Type: Event, Namespace: "/", Data: []byte(`["a",1]`), ID: 3, HasID: true}, `23["a",1]`},
	} {
		p := EIO3Packet(&tt.p)
		if got := string(AppendPacket(nil, p)); got != tt.want {
			t.Errorf("EIO3Packet(%+v) = %q, want %q", tt.p, got, tt.want)
		}
	}
	orig := Packet{Type: Connect, Namespace: "/", Data: []byte(`{"sid":"x"}`)}
	EIO3Packet(&orig)
	if string(orig.Data) != `{"sid":"x"}` {
		t.Error("EIO3Packet changed its argument")
	}
}

func TestParseEIO3Packet(t *testing.T) {
	for _, tt := range []struct{ in, nsp, data string }{
		{"0/admin?token=abc&x=1,", "/admin", `{"token":"abc","x":"1"}`},
		{"0/admin?token=abc&token=def,", "/admin", `{"token":"abc"}`},
		{"0/admin,", "/admin", ``},
		{`2/chat?x=1,["a"]`, "/chat", `["a"]`},
		{`0/a?x=1,{"k":2}`, "/a", `{"k":2}`},
	} {
		p, _, err := ParseEIO3Packet([]byte(tt.in))
		if err != nil || p.Namespace != tt.nsp || string(p.Data) != tt.data {
			t.Errorf("ParseEIO3Packet(%q) = %+v, %v; want %s %s", tt.in, p, err, tt.nsp, tt.data)
		}
	}
	if _, _, err := ParseEIO3Packet([]byte("9")); err == nil {
		t.Error("a bad packet must fail")
	}
}

func TestQueryAuth(t *testing.T) {
	for in, want := range map[string]string{"": `{}`, "a=b": `{"a":"b"}`, "a=1&a=2&b=%20": `{"a":"1","b":" "}`,
		"%zz=1&c=d": `{"c":"d"}`} {
		if got := string(QueryAuth(in)); got != want {
			t.Errorf("QueryAuth(%q) = %s, want %s", in, got, want)
		}
	}
}
