package server

import (
	"sync"

	"github.com/sockio/sockio/payload"
)

// NewEngine returns a bare Engine.IO endpoint: sessions exchange raw
// messages, with no namespaces. onOpen runs for every new session, before
// any of its messages is delivered; set its handlers there.
func NewEngine(opts Options, onOpen func(c *EngineConn)) *Engine {
	return newEngine(opts.withDefaults(), func(s *session) upper {
		c := &EngineConn{s: s}
		onOpen(c)
		return c
	})
}

// EngineConn is one raw Engine.IO session.
type EngineConn struct {
	s         *session
	mu        sync.Mutex
	onMessage func(data []byte, binary bool)
	onClose   func(reason payload.DisconnectReason)
}

// ID returns the session id.
func (c *EngineConn) ID() string { return c.s.id }

// OnMessage sets the handler of messages from the client. It runs on the
// connection's reader: messages arrive in order, one at a time.
func (c *EngineConn) OnMessage(fn func(data []byte, binary bool)) {
	c.mu.Lock()
	c.onMessage = fn
	c.mu.Unlock()
}

// OnClose sets the function called once with the reason the session ended.
func (c *EngineConn) OnClose(fn func(reason payload.DisconnectReason)) {
	c.mu.Lock()
	c.onClose = fn
	c.mu.Unlock()
}

// Send queues a message for the client without blocking. A client too
// slow to keep up (see Options.QueueBytes) is disconnected and Send
// returns transports.ErrQueueFull.
func (c *EngineConn) Send(data []byte, binary bool) error {
	return c.s.push(false, payload.Frame{Type: payload.FrameMessage, Binary: binary, Data: data})
}

// BufferedAmount reports the bytes queued for the client.
func (c *EngineConn) BufferedAmount() int { return c.s.q.Bytes() }

// Close ends the session.
func (c *EngineConn) Close() { c.s.shutdown(payload.ReasonForcedClose) }

func (c *EngineConn) message(f payload.Frame) error {
	if ignored := c.s.d.traits().ignored; ignored != nil && ignored(f.Data) {
		return nil
	}
	c.mu.Lock()
	fn := c.onMessage
	c.mu.Unlock()
	if fn != nil {
		fn(f.Data, f.Binary)
	}
	return nil
}

func (c *EngineConn) closed(reason payload.DisconnectReason) {
	c.mu.Lock()
	fn := c.onClose
	c.mu.Unlock()
	if fn != nil {
		fn(reason)
	}
}
