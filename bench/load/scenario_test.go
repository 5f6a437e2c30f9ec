package main

import (
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

func TestParseStatCPU(t *testing.T) {
	stat := "1234 (my (odd) app) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 8 0 1 1 1"
	if got := parseStatCPU(stat); got != 3*time.Second {
		t.Errorf("parseStatCPU = %v, want 3s", got)
	}
	for _, bad := range []string{"", "12 (x) S 1", "no paren"} {
		if got := parseStatCPU(bad); got != 0 {
			t.Errorf("parseStatCPU(%q) = %v, want 0", bad, got)
		}
	}
}

// The pecho scenario runs its polling clients against a sockio server in
// both Engine.IO versions without errors: every echo it began got its ack
// (a lost one is an error 10 s after the window). The window is
// short, so the figure itself is not checked; internal/pollclient's tests
// check the acks one by one.
func TestPollingEcho(t *testing.T) {
	srv := server.New(server.Options{})
	srv.Of("/").OnConnection(func(s *namespace.Socket) {
		s.On("echo", func(e *namespace.Event) { _ = e.Ack(e.Forward()...) })
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	defer srv.Close(t.Context())
	defer func(p, s int, w time.Duration) { *proto, *size, *warmup = p, s, w }(*proto, *size, *warmup)
	*size, *warmup = 16, 0
	for _, pr := range []int{3, 4} {
		*proto = pr
		r, err := runPollingEcho(strings.TrimPrefix(ts.URL, "http://"), 4, 100*time.Millisecond, os.Getpid())
		if err != nil || r.Errors != 0 {
			t.Errorf("proto %d: %+v, %v", pr, r, err)
		}
	}
}

func TestFrames(t *testing.T) {
	for _, proto := range []int{1, 3, 4} {
		if ts, ok := bcastTime(string(bcastFrame(proto, 1234567))); !ok || ts != 1234567 {
			t.Errorf("proto %d: bcastTime = %d, %v", proto, ts, ok)
		}
	}
	if got := string(echoFrame(1, "hi")); got != `5:1+::{"name":"echo","args":["hi"]}` {
		t.Errorf("0.9 echo frame %s", got)
	}
	if got := string(echoFrame(4, "hi")); got != `421["echo","hi"]` {
		t.Errorf("echo frame %s", got)
	}
}

func TestParseCores(t *testing.T) {
	stat := "cpu  10 0 10 80 0 0 0 0 0 0\ncpu0 5 0 5 40 10 0 0 0 7 0\ncpu1 1 2 3 4 5 6 7 8 0 0\nintr 1 2\n"
	got := parseCores(stat)
	want := []coreTicks{{total: 60, idle: 50}, {total: 36, idle: 9}}
	if !slices.Equal(got, want) {
		t.Errorf("parseCores = %+v, want %+v", got, want)
	}
}
