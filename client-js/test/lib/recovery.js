'use strict';
/*
 * Helpers of the connection state recovery tests (recovery.test.js, recovery.browser.test.js).
 * The server under test runs with -recovery (and -test-hooks for the Go conformance example).
 */

const assert = require('node:assert/strict');
const { ack } = require('./client');

/** Disconnect reasons after which socket.io keeps a session (RECOVERABLE_DISCONNECT_REASONS). */
const RECOVERABLE = new Set([
  'transport error', 'transport close', 'forced close', 'ping timeout', 'server shutting down', 'forced server close',
]);

/** The flags the server under test needs. */
const SERVER_ARGS = ['-recovery', '-test-hooks'];

/**
 * Kills the transport under the client server-side: the Go example closes every other TCP
 * connection (POST /test/drop-connections: no close packet, as when the network fails); the
 * reference app, which has no such hook, closes the Engine.IO connection (socket.conn.close(),
 * asked by the victim itself through `closeTransport`).
 */
async function killTransport(server, closeTransport) {
  if (server.kind === 'ref') {
    await closeTransport();
    return;
  }
  const res = await fetch(`${server.url}/test/drop-connections`, { method: 'POST' });
  assert.equal(res.status, 200, 'POST /test/drop-connections (is the server run with -test-hooks?)');
}

/**
 * Waits, through a healthy socket, until the server has disconnected socket `id` (the app's
 * `reason` event answers once it has: the session is then kept) and returns the reason.
 */
async function serverReason(watcher, id) {
  const [reason] = await ack(watcher, 'reason', id);
  return reason;
}

/** Has `sender` emit `event` with each of args to `room` (sender excluded), one acked emit each. */
async function emitToRoom(sender, room, event, args) {
  for (const a of args) {
    const [ok] = await ack(sender, 'to', { rooms: [room], event, args: [a] });
    assert.equal(ok, true);
  }
}

module.exports = { RECOVERABLE, SERVER_ARGS, killTransport, serverReason, emitToRoom };
