package main

import (
	"slices"
	"testing"
	"time"
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

func TestPayloadRoundTrip(t *testing.T) {
	packets := []string{`0{"sid":"a"}`, "40", `42["echo","é"]`}
	for _, proto := range []int{3, 4} {
		got, err := decodePayload(proto, encodePayload(proto, packets...))
		if err != nil || !slices.Equal(got, packets) {
			t.Errorf("proto %d: %q, %v", proto, got, err)
		}
	}
	if got := encodePayload(3, "2", `42["é"]`); got != `1:27:42["é"]` {
		t.Errorf("Engine.IO 3 payload %q", got)
	}
	for _, bad := range []string{"x:2", "9:40", "-1:"} {
		if _, err := decodePayload(3, bad); err == nil {
			t.Errorf("decodePayload(3, %q) accepted", bad)
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
