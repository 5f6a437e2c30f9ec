package main

import (
	"context"
	"errors"
	"slices"
	"sort"
	"time"

	"github.com/sockio/sockio/namespace"
)

// The cluster events (client-js/test/lib/cluster-server.js serves the same
// contract on Node socket.io with the Node Redis adapter). Each takes an
// object {rooms, except, ...} selecting sockets of the socket's namespace
// in every process, and acks:
//
//	set-data v                          socket data = v; ack true
//	fetch {rooms, except}               ack {sockets: [{id, rooms (sorted), data}]} (sorted by id) or {error}
//	sockets-join {rooms, except, join}  ack true (or {error})
//	sockets-leave {rooms, except, leave}
//	disconnect-sockets {rooms, except, close}
//	server-emit {event, args, ack, timeout}
//	                                    with ack: ack {answers} or {error, answers}; without: ack true
//	emit-with-ack {rooms, except, event, args, timeout}
//	                                    ack {answers: [first ack argument of each client], sorted by JSON}, or {error}
//	server-count                        ack <number of processes>
//
// Every process answers the server-side event "hello" (args...) by sending
// "server-hello" (name, args...) to its local clients of the namespace and
// acking "hello from <name>".

type selection struct {
	Rooms   []string `json:"rooms"`
	Except  []string `json:"except"`
	Join    []string `json:"join"`
	Leave   []string `json:"leave"`
	Close   bool     `json:"close"`
	Event   string   `json:"event"`
	Args    []any    `json:"args"`
	Ack     bool     `json:"ack"`
	Timeout float64  `json:"timeout"`
}

func (s selection) op(ns *namespace.Namespace) namespace.Operator {
	return ns.To(s.Rooms...).Except(s.Except...)
}

func (s selection) ctx() (context.Context, context.CancelFunc) {
	t := time.Duration(s.Timeout) * time.Millisecond
	if t <= 0 {
		t = 5 * time.Second
	}
	return context.WithTimeout(context.Background(), t)
}

func errAck(e *namespace.Event, err error) bool {
	if err != nil {
		e.Ack(map[string]any{"error": err.Error()})
		return true
	}
	return false
}

// clusterNamespace registers the server-side event handlers of ns.
func (a *app) clusterNamespace(ns *namespace.Namespace) {
	ns.OnServerEvent("hello", func(e *namespace.ServerEvent) {
		args := append([]any{a.name}, e.Forward()...)
		ns.Local().Emit("server-hello", args...)
		e.Ack("hello from " + a.name)
	})
}

func (a *app) clusterEvents(s *namespace.Socket) {
	ns := s.Namespace()
	decode := func(e *namespace.Event) (selection, bool) {
		var sel selection
		return sel, !errAck(e, e.Decode(0, &sel))
	}
	s.On("set-data", func(e *namespace.Event) {
		vals, err := e.Values()
		if errAck(e, err) || len(vals) == 0 {
			return
		}
		s.SetData(vals[0])
		e.Ack(true)
	})
	s.On("fetch", func(e *namespace.Event) {
		sel, ok := decode(e)
		if !ok {
			return
		}
		go func() { // waits for the other processes
			ctx, cancel := sel.ctx()
			defer cancel()
			found, err := sel.op(ns).FetchSockets(ctx)
			if errAck(e, err) {
				return
			}
			out := make([]map[string]any, 0, len(found))
			for _, f := range found {
				rooms := slices.Clone(f.Rooms())
				sort.Strings(rooms)
				out = append(out, map[string]any{"id": f.ID(), "rooms": rooms, "data": f.Data()})
			}
			sort.Slice(out, func(i, j int) bool { return out[i]["id"].(string) < out[j]["id"].(string) })
			e.Ack(map[string]any{"sockets": out})
		}()
	})
	s.On("sockets-join", func(e *namespace.Event) {
		if sel, ok := decode(e); ok && !errAck(e, sel.op(ns).SocketsJoin(sel.Join...)) {
			e.Ack(true)
		}
	})
	s.On("sockets-leave", func(e *namespace.Event) {
		if sel, ok := decode(e); ok && !errAck(e, sel.op(ns).SocketsLeave(sel.Leave...)) {
			e.Ack(true)
		}
	})
	s.On("disconnect-sockets", func(e *namespace.Event) {
		if sel, ok := decode(e); ok && !errAck(e, sel.op(ns).DisconnectSockets(sel.Close)) {
			e.Ack(true)
		}
	})
	s.On("server-count", func(e *namespace.Event) {
		n, err := ns.Adapter().ServerCount(context.Background())
		if !errAck(e, err) {
			e.Ack(n)
		}
	})
	s.On("server-emit", func(e *namespace.Event) {
		sel, ok := decode(e)
		if !ok {
			return
		}
		if !sel.Ack {
			if !errAck(e, ns.ServerSideEmit(sel.Event, sel.Args...)) {
				e.Ack(true)
			}
			return
		}
		go func() {
			ctx, cancel := sel.ctx()
			defer cancel()
			answers, err := ns.ServerSideEmitWithAck(ctx, sel.Event, sel.Args...)
			out := firstValues(answers)
			if err != nil {
				e.Ack(map[string]any{"error": err.Error(), "answers": out})
				return
			}
			e.Ack(map[string]any{"answers": out})
		}()
	})
	s.On("emit-with-ack", func(e *namespace.Event) {
		sel, ok := decode(e)
		if !ok {
			return
		}
		go func() {
			ctx, cancel := sel.ctx()
			defer cancel()
			answers, err := sel.op(ns).EmitWithAck(ctx, sel.Event, sel.Args...)
			if errors.Is(err, context.DeadlineExceeded) {
				e.Ack(map[string]any{"error": "operation has timed out"})
				return
			}
			if errAck(e, err) {
				return
			}
			e.Ack(map[string]any{"answers": firstValues(answers)})
		}()
	})
}

// firstValues returns each answer's first argument, sorted by its JSON.
func firstValues(answers []namespace.Args) []any {
	out := make([]any, 0, len(answers))
	var keys []string
	for _, a := range answers {
		if a.Len() == 0 {
			out = append(out, nil)
			keys = append(keys, "null")
			continue
		}
		vals, _ := a.Values()
		out = append(out, vals[0])
		keys = append(keys, string(a.Raw(0)))
	}
	idx := make([]int, len(out))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return keys[idx[i]] < keys[idx[j]] })
	sorted := make([]any, len(out))
	for i, k := range idx {
		sorted[i] = out[k]
	}
	return sorted
}
