package namespace

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sockio/sockio/payload"
)

// recoveryStore is the in-memory adapter's store for connection state
// recovery: the events broadcast in the last MaxDisconnectionDuration (at
// most MaxPackets of them, MaxPacketBytes in all) and the sessions of
// disconnected sockets (at most MaxSessions). One timer per store sweeps
// what has expired; nothing else runs in the background.
type recoveryStore struct {
	cfg *Recovery
	tag string // prefix of this store's offsets

	// order serialises Broadcast's offset-and-deliver, so that every
	// client receives stored events in offset order.
	order sync.Mutex

	mu       sync.Mutex
	base     uint64 // sequence number of packets[0]
	next     uint64 // sequence number of the next packet
	packets  []storedPacket
	bytes    int
	sessions map[string]*storedSession // by pid
	queue    []*storedSession          // by expiry; entries restored or evicted are marked gone
	timer    *time.Timer
	closed   bool
	now      func() time.Time
}

type storedPacket struct {
	expires time.Time
	typ     payload.PacketType
	data    []byte
	atts    [][]byte
	rooms   []string
	except  []string
	size    int
}

type storedSession struct {
	Session
	expires time.Time
	gone    bool
}

func newRecoveryStore(cfg *Recovery) *recoveryStore {
	return &recoveryStore{
		cfg:      cfg,
		tag:      strconv.FormatInt(time.Now().UnixMilli(), 36) + "-",
		next:     1,
		base:     1,
		sessions: map[string]*storedSession{},
		now:      time.Now,
	}
}

// storable reports whether p gets an offset and is kept: an event without
// an ack id, not volatile, with no offset yet.
func storable(p *payload.Shared) bool {
	return (p.Type == payload.Event || p.Type == payload.BinaryEvent) && !p.HasID && !p.Volatile && p.Offset == ""
}

// add keeps p for recovery and sets its offset.
func (st *recoveryStore) add(p *payload.Shared, opts BroadcastOptions) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	now := st.now()
	st.sweepLocked(now)
	seq := st.next
	st.next++
	p.Offset = st.tag + strconv.FormatUint(seq, 36)
	size := len(p.Data)
	for _, a := range p.Attachments {
		size += len(a)
	}
	st.packets = append(st.packets, storedPacket{
		expires: now.Add(st.cfg.MaxDisconnectionDuration),
		typ:     p.Type, data: p.Data, atts: p.Attachments,
		rooms: slices.Clone(opts.Rooms), except: slices.Clone(opts.Except), size: size,
	})
	st.bytes += size
	for len(st.packets) > st.cfg.MaxPackets || st.bytes > st.cfg.MaxPacketBytes {
		st.dropPacketLocked()
	}
	st.armLocked()
}

func (st *recoveryStore) dropPacketLocked() {
	st.bytes -= st.packets[0].size
	st.packets[0] = storedPacket{}
	st.packets = st.packets[1:]
	st.base++
}

// persist keeps s until it expires, dropping the oldest session past
// MaxSessions.
func (st *recoveryStore) persist(s *Session) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return
	}
	now := st.now()
	st.sweepLocked(now)
	if old := st.sessions[s.PID]; old != nil {
		old.gone = true
	}
	e := &storedSession{Session: *s, expires: now.Add(st.cfg.MaxDisconnectionDuration)}
	st.sessions[s.PID] = e
	st.queue = append(st.queue, e)
	for len(st.sessions) > st.cfg.MaxSessions {
		st.dropSessionLocked()
	}
	if len(st.queue) > 2*len(st.sessions)+64 { // restored entries pile up: compact
		st.queue = slices.DeleteFunc(st.queue, func(e *storedSession) bool { return e.gone })
	}
	st.armLocked()
}

func (st *recoveryStore) dropSessionLocked() {
	e := st.queue[0]
	st.queue[0] = nil
	st.queue = st.queue[1:]
	if !e.gone {
		delete(st.sessions, e.PID)
	}
}

// restore takes the session pid back with the events after offset that
// reach it; nil when any of them is unknown.
func (st *recoveryStore) restore(pid, offset, nsp string) *RestoredSession {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.sweepLocked(st.now())
	e := st.sessions[pid]
	if e == nil {
		return nil
	}
	delete(st.sessions, pid)
	e.gone = true
	rest, ok := strings.CutPrefix(offset, st.tag)
	if !ok {
		return nil
	}
	seq, err := strconv.ParseUint(rest, 36, 64)
	if err != nil || seq < st.base || seq >= st.base+uint64(len(st.packets)) {
		return nil
	}
	out := &RestoredSession{Session: e.Session}
	for i := int(seq-st.base) + 1; i < len(st.packets); i++ {
		sp := &st.packets[i]
		if !reaches(e.Rooms, sp.rooms, sp.except) {
			continue
		}
		p := &payload.Shared{Packet: payload.Packet{Type: sp.typ, Namespace: nsp, Data: sp.data, Attachments: sp.atts}}
		p.Offset = st.tag + strconv.FormatUint(st.base+uint64(i), 36)
		out.Missed = append(out.Missed, p)
	}
	return out
}

// reaches reports whether a broadcast to rooms except except reaches a
// socket in mine.
func reaches(mine, rooms, except []string) bool {
	for _, r := range except {
		if slices.Contains(mine, r) {
			return false
		}
	}
	if len(rooms) == 0 {
		return true
	}
	for _, r := range rooms {
		if slices.Contains(mine, r) {
			return true
		}
	}
	return false
}

// sweepLocked drops the packets and sessions that expired by now.
func (st *recoveryStore) sweepLocked(now time.Time) {
	for len(st.packets) > 0 && !now.Before(st.packets[0].expires) {
		st.dropPacketLocked()
	}
	for len(st.queue) > 0 && (st.queue[0].gone || !now.Before(st.queue[0].expires)) {
		st.dropSessionLocked()
	}
	if len(st.packets) == 0 {
		st.packets = nil // release the backing array
	}
	if len(st.queue) == 0 {
		st.queue = nil
	}
}

// armLocked starts the sweep timer if anything is kept and it is not
// running; it fires when the oldest entry expires.
func (st *recoveryStore) armLocked() {
	if st.timer != nil || st.closed {
		return
	}
	var first time.Time
	if len(st.packets) > 0 {
		first = st.packets[0].expires
	}
	if len(st.queue) > 0 && (first.IsZero() || st.queue[0].expires.Before(first)) {
		first = st.queue[0].expires
	}
	if first.IsZero() {
		return
	}
	st.timer = time.AfterFunc(first.Sub(st.now()), st.onTimer)
}

func (st *recoveryStore) onTimer() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.timer = nil
	if st.closed {
		return
	}
	st.sweepLocked(st.now())
	st.armLocked()
}

// close drops everything and stops the timer.
func (st *recoveryStore) close() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.closed = true
	if st.timer != nil {
		st.timer.Stop()
		st.timer = nil
	}
	st.packets, st.queue, st.sessions, st.bytes = nil, nil, map[string]*storedSession{}, 0
}

// len reports the packets and sessions kept (for tests).
func (st *recoveryStore) len() (packets, sessions int) {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.packets), len(st.sessions)
}

// PersistSession implements [SessionAdapter]: the session is kept in
// memory until it expires or is restored. Without recovery it does nothing.
func (a *MemoryAdapter) PersistSession(s *Session) {
	if a.store != nil {
		a.store.persist(s)
	}
}

// RestoreSession implements [SessionAdapter] from memory; it never fails.
func (a *MemoryAdapter) RestoreSession(_ context.Context, pid, offset string) (*RestoredSession, error) {
	if a.store == nil {
		return nil, nil
	}
	return a.store.restore(pid, offset, a.ns.name), nil
}

var _ SessionAdapter = (*MemoryAdapter)(nil)
