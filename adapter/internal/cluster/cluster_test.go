package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/sockio/sockio/namespace"
)

// Flags are left out when nil (the classic adapter) and written as {} when
// empty (the ClusterAdapter-based ones), in msgpack and JSON alike.
func TestOptsOutFlags(t *testing.T) {
	o := namespace.BroadcastOptions{Rooms: []string{"r"}}
	for _, tc := range []struct {
		flags *Flags
		json  string
	}{
		{nil, `{"rooms":["r"],"except":[]}`},
		{&Flags{}, `{"rooms":["r"],"except":[],"flags":{}}`},
		{&Flags{Volatile: true, Timeout: 5}, `{"rooms":["r"],"except":[],"flags":{"volatile":true,"timeout":5}}`},
	} {
		b, err := json.Marshal(OptsOut(o, tc.flags))
		if err != nil || string(b) != tc.json {
			t.Errorf("JSON %s, %v; want %s", b, err, tc.json)
		}
		m, err := Marshal(OptsOut(o, tc.flags))
		if err != nil {
			t.Fatal(err)
		}
		v, err := Unmarshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(v)
		if want, _ := DecodeJSON([]byte(tc.json)); !jsonEqual(got, want) {
			t.Errorf("msgpack decodes to %s, want %s", got, tc.json)
		}
	}
}

func jsonEqual(got []byte, want any) bool {
	w, _ := json.Marshal(want)
	return bytes.Equal(got, w)
}

// An outage is reported once, refuses calls until the probe, and ends on
// the first call that works.
func TestOutage(t *testing.T) {
	var logs bytes.Buffer
	unreachable := errors.New("unreachable")
	var ops []string
	o := &Outage{Name: "test adapter", Logger: slog.New(slog.NewTextHandler(&logs, nil)), Unreachable: unreachable,
		OnError: func(op string, _ error) { ops = append(ops, op) }}
	boom := errors.New("boom")
	calls := 0
	fail := func(context.Context) error { calls++; return boom }
	if err := o.Call(context.Background(), "publish", 0, fail); !errors.Is(err, unreachable) || !errors.Is(err, boom) {
		t.Fatalf("first call: %v", err)
	}
	if err := o.Call(context.Background(), "publish", 0, fail); err != unreachable || calls != 1 {
		t.Fatalf("call during the outage: %v after %d calls, want refused", err, calls)
	}
	o.Recovered()
	if err := o.Call(context.Background(), "publish", 0, func(context.Context) error { return nil }); err != nil {
		t.Fatalf("call after the outage: %v", err)
	}
	if n := strings.Count(logs.String(), "Redis unreachable"); n != 1 {
		t.Errorf("%d outage warnings, want 1:\n%s", n, logs.String())
	}
	if !strings.Contains(logs.String(), "test adapter: Redis reachable again") {
		t.Errorf("no recovery warning:\n%s", logs.String())
	}
	if strings.Join(ops, ",") != "publish,publish" {
		t.Errorf("OnError ops %v", ops)
	}
}
