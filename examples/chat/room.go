package main

import (
	"context"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/sockio/sockio/namespace"
	"github.com/sockio/sockio/server"
)

// room is the name of the socket.io room everyone who joined is in.
const room = "chat"

// message is what the room sees of a chat line.
type message struct {
	From string `json:"from"`
	Text string `json:"text"`
}

// online is a head count of the room, across every process of a cluster
// (those that answered within a second), and the name of the process that
// took it. Counts taken by different connections may reach a page in
// either order; Seq orders them, and a page keeps the count with the
// highest Seq it has seen.
type online struct {
	Online int    `json:"online"`
	Seq    uint64 `json:"seq"`
	Server string `json:"server"`
}

// census numbers head counts. On one process counting is a map look-up
// done under the lock with the numbering, so a later number always goes
// with a later count. In a cluster the count is a request to the other
// processes (bounded by a second), made before the lock is taken so that no
// lock is held across I/O: two counts taken at once may then be numbered out
// of order, and the next join or leave sets the page right.
type census struct {
	process string
	remote  bool // the namespace's adapter spans processes

	mu  sync.Mutex
	seq uint64
}

func (c *census) take(ns *namespace.Namespace) online {
	count := func() int {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		heads, _ := ns.In(room).FetchSockets(ctx) // what answered in time
		return len(heads)
	}
	n := 0
	if c.remote {
		n = count()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	if !c.remote {
		n = count()
	}
	return online{Online: n, Seq: c.seq, Server: c.process}
}

// mountChat wires the chat room on the main namespace:
//   - "join" (name) enters the room, or renames someone already in it; the
//     ack is the head count;
//   - "chat" (text) sends {from, text} to everyone else in the room (the
//     sender shows its own line) and acks true;
//   - the room gets a "notice" (text) when someone joins, is renamed or
//     leaves, and an "online" {online, seq} head count when someone joins
//     or leaves.
func mountChat(srv *server.Server, process string, clustered bool) {
	ns := srv.Of("/")
	heads := census{process: process, remote: clustered}
	ns.OnConnection(func(s *namespace.Socket) {
		// Handlers of one connection run one at a time, the disconnect
		// handler after every event that came before it: nick and joined
		// need no lock.
		nick, joined := "", false
		s.On("join", func(e *namespace.Event) {
			var name string
			_ = e.Decode(0, &name)
			name = clean(name, 32, "anonymous")
			if joined {
				if name != nick {
					ns.To(room).Emit("notice", nick+" is now "+name)
					nick = name
				}
				e.Ack(heads.take(ns))
				return
			}
			nick, joined = name, true
			s.Join(room)
			s.To(room).Emit("notice", nick+" joined")
			count := heads.take(ns)
			s.To(room).Emit("online", count)
			e.Ack(count)
		})
		s.On("chat", func(e *namespace.Event) {
			var text string
			if !joined || e.Decode(0, &text) != nil {
				return
			}
			text = clean(text, 500, "")
			if text == "" {
				return
			}
			// The ack tells the sender whether the message went out (a
			// broadcast fails only when a cluster adapter cannot publish).
			e.Ack(s.To(room).Emit("chat", message{From: nick, Text: text}) == nil)
		})
		s.OnDisconnect(func(reason namespace.DisconnectReason) {
			if !joined {
				return
			}
			// The socket has left its rooms already; leaving again keeps a
			// join that raced with the disconnect from counting a ghost.
			s.Leave(room)
			ns.To(room).Emit("notice", nick+" left")
			ns.To(room).Emit("online", heads.take(ns))
		})
	})
}

// clean trims s, drops invalid UTF-8 and caps it at max runes; empty
// stands in for nothing left.
func clean(s string, max int, empty string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	if r := []rune(s); len(r) > max {
		s = strings.TrimSpace(string(r[:max]))
	}
	if s == "" {
		return empty
	}
	return s
}
