package namespace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"

	"github.com/sockio/sockio/payload"
)

// Server-side events: the handlers of events other processes send with
// ServerSideEmit, and the sending side.

// ServerEvent is a server-side event from another process of the cluster
// (socket.io's serverSideEmit).
type ServerEvent struct {
	Name string
	Args
	ack  func(v any)
	once sync.Once
}

// HasAck reports whether the sending process waits for an answer.
func (e *ServerEvent) HasAck() bool { return e.ack != nil }

// Ack answers the sending process with v (a JSON value). Only the first
// call sends; socket.io carries one value per server.
func (e *ServerEvent) Ack(v any) {
	if e.ack != nil {
		e.once.Do(func() { e.ack(v) })
	}
}

// maxServerEvents bounds the server-side event handlers running at once
// in a namespace; past it events from other processes are refused.
const maxServerEvents = 1024

var errServerEventsBusy = errors.New("namespace: too many server-side events in flight")

// cluster is a namespace's state for the cluster-wide API.
type cluster struct {
	ackIDs   atomic.Uint64
	running  atomic.Int64 // server-side event handlers running
	mu       sync.RWMutex
	handlers map[string]func(*ServerEvent)
}

// nextAckID returns a new ack id, unique in the namespace for emits to one
// socket and for broadcasts alike.
func (n *Namespace) nextAckID() uint64 { return n.cluster.ackIDs.Add(1) - 1 }

// OnServerEvent registers the handler of the server-side event named
// event, replacing any earlier one. Handlers run on their own goroutine,
// one per event, waited for by Registry.Wait.
func (n *Namespace) OnServerEvent(event string, h func(e *ServerEvent)) {
	n.cluster.mu.Lock()
	if n.cluster.handlers == nil {
		n.cluster.handlers = map[string]func(*ServerEvent){}
	}
	n.cluster.handlers[event] = h
	n.cluster.mu.Unlock()
}

// HandleServerEvent runs the handler of a server-side event another process
// sent: data is the JSON array [event, ...args]; ack, nil when the sender
// wants no answer, carries the handler's answer back. Adapters call it.
func (n *Namespace) HandleServerEvent(data []byte, ack func(v any)) error {
	items, err := payload.SplitArgs(data)
	if err != nil || len(items) == 0 {
		return fmt.Errorf("namespace: server-side event: %w", payload.ErrPacket)
	}
	var name string
	if err := json.Unmarshal(items[0], &name); err != nil {
		return fmt.Errorf("namespace: server-side event name: %w", err)
	}
	n.cluster.mu.RLock()
	h := n.cluster.handlers[name]
	n.cluster.mu.RUnlock()
	if h == nil {
		return nil
	}
	if n.cluster.running.Add(1) > maxServerEvents {
		n.cluster.running.Add(-1)
		return errServerEventsBusy
	}
	e := &ServerEvent{Name: name, Args: Args{items: items[1:]}, ack: ack}
	n.reg.workers.Add(1)
	go func() {
		defer n.reg.workers.Done()
		defer n.cluster.running.Add(-1)
		defer func() {
			if v := recover(); v != nil {
				n.reg.opts.Logger.Error("sockio: server event handler panicked", "namespace", n.name,
					"event", name, "panic", v, "stack", string(debug.Stack()))
				n.reg.handlerPanicked()
			}
		}()
		h(e)
	}()
	return nil
}

// ServerSideEmit sends an event to the OnServerEvent handlers of the
// namespace in the other processes of the cluster. Arguments must be JSON
// (binary does not travel in server-side events).
func (n *Namespace) ServerSideEmit(event string, args ...any) error {
	data, err := serverEventData(event, args)
	if err != nil {
		return err
	}
	_, err = n.adapter.ServerSideEmit(context.Background(), data, false)
	return err
}

// ServerSideEmitWithAck is ServerSideEmit waiting for each other process's
// answer (one value each) until ctx is done; then it returns the answers
// that arrived and an error. A process alone in its cluster gets none.
func (n *Namespace) ServerSideEmitWithAck(ctx context.Context, event string, args ...any) ([]Args, error) {
	data, err := serverEventData(event, args)
	if err != nil {
		return nil, err
	}
	return n.adapter.ServerSideEmit(ctx, data, true)
}

func serverEventData(event string, args []any) ([]byte, error) {
	data, atts, err := payload.EncodeEvent(event, args)
	if err != nil {
		return nil, err
	}
	if len(atts) > 0 {
		return nil, errors.New("namespace: binary arguments in a server-side event")
	}
	return data, nil
}
