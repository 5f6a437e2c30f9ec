package admin

import (
	"errors"

	"github.com/sockio/sockio/namespace"
)

// maxNameBytes bounds a namespace, room, filter or event name in an action.
const maxNameBytes = 256

var errBadAction = errors.New("admin: malformed action")

// registerActions gives an admin socket the UI's actions, as the Node
// instrument has them: filter, when given, is a room (a socket id names
// its own), and the action covers the namespace's sockets in it in every
// process; without it, every socket of the namespace.
//
//	join(nsp, room, filter?)          the sockets join room
//	leave(nsp, room, filter?)         the sockets leave room
//	_disconnect(nsp, close, filter?)  the sockets disconnect (close: their connections too)
//	emit(nsp, filter, event, ...args) the sockets are sent event (the 0.5.1 UI never sends it)
//
// A malformed action, or one naming a namespace that does not exist, is
// ignored (logged at debug level).
func (a *Admin) registerActions(s *namespace.Socket) {
	act := func(name string, fn func(e *namespace.Event) error) {
		s.On(name, func(e *namespace.Event) {
			if err := fn(e); err != nil {
				a.log.Debug("sockio admin: action refused", "action", name, "socket", s.ID(), "err", err)
			}
		})
	}
	act("join", func(e *namespace.Event) error {
		op, room, err := a.roomAction(e)
		if err != nil {
			return err
		}
		return op.SocketsJoin(room)
	})
	act("leave", func(e *namespace.Event) error {
		op, room, err := a.roomAction(e)
		if err != nil {
			return err
		}
		return op.SocketsLeave(room)
	})
	act("_disconnect", func(e *namespace.Event) error {
		ns, err := a.target(e, 0)
		if err != nil {
			return err
		}
		var close bool
		if e.Len() < 2 || e.Decode(1, &close) != nil {
			return errBadAction
		}
		filter, err := optionalName(e, 2)
		if err != nil {
			return err
		}
		return selection(ns, filter).DisconnectSockets(close)
	})
	act("emit", func(e *namespace.Event) error {
		ns, err := a.target(e, 0)
		if err != nil {
			return err
		}
		filter, err := optionalName(e, 1)
		if err != nil {
			return err
		}
		event, err := name(e, 2)
		if err != nil || event == "" {
			return errBadAction
		}
		return selection(ns, filter).Emit(event, e.Forward()[3:]...)
	})
}

// roomAction reads the (nsp, room, filter?) of join and leave.
func (a *Admin) roomAction(e *namespace.Event) (namespace.Operator, string, error) {
	ns, err := a.target(e, 0)
	if err != nil {
		return namespace.Operator{}, "", err
	}
	room, err := name(e, 1)
	if err != nil || room == "" {
		return namespace.Operator{}, "", errBadAction
	}
	filter, err := optionalName(e, 2)
	if err != nil {
		return namespace.Operator{}, "", err
	}
	return selection(ns, filter), room, nil
}

// target is the namespace named by argument i; an unknown one is an error
// (the Node instrument would create it).
func (a *Admin) target(e *namespace.Event, i int) (*namespace.Namespace, error) {
	nsp, err := name(e, i)
	if err != nil {
		return nil, err
	}
	ns := a.reg.Lookup(nsp)
	if ns == nil {
		return nil, errors.New("admin: no namespace " + nsp)
	}
	return ns, nil
}

// selection is the sockets of ns in room filter, or all of them.
func selection(ns *namespace.Namespace, filter string) namespace.Operator {
	if filter == "" {
		return ns.In()
	}
	return ns.In(filter)
}

// name reads argument i as a bounded string.
func name(e *namespace.Event, i int) (string, error) {
	var s string
	if i >= e.Len() || e.Decode(i, &s) != nil || len(s) > maxNameBytes {
		return "", errBadAction
	}
	return s, nil
}

// optionalName reads argument i as a bounded string that may be missing
// or null ("").
func optionalName(e *namespace.Event, i int) (string, error) {
	if i >= e.Len() || string(e.Raw(i)) == "null" {
		return "", nil
	}
	return name(e, i)
}
