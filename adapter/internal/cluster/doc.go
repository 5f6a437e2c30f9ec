// Package cluster holds what the Redis cluster adapters (adapter/redis,
// classic and sharded pub/sub, and adapter/redisstreams) share, so that
// each piece exists once:
//
//   - the wire values Node's socket.io adapters exchange: msgpack and JSON
//     decoding into untyped values, numbers and room names, broadcast
//     options and flags, an event packet that came through Redis, an ack's
//     argument, and a socket as fetchSockets describes it (wire.go);
//   - the outage state of a process's calls to Redis: the warn-once
//     logging, the fail-fast window and its probes (outage.go);
//   - waiting until state kept under an adapter's lock changes
//     (changes.go).
//
// What the message envelopes, channel names and message types are stays
// with each adapter: they differ between the Node adapters. The package
// owns no connection and starts no goroutine.
package cluster
