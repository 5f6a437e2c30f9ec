'use strict';
/*
 * A slow consumer among healthy ones (Go server only: the reference server has no outbound bound).
 *
 * A raw `ws` peer joins "/" and then pauses its socket (it stops reading, as a stalled client
 * does). Official 4.x clients, over websocket and over polling, keep receiving a steady broadcast
 * of 200 KB messages, each one awaited before the next is sent. The server's outbound bound for
 * the paused peer (4 MiB queued, after its socket buffers) is passed: the server reports its
 * socket as "client too slow" and closes its connection, while the real clients lose nothing.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { startServer, serverKind } = require('./lib/server');
const { Clients, MODES, ack, once, withTimeout, WAIT_MS } = require('./lib/client');

const ROUNDS = 80; // 16 MB to every receiver: several times what the paused peer can hold
const SIZE = 200 * 1000;

let server;
before(async () => {
  if (serverKind() === 'ref') throw new Error('needs the Go server: set SOCKIO_SERVER_BIN');
  // Long heartbeats: the paused peer cannot answer pings, and must be dropped for being slow.
  server = await startServer(['-ping-interval', '20s', '-ping-timeout', '20s']);
});
after(async () => {
  if (server) await server.stop();
});

/** Opens a raw Engine.IO 4 websocket, joins "/", and resolves with {ws, id}. */
function rawPeer(url) {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket');
  return withTimeout(new Promise((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data) => {
      const text = data.toString();
      if (text.startsWith('0{')) ws.send('40');
      const m = /^40\{"sid":"([^"]+)"\}$/.exec(text);
      if (m) resolve({ ws, id: m[1] });
    });
  }), WAIT_MS, 'the raw peer joining "/"');
}

test('a paused peer is dropped as "client too slow"; real 4.x clients receive every broadcast', async () => {
  const c = new Clients(server.url);
  let peer;
  try {
    const byMode = Object.fromEntries(MODES.map((m) => [m.name, m]));
    const sender = await c.connect('/', byMode['websocket-only']);
    const receivers = [await c.connect('/', byMode['websocket-only']), await c.connect('/', byMode['polling-only'])];
    peer = await rawPeer(server.url);
    peer.ws._socket.pause();

    const payload = 'p'.repeat(SIZE);
    for (let i = 0; i < ROUNDS; i++) {
      const got = receivers.map((r) => once(r, 'bcast', `broadcast ${i} at ${r.io.engine.transport.name}`));
      sender.emit('bcast', i, payload);
      for (const [n, text] of await Promise.all(got)) {
        assert.equal(n, i);
        assert.equal(text.length, SIZE);
      }
    }

    const [reason] = await ack(sender, 'reason', peer.id);
    assert.equal(reason, 'client too slow');
    // The peer, reading again, finds its connection closed.
    const closed = once(peer.ws, 'close', 'the paused peer\'s close');
    peer.ws._socket.resume();
    await closed;
    for (const r of receivers) assert.ok(r.connected, `${r.io.engine.transport.name} receiver still connected`);
  } finally {
    if (peer) peer.ws.terminate();
    c.closeAll();
  }
});
