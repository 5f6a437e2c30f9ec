package namespace_test

import (
	"context"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/sockio/sockio/namespace"
)

func ids(ss []namespace.RemoteSocket) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID())
	}
	sort.Strings(out)
	return out
}

func sortedIDs(ss ...*namespace.Socket) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ID())
	}
	sort.Strings(out)
	return out
}

func TestFetchSocketsLocal(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	A, B, C := ms[0].s, ms[1].s, ms[2].s
	A.Join("r")
	B.Join("r")
	A.SetData(map[string]any{"user": "alice"})
	ctx := context.Background()

	all, err := ns.FetchSockets(ctx)
	if err != nil || !slices.Equal(ids(all), sortedIDs(A, B, C)) {
		t.Fatalf("FetchSockets = %v, %v", ids(all), err)
	}
	inR, err := ns.In("r").Except(B.ID()).FetchSockets(ctx)
	if err != nil || len(inR) != 1 || inR[0].ID() != A.ID() {
		t.Fatalf("In(r).Except(B).FetchSockets = %v, %v", ids(inR), err)
	}
	// Local sockets come back as *Socket, with their data and rooms.
	s, ok := inR[0].(*namespace.Socket)
	if !ok || s != A {
		t.Fatalf("fetched %T, want the *Socket A", inR[0])
	}
	if d, _ := inR[0].Data().(map[string]any); d["user"] != "alice" {
		t.Errorf("Data = %v", inR[0].Data())
	}
	if rooms := inR[0].Rooms(); !slices.Contains(rooms, "r") || !slices.Contains(rooms, A.ID()) {
		t.Errorf("Rooms = %v", rooms)
	}
}

func TestSocketsJoinLeaveDisconnect(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	A, B, C := ms[0].s, ms[1].s, ms[2].s
	A.Join("r")
	B.Join("r")
	ctx := context.Background()

	if err := ns.In("r").SocketsJoin("s", "t"); err != nil {
		t.Fatal(err)
	}
	got, _ := ns.In("t").FetchSockets(ctx)
	if !slices.Equal(ids(got), sortedIDs(A, B)) {
		t.Errorf("room t after SocketsJoin: %v", ids(got))
	}
	if err := ns.Except(A.ID()).SocketsLeave("s"); err != nil {
		t.Fatal(err)
	}
	got, _ = ns.In("s").FetchSockets(ctx)
	if !slices.Equal(ids(got), sortedIDs(A)) {
		t.Errorf("room s after SocketsLeave: %v", ids(got))
	}
	if err := ns.SocketsJoin("everyone"); err != nil {
		t.Fatal(err)
	}
	got, _ = ns.In("everyone").FetchSockets(ctx)
	if !slices.Equal(ids(got), sortedIDs(A, B, C)) {
		t.Errorf("room everyone: %v", ids(got))
	}

	// DisconnectSockets: the client sees a DISCONNECT; with close, the
	// connection closes too.
	if err := ns.In("t").Except(A.ID()).DisconnectSockets(false); err != nil {
		t.Fatal(err)
	}
	if B.Connected() || !A.Connected() || !C.Connected() {
		t.Fatalf("after DisconnectSockets: A %v B %v C %v", A.Connected(), B.Connected(), C.Connected())
	}
	wantTexts(t, "B", ms[1].conn.texts(), "1")
	if err := ns.In(C.ID()).DisconnectSockets(true); err != nil {
		t.Fatal(err)
	}
	if reason := ms[2].conn.waitClosed(t); reason != namespace.ReasonForcedServerClose {
		t.Errorf("C's connection closed with %q", reason)
	}
	got, _ = ns.FetchSockets(ctx)
	if !slices.Equal(ids(got), sortedIDs(A)) {
		t.Errorf("left: %v", ids(got))
	}
}

func TestBroadcastEmitWithAck(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 3)
	ms[0].s.Join("r")
	ms[1].s.Join("r")
	type result struct {
		args []namespace.Args
		err  error
	}
	done := make(chan result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		a, err := ns.To("r").EmitWithAck(ctx, "q", 1)
		done <- result{a, err}
	}()
	// One packet, one ack id, the same frames for both receivers.
	p0 := ms[0].conn.waitSent(t, 1)[0]
	p1 := ms[1].conn.waitSent(t, 1)[0]
	if p0 != p1 || !p0.HasID || text(p0) != "2"+itoa(int(p0.ID))+`["q",1]` {
		t.Fatalf("sent %q and %q", text(p0), text(p1))
	}
	if n := len(ms[2].conn.packets()); n != 0 {
		t.Errorf("C outside the room got %q", ms[2].conn.texts())
	}
	for i, m := range ms[:2] {
		if err := m.c.Receive(packet(t, "3"+itoa(int(p0.ID))+`["a`+itoa(i)+`"]`)); err != nil {
			t.Fatal(err)
		}
	}
	r := <-done
	if r.err != nil || len(r.args) != 2 {
		t.Fatalf("EmitWithAck = %d answers, %v", len(r.args), r.err)
	}
	var got []string
	for _, a := range r.args {
		var s string
		_ = a.Decode(0, &s)
		got = append(got, s)
	}
	sort.Strings(got)
	if !slices.Equal(got, []string{"a0", "a1"}) {
		t.Errorf("answers %q", got)
	}
}

func TestBroadcastEmitWithAckTimeout(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ms := e.members("/", 2)
	done := make(chan error, 1)
	var answers []namespace.Args
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		var err error
		answers, err = ns.EmitWithAck(ctx, "q")
		done <- err
	}()
	p := ms[0].conn.waitSent(t, 1)[0]
	ms[1].conn.waitSent(t, 1)
	if err := ms[0].c.Receive(packet(t, "3"+itoa(int(p.ID))+`["only"]`)); err != nil {
		t.Fatal(err)
	}
	// Receive resolves an ack before it returns: the answer is counted.
	cancel()
	err := <-done
	if !errors.Is(err, context.Canceled) || len(answers) != 1 {
		t.Fatalf("EmitWithAck = %d answers, %v; want 1 and Canceled", len(answers), err)
	}
}

func TestServerSideEmitAlone(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ran := make(chan struct{}, 1)
	ns.OnServerEvent("ping", func(*namespace.ServerEvent) { ran <- struct{}{} })
	if err := ns.ServerSideEmit("ping", 1); err != nil {
		t.Fatal(err)
	}
	got, err := ns.ServerSideEmitWithAck(context.Background(), "ping")
	if err != nil || len(got) != 0 {
		t.Fatalf("ServerSideEmitWithAck alone = %v, %v", got, err)
	}
	select {
	case <-ran:
		t.Error("the sending process ran its own server event handler")
	default:
	}
	if err := ns.ServerSideEmit("bin", []byte{1}); err == nil {
		t.Error("binary server-side event accepted")
	}
}

func TestHandleServerEvent(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	ns.OnServerEvent("sum", func(ev *namespace.ServerEvent) {
		var a, b int
		_ = ev.Decode(0, &a)
		_ = ev.Decode(1, &b)
		ev.Ack(a + b)
		ev.Ack(-1) // only the first answer travels
	})
	answers := make(chan any, 2)
	if err := ns.HandleServerEvent([]byte(`["sum",2,3]`), func(v any) { answers <- v }); err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-answers:
		if v != 5 {
			t.Errorf("answer %v", v)
		}
	case <-time.After(safety):
		t.Fatal("no answer")
	}
	e.reg.Wait()
	if len(answers) != 0 {
		t.Errorf("second answer %v", <-answers)
	}
	if err := ns.HandleServerEvent([]byte(`{}`), nil); err == nil {
		t.Error("malformed server event accepted")
	}
	if err := ns.HandleServerEvent([]byte(`["nobody"]`), nil); err != nil {
		t.Errorf("event without handler: %v", err)
	}
}

// A flood of server-side events runs a bounded number of handlers.
func TestServerEventsBounded(t *testing.T) {
	e := newEnv(t, namespace.Options{})
	ns := e.reg.Of("/")
	release := make(chan struct{})
	ns.OnServerEvent("slow", func(*namespace.ServerEvent) { <-release })
	refused := 0
	for range 1100 {
		if ns.HandleServerEvent([]byte(`["slow"]`), nil) != nil {
			refused++
		}
	}
	close(release)
	e.reg.Wait()
	if refused != 1100-1024 {
		t.Errorf("%d refused, want %d", refused, 1100-1024)
	}
	if err := ns.HandleServerEvent([]byte(`["slow"]`), nil); err != nil {
		t.Errorf("after the flood: %v", err)
	}
}
