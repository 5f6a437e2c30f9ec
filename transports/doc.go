// Package transports owns the ways bytes reach a client: the [Transport]
// interface that every transport of every generation implements, the
// websocket and polling (XHR and JSONP) transports, and the per-session
// outbound [Queue] they drain.
//
// A transport knows HTTP and websocket framing but not the protocol
// generation: it asks its [Session] for the [Framing] that turns frames into
// bodies and messages and back, and hands every decoded frame to the session.
//
// # Concurrency
//
// Transports are safe for concurrent use. The goroutines they run, and who
// starts and stops them:
//
//   - Requests: [Polling] and [HTMLFile] serve on the HTTP server's
//     goroutines (at most one poll and one post at a time per session);
//     Close answers a pending poll or ends the stream, and a response
//     still being written after one second is cut.
//   - Reader: [WebSocket.Start] and [Hixie76.Start] start one goroutine per
//     connection that reads messages and hands them to [Session.Receive]
//     in order; it returns when the connection ends (Close, Abort, a read
//     error or the client). A websocket with a [Parker] that has been idle
//     for WebSocketOptions.IdleWait parks: its reader returns early, and
//     the parker's goroutine (one per server, started at the first park,
//     stopped by [Parker.Close]) starts the next reader when data, the
//     client's close or the connection's Close arrives. Only the reader
//     that does not park runs Start's done function.
//   - Writer: a websocket's writer goroutine exists only while frames wait.
//     A push into the queue starts it (through the wake function the
//     transport attached); it takes everything queued, writes it with one
//     flush, and returns when the queue is empty. After Close it sends what
//     is left, then the close frame; a timer cuts it after one second.
//   - Flash policy server: [ServeFlashPolicy] starts an accept loop and a
//     goroutine per connection; [PolicyServer.Close] stops them.
//
// Wait blocks, and Stopped's channel closes, once every goroutine a
// transport started has returned.
//
// The [Queue] has many producers and one drainer at a time. A transport
// becomes the drainer in Activate, through [Queue.Attach], and stops being
// it through the detach function Attach returned; a later Attach (the
// websocket that an upgrade promotes, or the next protocol 1 transport)
// replaces the drainer, and the replaced transport's detach is then a
// no-op. The queue's lock is a leaf: the wake function is called after it
// is released.
package transports
