package namespace

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sockio/sockio/payload"
)

// fakeClock is a store's clock that moves only when the test says.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newTestStore(cfg Recovery) (*recoveryStore, *fakeClock) {
	st := newRecoveryStore(cfg.withDefaults())
	clock := &fakeClock{t: time.Unix(1_700_000_000, 0)}
	st.now = clock.now
	return st, clock
}

func event(data string) *payload.Shared {
	return &payload.Shared{Packet: payload.Packet{Type: payload.Event, Namespace: "/", Data: []byte(data)}}
}

func missedData(rs *RestoredSession) []string {
	var out []string
	for _, p := range rs.Missed {
		out = append(out, string(p.Data))
	}
	return out
}

// TestRecoveryStoreRestore: offsets increase, the missed events are those
// after the offset that reach the session's rooms, and a session is
// restored once.
func TestRecoveryStoreRestore(t *testing.T) {
	st, _ := newTestStore(Recovery{})
	defer st.close()
	first := event(`["a"]`)
	st.add(first, BroadcastOptions{})
	if first.Offset == "" {
		t.Fatal("no offset")
	}
	st.add(event(`["to r"]`), BroadcastOptions{Rooms: []string{"r"}})
	st.add(event(`["to other"]`), BroadcastOptions{Rooms: []string{"other"}})
	st.add(event(`["all but r"]`), BroadcastOptions{Except: []string{"r"}})
	st.add(event(`["to sid"]`), BroadcastOptions{Rooms: []string{"sid"}})
	last := event(`["all"]`)
	st.add(last, BroadcastOptions{})

	st.persist(&Session{SID: "sid", PID: "pid", Rooms: []string{"sid", "r"}, Data: 7})
	rs := st.restore("pid", first.Offset, "/nsp")
	if rs == nil || rs.SID != "sid" || rs.Data != 7 {
		t.Fatalf("restore = %+v", rs)
	}
	want := []string{`["to r"]`, `["to sid"]`, `["all"]`}
	if got := missedData(rs); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("missed %q, want %q", got, want)
	}
	prev := first.Offset
	for _, p := range rs.Missed {
		if p.Namespace != "/nsp" || p.Offset == "" || p.Offset == prev {
			t.Fatalf("missed packet %+v", p)
		}
		prev = p.Offset
	}
	if rs.Missed[2].Offset != last.Offset {
		t.Fatalf("replayed offset %s, broadcast had %s", rs.Missed[2].Offset, last.Offset)
	}
	if st.restore("pid", first.Offset, "/nsp") != nil {
		t.Fatal("restored twice")
	}

	// The last offset: nothing missed, but recovered.
	st.persist(&Session{SID: "sid", PID: "pid", Rooms: []string{"sid"}})
	if rs := st.restore("pid", last.Offset, "/"); rs == nil || len(rs.Missed) != 0 {
		t.Fatalf("restore at the last offset = %+v", rs)
	}
	// Offsets that are not the store's.
	for _, off := range []string{"", "x", last.Offset + "0", strings.TrimSuffix(last.Offset, "6") + "zz", "1-0"} {
		st.persist(&Session{SID: "sid", PID: "pid"})
		if st.restore("pid", off, "/") != nil {
			t.Errorf("restored with offset %q", off)
		}
	}
}

// TestRecoveryStoreBounds: packets beyond MaxPackets or MaxPacketBytes,
// and sessions beyond MaxSessions, push the oldest out; a client whose
// offset is gone gets nothing.
func TestRecoveryStoreBounds(t *testing.T) {
	st, _ := newTestStore(Recovery{MaxPackets: 3, MaxPacketBytes: 1 << 10, MaxSessions: 2})
	defer st.close()
	var offsets []string
	for i := range 5 {
		p := event(fmt.Sprintf(`[%d]`, i))
		st.add(p, BroadcastOptions{})
		offsets = append(offsets, p.Offset)
	}
	if n, _ := st.len(); n != 3 {
		t.Fatalf("%d packets kept, want 3", n)
	}
	st.persist(&Session{SID: "a", PID: "a"})
	if st.restore("a", offsets[1], "/") != nil {
		t.Fatal("restored from an offset pushed out")
	}
	st.persist(&Session{SID: "a", PID: "a"})
	if rs := st.restore("a", offsets[2], "/"); rs == nil || len(rs.Missed) != 2 {
		t.Fatalf("restore from the oldest kept = %+v", rs)
	}

	big := event(`["` + strings.Repeat("x", 600) + `"]`)
	st.add(big, BroadcastOptions{})
	st.add(event(`["`+strings.Repeat("y", 600)+`"]`), BroadcastOptions{})
	if n, _ := st.len(); n != 1 || st.bytes > 1<<10 {
		t.Fatalf("%d packets, %d bytes kept", n, st.bytes)
	}

	for _, pid := range []string{"p1", "p2", "p3"} {
		st.persist(&Session{SID: pid, PID: pid})
	}
	if _, n := st.len(); n != 2 {
		t.Fatalf("%d sessions kept, want 2", n)
	}
	if st.restore("p1", big.Offset, "/") != nil {
		t.Fatal("the oldest session was kept")
	}
}

// TestRecoveryStoreExpiry: sessions and packets go after
// MaxDisconnectionDuration, and the store then holds nothing.
func TestRecoveryStoreExpiry(t *testing.T) {
	st, clock := newTestStore(Recovery{MaxDisconnectionDuration: time.Minute})
	defer st.close()
	p := event(`[1]`)
	st.add(p, BroadcastOptions{})
	st.persist(&Session{SID: "s", PID: "old"})
	clock.advance(30 * time.Second)
	st.persist(&Session{SID: "s2", PID: "young"})
	clock.advance(30 * time.Second)
	if st.restore("old", p.Offset, "/") != nil {
		t.Fatal("expired session restored")
	}
	if n, s := st.len(); n != 0 || s != 1 {
		t.Fatalf("after a minute: %d packets, %d sessions; want 0, 1", n, s)
	}
	clock.advance(30 * time.Second)
	st.onTimer() // what the sweep timer does
	if n, s := st.len(); n != 0 || s != 0 || len(st.queue) != 0 || st.timer != nil {
		t.Fatalf("after the sweep: %d packets, %d sessions, queue %d, timer %v", n, s, len(st.queue), st.timer)
	}
}

// TestRecoveryStoreRestoredQueueStaysSmall: sessions persisted and restored
// over and over do not pile up in the expiry queue.
func TestRecoveryStoreRestoredQueueStaysSmall(t *testing.T) {
	st, _ := newTestStore(Recovery{})
	defer st.close()
	p := event(`[1]`)
	st.add(p, BroadcastOptions{})
	for i := range 10_000 {
		pid := fmt.Sprint("p", i)
		st.persist(&Session{SID: pid, PID: pid})
		if st.restore(pid, p.Offset, "/") == nil {
			t.Fatal("not restored")
		}
	}
	if len(st.queue) > 100 {
		t.Fatalf("queue holds %d entries for no session", len(st.queue))
	}
}

// TestRecoveryStoreTimerStops: the sweep timer runs only while something
// is kept, and Close stops it.
func TestRecoveryStoreTimerStops(t *testing.T) {
	st := newRecoveryStore(Recovery{MaxDisconnectionDuration: time.Millisecond}.withDefaults())
	st.add(event(`[1]`), BroadcastOptions{})
	deadline := time.Now().Add(10 * time.Second)
	for { // last resort: the timer has no event to wait on
		st.mu.Lock()
		idle := st.timer == nil && len(st.packets) == 0
		st.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweep timer did not empty the store")
		}
		time.Sleep(time.Millisecond)
	}
	st.persist(&Session{SID: "s", PID: "p"})
	st.close()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.timer != nil || len(st.sessions) != 0 {
		t.Fatal("close left the timer or sessions")
	}
}
