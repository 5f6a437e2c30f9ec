package namespace

import (
	"slices"
	"strings"
)

// Observer watches every namespace of a registry, for tools that show a
// server's state as it changes (package admin is one). Its functions run on
// the goroutine that made the change and must not block: hand the news to a
// goroutine of your own. Connect runs with no lock of this package held;
// Join and Leave may run while the socket concerned holds its own lock
// (Socket.Join does), so they must not call that socket's methods. Nil
// functions are skipped.
type Observer struct {
	// Connect runs when a socket has joined its namespace (its own room
	// joined, its CONNECT acknowledged), before the namespace's
	// OnConnection handlers; it may register handlers on the socket.
	Connect func(s *Socket)
	// Join runs when socket id has entered room of ns, Leave when it has
	// left it, its own id-named room and the leaving of every room on
	// disconnect included. They are reported by the in-memory adapter, so
	// by every adapter built on it, for the sockets of this process.
	Join, Leave func(ns *Namespace, room, id string)
}

// Observe adds o to the registry's observers. There is no removal: an
// observer lives as long as the registry.
func (r *Registry) Observe(o Observer) { r.obs.Add(o) }

// observed returns the observers, nil when there are none.
func (r *Registry) observed() []Observer {
	if r == nil {
		return nil
	}
	return r.obs.Load()
}

// observeConnect tells the observers that s has joined its namespace.
func (r *Registry) observeConnect(s *Socket) {
	for _, o := range r.observed() {
		if o.Connect != nil {
			o.Connect(s)
		}
	}
}

// roomChange is one socket entering or leaving one room.
type roomChange struct {
	room, id string
	joined   bool
}

// observeRooms tells the observers of ns's registry about changes.
func (n *Namespace) observeRooms(changes []roomChange) {
	if n == nil {
		return
	}
	for _, o := range n.reg.observed() {
		for _, c := range changes {
			switch {
			case c.joined && o.Join != nil:
				o.Join(n, c.room, c.id)
			case !c.joined && o.Leave != nil:
				o.Leave(n, c.room, c.id)
			}
		}
	}
}

// watched reports whether room changes in ns have observers to tell.
func (n *Namespace) watched() bool { return n != nil && len(n.reg.observed()) > 0 }

// Namespaces returns the registry's named namespaces, dynamic children
// included and dynamic parents (which have no name) left out, sorted by
// name.
func (r *Registry) Namespaces() []*Namespace {
	r.mu.RLock()
	out := make([]*Namespace, 0, len(r.nsps))
	for _, ns := range r.nsps {
		out = append(out, ns)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b *Namespace) int { return strings.Compare(a.name, b.name) })
	return out
}
