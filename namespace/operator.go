package namespace

import (
	"errors"
	"slices"

	"github.com/sockio/sockio/payload"
)

// Operator is an emit in the making: to one socket, or a broadcast to the
// rooms and exceptions chosen so far. Its methods return modified copies,
// so an Operator can be kept and reused.
//
// An Operator that starts from a socket ([Socket.To], [Socket.In],
// [Socket.Except], [Socket.Broadcast], [Socket.Local], [Socket.Volatile])
// leaves that socket out of every broadcast it makes, whatever the order of To, Except, Volatile and Local
// after it. Only [Socket.Volatile] followed by nothing but Volatile emits to
// the socket itself, as socket.io's socket.volatile.emit does.
type Operator struct {
	ns       *Namespace
	sender   *Socket // the socket the chain started from: never a receiver of a broadcast
	toSender bool    // emit to sender alone
	rooms    []string
	except   []string
	volatile bool
	local    bool
}

// To adds rooms to the receivers (a socket in several gets one copy).
func (o Operator) To(rooms ...string) Operator {
	o.rooms = append(slices.Clip(o.rooms), rooms...)
	o.toSender = false
	return o
}

// In is To.
func (o Operator) In(rooms ...string) Operator { return o.To(rooms...) }

// Except leaves out the sockets in rooms (a socket id names its own room).
func (o Operator) Except(rooms ...string) Operator {
	o.except = append(slices.Clip(o.except), rooms...)
	o.toSender = false
	return o
}

// Volatile lets the emit be dropped for clients that are behind.
func (o Operator) Volatile() Operator {
	o.volatile = true
	return o
}

// Local keeps a broadcast in this process.
func (o Operator) Local() Operator {
	o.local = true
	o.toSender = false
	return o
}

// Emit sends the event. The packet is encoded to JSON once, and to each
// generation's frames once, whatever the number of receivers.
//
// Emitting to the sender alone ([Socket.Volatile]) fails as [Socket.Emit]
// does. A broadcast fails only when the arguments cannot be encoded, or
// when the adapter cannot hand the packet on to the other processes of a
// cluster (the local receivers have it by then); the in-memory adapter
// never fails. Receivers that are gone or too slow do not make a broadcast
// fail: the too slow are disconnected, and a volatile packet is dropped for
// clients that are behind.
func (o Operator) Emit(event string, args ...any) error {
	data, atts, err := payload.EncodeEvent(event, args)
	if err != nil {
		return err
	}
	if o.toSender {
		p := newShared(payload.Event, o.ns.name, data, atts)
		p.Volatile = o.volatile
		if o.sender.pid == "" {
			return o.sender.send(p)
		}
		// With recovery the event goes through the adapter, which keeps
		// it and gives it an offset (socket.io does the same).
		err := o.ns.adapter.Broadcast(p, BroadcastOptions{Rooms: []string{o.sender.id}})
		if err == nil && !o.sender.Connected() {
			err = ErrDisconnected
		}
		return err
	}
	opts := o.options()
	if o.ns.children != nil { // a dynamic parent reaches its children
		var errs []error
		for _, c := range o.ns.childList() {
			p := newShared(payload.Event, c.name, data, atts)
			p.Volatile = o.volatile
			// A child removed since the list was taken has no sockets
			// and a closed adapter: its error does not count.
			if err := c.adapter.Broadcast(p, opts); err != nil && !c.removed.Load() {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
	p := newShared(payload.Event, o.ns.name, data, atts)
	p.Volatile = o.volatile
	return o.ns.adapter.Broadcast(p, opts)
}

// SocketIDs lists the ids of the sockets this broadcast would reach.
func (o Operator) SocketIDs() []string {
	if o.toSender {
		return []string{o.sender.id}
	}
	opts := o.options()
	if o.ns.children != nil {
		var ids []string
		for _, c := range o.ns.childList() {
			ids = append(ids, c.adapter.SocketIDs(opts)...)
		}
		return ids
	}
	return o.ns.adapter.SocketIDs(opts)
}
