package admin

import (
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sockio/sockio/payload"
)

// serverStats is the payload of server_stats, the UI's view of one
// process.
type serverStats struct {
	ServerID            string           `json:"serverId"`
	Hostname            string           `json:"hostname"`
	PID                 int              `json:"pid"`
	Uptime              float64          `json:"uptime"` // seconds
	ClientsCount        int              `json:"clientsCount"`
	PollingClientsCount int              `json:"pollingClientsCount"`
	AggregatedEvents    []aggregateEntry `json:"aggregatedEvents"`
	Namespaces          []namespaceStats `json:"namespaces"`
}

type namespaceStats struct {
	Name         string `json:"name"`
	SocketsCount int    `json:"socketsCount"`
}

// aggregateEntry counts the events of one type (and subtype) in one second.
type aggregateEntry struct {
	Timestamp int64  `json:"timestamp"` // ms, at the start of the second
	Type      string `json:"type"`
	SubType   string `json:"subType,omitempty"`
	Count     int64  `json:"count"`
}

// maxAggregateKeys bounds the entries kept between two stats (a close
// reason is the application's to choose, so subtypes are not a fixed set).
const maxAggregateKeys = 1024

type aggregateKey struct {
	second       int64
	typ, subType string
}

// aggregator counts what the server does between two server_stats: packets
// and bytes on lock-free counters (they move with every message), session
// opens and closes under a lock.
type aggregator struct {
	packetsIn, packetsOut, bytesIn, bytesOut atomic.Int64

	mu      sync.Mutex
	entries map[aggregateKey]int64
	order   []aggregateKey // first-seen order, for a stable payload
}

func (g *aggregator) init() { g.entries = map[aggregateKey]int64{} }

// packet is the server observer's Packet: one message in or out.
func (g *aggregator) packet(in bool, size int) {
	if in {
		g.packetsIn.Add(1)
		g.bytesIn.Add(int64(size))
	} else {
		g.packetsOut.Add(1)
		g.bytesOut.Add(int64(size))
	}
}

// add counts n events of typ/subType in the second of t.
func (g *aggregator) add(t time.Time, typ, subType string, n int64) {
	if n == 0 {
		return
	}
	k := aggregateKey{t.Unix(), typ, subType}
	g.mu.Lock()
	defer g.mu.Unlock()
	if _, ok := g.entries[k]; !ok {
		if len(g.entries) >= maxAggregateKeys {
			return
		}
		g.order = append(g.order, k)
	}
	g.entries[k] += n
}

// flush moves the packet counters into entries of the second that has just
// ended.
func (g *aggregator) flush(now time.Time) {
	t := now.Add(-time.Second / 2) // the ticks come just after the second they close
	g.add(t, "packetsIn", "", g.packetsIn.Swap(0))
	g.add(t, "packetsOut", "", g.packetsOut.Swap(0))
	g.add(t, "bytesIn", "", g.bytesIn.Swap(0))
	g.add(t, "bytesOut", "", g.bytesOut.Swap(0))
}

// take returns the entries and empties the buffer.
func (g *aggregator) take() []aggregateEntry {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]aggregateEntry, 0, len(g.order))
	for _, k := range g.order {
		out = append(out, aggregateEntry{Timestamp: k.second * 1000, Type: k.typ, SubType: k.subType, Count: g.entries[k]})
	}
	clear(g.entries)
	g.order = g.order[:0]
	return out
}

// socketRef names one socket of a session.
type socketRef struct{ nsp, id string }

// connTable follows the server's sessions: their transport, for the
// clients counts, and their sockets, for the socket_updated of an upgrade.
type connTable struct {
	mu      sync.Mutex
	conns   map[string]*connEntry
	polling int // sessions whose transport is not a websocket
}

type connEntry struct {
	transport string
	opened    bool // seen by sessionOpened, not only made by addSocket
	sockets   []socketRef
}

func (t *connTable) init() { t.conns = map[string]*connEntry{} }

// isPolling tells a transport that holds a request open from one that is a
// socket of its own ("" is a 0.9 session with no transport yet).
func isPolling(transport string) bool {
	return transport != "" && transport != "websocket" && transport != "flashsocket"
}

func (a *Admin) sessionOpened(sid, transport string) {
	a.agg.add(time.Now(), "rawConnection", "", 1)
	t := &a.conns
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.conns[sid]
	if !ok {
		e = &connEntry{}
		t.conns[sid] = e
	}
	// A socket of a 0.9 or 2.x client, connected as the session opens, may
	// have made the entry already.
	e.opened = true
	t.setTransport(e, transport)
}

// setTransport changes e's transport, keeping the polling count. t.mu is
// held.
func (t *connTable) setTransport(e *connEntry, transport string) {
	if isPolling(e.transport) {
		t.polling--
	}
	e.transport = transport
	if isPolling(transport) {
		t.polling++
	}
}

func (a *Admin) transportChanged(sid, transport string) {
	t := &a.conns
	t.mu.Lock()
	e, ok := t.conns[sid]
	var sockets []socketRef
	if ok {
		t.setTransport(e, transport)
		sockets = append(sockets, e.sockets...)
	}
	t.mu.Unlock()
	if a.opts.Production || !a.listening() {
		return
	}
	for _, s := range sockets {
		a.enqueue("socket_updated", map[string]string{"id": s.id, "nsp": s.nsp, "transport": transport})
	}
}

func (a *Admin) sessionClosed(sid string, reason payload.DisconnectReason) {
	a.agg.add(time.Now(), "rawDisconnection", string(reason), 1)
	t := &a.conns
	t.mu.Lock()
	if e, ok := t.conns[sid]; ok {
		t.setTransport(e, "")
		delete(t.conns, sid)
	}
	t.mu.Unlock()
}

// addSocket records a socket of session sid, for the socket_updated of its
// upgrade. The entry is made if the session has not been seen opening (it
// opens still, or opened before Attach, or has just closed: removeSocket
// then drops the entry with its last socket).
func (t *connTable) addSocket(sid, transport string, s socketRef) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.conns[sid]
	if !ok {
		e = &connEntry{}
		t.conns[sid] = e
		t.setTransport(e, transport)
	}
	e.sockets = append(e.sockets, s)
}

func (t *connTable) removeSocket(sid string, s socketRef) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.conns[sid]
	if !ok {
		return
	}
	for i, x := range e.sockets {
		if x == s {
			e.sockets = append(e.sockets[:i], e.sockets[i+1:]...)
			break
		}
	}
	if len(e.sockets) == 0 && !e.opened {
		t.setTransport(e, "")
		delete(t.conns, sid)
	}
}

// counts reports the sessions and those that poll.
func (t *connTable) counts() (clients, polling int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns), t.polling
}

// emitStats sends this process's server_stats to every admin socket of the
// cluster.
func (a *Admin) emitStats() {
	clients, polling := a.conns.counts()
	st := serverStats{
		ServerID:            a.opts.ServerID,
		Hostname:            a.hostname,
		PID:                 os.Getpid(),
		Uptime:              time.Since(processStart).Seconds(),
		ClientsCount:        clients,
		PollingClientsCount: polling,
		AggregatedEvents:    a.agg.take(),
	}
	for _, ns := range a.reg.Namespaces() {
		st.Namespaces = append(st.Namespaces, namespaceStats{Name: ns.Name(), SocketsCount: len(ns.Sockets())})
	}
	a.emit(emission{"server_stats", []any{st}})
}
