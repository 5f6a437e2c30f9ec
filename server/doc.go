// Package server ties sockio together: the [Server] is an http.Handler
// that recognises each client generation, keeps the Engine.IO sessions
// (handshakes, heartbeats, upgrades, closes) with their transports and
// queues, and bridges them to the namespaces applications program against.
//
// Mount it under any prefix, in chi or in net/http:
//
//	srv := server.New(server.Options{})
//	srv.Of("/").OnConnection(func(s *namespace.Socket) { ... })
//	r := chi.NewRouter()
//	r.Handle("/socket.io/*", srv)
//
// The Engine.IO layer is usable on its own through [NewEngine].
//
// # Where things live
//
// A client generation has one name throughout sockio: V1 (socket.io-client
// 0.9, Socket.IO protocol 1), EIO3 (1.x–2.x, Engine.IO 3 with Socket.IO 4)
// and EIO4 (3.x–4.x, Engine.IO 4 with Socket.IO 5). Each has one file:
// eio4.go, eio3.go and v1.go hold its dialect (the framing and packet
// forms, built on payload's codecs) and, for V1, its routing; parser.go
// holds the msgpack dialects of EIO4 and EIO3 (Options.Parser); dialect.go
// holds what they share. engine.go routes a request to its generation and
// keeps the session table; handshake.go opens sessions of every
// generation; session.go holds a session's state: its transport, attach
// and upgrade, heartbeat, close and linger; shutdown.go is Close;
// errors.go the Engine.IO error answers; flashpolicy.go the Flash policy
// port.
//
// # Concurrency
//
// A Server and an Engine are safe for concurrent use. These goroutines run
// on their behalf; each has one owner that starts and stops it:
//
//   - HTTP requests (net/http's goroutines): a handshake, a poll, a post,
//     an htmlfile stream. The engine counts them and Close waits for them;
//     a transport's Close answers a pending poll or ends a stream.
//   - Websocket reader (one per websocket or hixie-76 connection): started
//     by the transport's Start once the upgrade succeeded, it hands frames
//     to the session in order; it returns when the connection ends, which
//     the transport's Close or Abort or the client causes.
//   - Websocket writer (on demand): started by a push that finds frames
//     to send and no writer running, it returns when the queue is empty;
//     after Close it sends what is left, within one second.
//   - Handler worker (one per client connection at most, in package
//     namespace): started when an event for the connection is queued, it
//     runs handlers one at a time and returns when none is waiting.
//     Close waits for it (namespace.Registry.Stopped).
//   - Timers (time.AfterFunc; a timer's function runs on a goroutine of
//     its own): the session's heartbeat (a ping due, or a pong or ping
//     overdue: "ping timeout"), its upgrade timeout, its linger (a closed
//     polling session waits at most 30 s for the poll that tells its
//     client), a websocket's drain bound after close. The session stops
//     its timers when it closes; Told stops the linger.
//   - Flash policy server (Options.FlashPolicyAddr): an accept loop and a
//     goroutine per connection, started by New or NewEngine, stopped by
//     Close.
//
// Locks are taken in this order, and none is held across I/O or while
// calling a transport or the layer above: session.mu, then Engine.mu (a
// closing session registers with the engine). Engine.statsMu is a leaf.
// In package namespace: client, then socket, then namespace, then adapter.
// A Queue's lock is a leaf: a push wakes the drainer after releasing it.
// Only session.go takes session.mu.
//
// Each session has one outbound queue and at most one drainer. A
// transport becomes the drainer when the session activates it
// (Transport.Activate, which calls Queue.Attach); during an upgrade the
// polling transport drains until the probing websocket is promoted, then
// the websocket attaches and replaces it, and the polling transport is
// discarded. A websocket that closes detaches itself, which is a no-op once
// another transport has attached, so the handover never depends on the
// order in which the two finish.
//
// Close(ctx) stops accepting sessions, closes every session, and waits on
// condition variables and channels only: when ctx is done it returns at
// once, and no goroutine of its own is left waiting.
package server
