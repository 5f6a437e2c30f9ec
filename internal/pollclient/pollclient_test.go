package pollclient_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sockio/sockio/internal/pollclient"
	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/payload"
	"github.com/sockio/sockio/server"
)

func split(t *testing.T, proto int, body []byte) []string {
	t.Helper()
	var out []string
	for {
		x, rest, ok, err := pollclient.NextPacket(proto, body)
		if err != nil {
			t.Fatalf("NextPacket(%d, %q): %v", proto, body, err)
		}
		if !ok {
			return out
		}
		out = append(out, string(x))
		body = rest
	}
}

// The payloads are the ones the server's codecs write and read, with
// lengths in UTF-16 units in Engine.IO 3.
func TestPayloadMatchesServerCodecs(t *testing.T) {
	packets := []string{`0{"sid":"a"}`, "40", `42["echo","é"]`, `42["😀 and ✓"]`, "2"}
	var frames []payload.Frame
	var raw [][]byte
	for _, p := range packets {
		f, err := payload.ParseEIO4Frame([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		frames, raw = append(frames, f), append(raw, []byte(p))
	}
	for proto, server := range map[int][]byte{
		3: payload.AppendEIO3Payload(nil, frames),
		4: payload.AppendEIO4Payload(nil, frames),
	} {
		mine := pollclient.AppendPayload(nil, proto, raw...)
		if !bytes.Equal(mine, server) {
			t.Errorf("proto %d: AppendPayload %q, the server's codec %q", proto, mine, server)
		}
		if got := split(t, proto, server); strings.Join(got, "|") != strings.Join(packets, "|") {
			t.Errorf("proto %d: NextPacket split %q", proto, got)
		}
	}
	if got := string(pollclient.AppendPayload(nil, 3, []byte("2"), []byte(`42["😀"]`))); got != `1:28:42["😀"]` {
		t.Errorf("Engine.IO 3 payload %q", got)
	}
	for _, bad := range []string{"x:2", "9:40", "-1:", ":", "12", "1234567890:x"} {
		if _, _, _, err := pollclient.NextPacket(3, []byte(bad)); !errors.Is(err, pollclient.ErrPayload) {
			t.Errorf("NextPacket(3, %q) = %v, want ErrPayload", bad, err)
		}
	}
}

func TestNextPacketAllocatesNothing(t *testing.T) {
	body := pollclient.AppendPayload(nil, 3, []byte(`42["é😀"]`), []byte("2"))
	if n := testing.AllocsPerRun(100, func() {
		for b, ok := body, true; ok; {
			_, b, ok, _ = pollclient.NextPacket(3, b)
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// Conn reads bodies framed by Content-Length, by chunks and by the end of
// the connection, and sends a request again when the server closed the
// kept-alive connection.
func TestConnFraming(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		switch r.URL.Path {
		case "/length":
			w.Header().Set("Content-Length", "5")
			_, _ = w.Write([]byte("hello"))
		case "/chunked":
			_, _ = w.Write([]byte("hel"))
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte("lo"))
		case "/close":
			w.Header().Set("Connection", "close")
			_, _ = w.Write([]byte("bye"))
		case "/echo":
			w.WriteHeader(http.StatusTeapot)
			_, _ = w.Write([]byte(r.Method + " " + r.Header.Get("Content-Type") + " " + string(b)))
		}
	}))
	defer ts.Close()
	c := pollclient.NewConn(strings.TrimPrefix(ts.URL, "http://"), 10*time.Second)
	defer c.Close()
	cases := []struct {
		target, body string
		status       int
		want         string
	}{
		{"/length", "", 200, "hello"},
		{"/chunked", "", 200, "hello"},
		{"/length", "", 200, "hello"},
		{"/close", "", 200, "bye"},
		{"/echo", "abc", 418, "POST text/plain abc"},
		{"/chunked", "", 200, "hello"},
	}
	for _, tc := range cases {
		var body []byte
		if tc.body != "" {
			body = []byte(tc.body)
		}
		status, got, err := c.Do([]byte(tc.target), body, "text/plain")
		if err != nil || status != tc.status || string(got) != tc.want {
			t.Errorf("%s: %d %q %v, want %d %q", tc.target, status, got, err, tc.status, tc.want)
		}
	}
	ts.CloseClientConnections() // the kept-alive connection ends: Do dials again
	if status, got, err := c.Do([]byte("/length"), nil, ""); err != nil || status != 200 || string(got) != "hello" {
		t.Errorf("after the server closed: %d %q %v", status, got, err)
	}
}

// A Poller echoes with acks against sockio over both Engine.IO versions.
func TestPollerEcho(t *testing.T) {
	srv := server.New(server.Options{})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(t.Context())
	for _, proto := range []int{3, 4} {
		p, err := pollclient.Open(strings.TrimPrefix(ts.URL, "http://"), proto, 10*time.Second)
		if err != nil {
			t.Fatalf("proto %d: %v", proto, err)
		}
		for range 3 {
			if err := p.Echo([]byte(`421["echo","é😀"]`), time.Now().Add(time.Minute)); err != nil {
				t.Fatalf("proto %d: %v", proto, err)
			}
		}
		p.Close()
	}
}

// An echo whose ack does not come ends with ErrNoAck at the first poll
// answered (here by a ping) after its deadline.
func TestEchoWithoutAck(t *testing.T) {
	srv := server.New(server.Options{PingInterval: 50 * time.Millisecond, PingTimeout: 10 * time.Second})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(t.Context())
	p, err := pollclient.Open(strings.TrimPrefix(ts.URL, "http://"), 4, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Echo([]byte(`421["nobody listens"]`), time.Now()); !errors.Is(err, pollclient.ErrNoAck) {
		t.Errorf("Echo = %v, want ErrNoAck", err)
	}
}
