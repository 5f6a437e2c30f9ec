'use strict';
/*
 * Prometheus metrics (package metrics) during real-client activity: the Go conformance server
 * (SOCKIO_SERVER_BIN) started with -metrics serves /metrics, and the REAL socket.io-client
 * 4.8.4, 2.5.0 and 0.9.16 connect, emit and disconnect. Each scrape is taken after the client
 * saw the server's answer (its CONNECT, an ack; for a disconnect, another client's ack of the
 * conformance app's `reason` event, which the server sends once it has closed the session), so
 * the counters are read once they must have moved: no timing, no polling of /metrics.
 *
 * This file starts its own server, so the figures are this file's clients alone; a watcher
 * (4.x, websocket) stays connected throughout to ask for disconnect reasons.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const io4 = require('sio-client-4');
const io2 = require('sio-client-2');
const io09 = require('sio-client-09');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

let server;
let watcher;
const open = new Set();

function within(p, label, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Parses the Prometheus text format: [{name, labels, value}]. */
function parse(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) throw new Error(`unparsed metrics line: ${line}`);
    const labels = {};
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape() {
  const res = await within(fetch(`${server.url}/metrics`), 'GET /metrics');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/plain/);
  const samples = parse(await res.text());
  /** The sum of the samples of name whose labels include want. */
  samples.get = (name, want = {}) => samples
    .filter((s) => s.name === name && Object.entries(want).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
  return samples;
}

/** delta(a, b)(name, labels): how much the metric grew from scrape a to scrape b. */
const delta = (a, b) => (name, labels) => b.get(name, labels) - a.get(name, labels);

before(async () => {
  if (serverKind() !== 'bin') throw new Error('the metrics test needs the Go server: set SOCKIO_SERVER_BIN');
  server = await startServer(['-metrics', '-ping-interval', '1s', '-ping-timeout', '5s']);
  watcher = io4.io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  await within(new Promise((resolve) => watcher.once('connect', resolve)), 'the watcher\'s connect');
});

after(async () => {
  for (const close of open) close();
  if (watcher) watcher.close();
  if (server) await server.stop();
});

/** The server-side disconnect reason of socket id; the server answers once the socket is gone. */
function serverReason(id) {
  return within(new Promise((resolve) => watcher.emit('reason', id, resolve)), `the reason of ${id}`);
}

// Each generation's client: connect (resolves once connected, on the expected transport), echo
// (an emit with an ack), the socket id the server knows it by, and close (the whole connection,
// as the client closes it).
const CLIENTS = [
  {
    name: '4.8.4 websocket', generation: 'eio4', handshake: 'websocket', transport: 'websocket',
    async connect() {
      const s = io4.io(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      await within(new Promise((resolve) => s.once('connect', resolve)), 'connect');
      return s;
    },
  },
  {
    name: '4.8.4 polling+upgrade', generation: 'eio4', handshake: 'polling', transport: 'websocket', upgrade: true,
    async connect() {
      const s = io4.io(server.url, { transports: ['polling', 'websocket'], forceNew: true, reconnection: false });
      await within(new Promise((resolve) => s.once('connect', resolve)), 'connect');
      if (s.io.engine.transport.name !== 'websocket') {
        await within(new Promise((resolve) => s.io.engine.once('upgrade', resolve)), 'the upgrade');
      }
      return s;
    },
  },
  {
    name: '2.5.0 polling', generation: 'eio3', handshake: 'polling', transport: 'polling',
    async connect() {
      const s = io2(server.url, { transports: ['polling'], forceNew: true, reconnection: false });
      await within(new Promise((resolve) => s.once('connect', resolve)), 'connect');
      return s;
    },
  },
  {
    name: '2.5.0 websocket', generation: 'eio3', handshake: 'websocket', transport: 'websocket',
    async connect() {
      const s = io2(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
      await within(new Promise((resolve) => s.once('connect', resolve)), 'connect');
      return s;
    },
  },
  ...['websocket', 'xhr-polling'].map((transport) => ({
    name: `0.9.16 ${transport}`, generation: 'v1', handshake: 'none',
    transport: transport === 'websocket' ? 'websocket' : 'polling', v09: true,
    async connect() {
      io09.transports = [transport];
      const s = io09.connect(server.url, {
        transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: false,
      });
      await within(new Promise((resolve, reject) => {
        s.on('connect', resolve);
        s.on('error', (e) => reject(new Error(`error: ${e}`)));
      }), 'connect');
      assert.equal(s.socket.transport.name, transport);
      return s;
    },
  })),
];

const idOf = (c, s) => (c.v09 ? s.socket.sessionid : s.id);
const closeOf = (c, s) => (c.v09 ? () => s.socket.disconnect() : () => s.io.engine.close());
const echo = (s, arg) => within(new Promise((resolve) => s.emit('echo', arg, (...a) => resolve(a))), 'the echo\'s ack');

describe('/metrics during real-client activity', () => {
  it('serves the metrics in the Prometheus text format, sockio_ names included', async () => {
    const m = await scrape();
    for (const name of ['sockio_sessions', 'sockio_handshakes_total', 'sockio_packets_received_total',
      'sockio_packets_sent_total', 'sockio_bytes_received_total', 'sockio_bytes_sent_total',
      'sockio_queue_bytes', 'go_goroutines']) {
      assert.ok(m.some((s) => s.name === name), `${name} is served`);
    }
    assert.equal(m.get('sockio_sessions', { generation: 'eio4', transport: 'websocket' }), 1, 'the watcher');
  });

  for (const c of CLIENTS) {
    it(`${c.name}: sessions, handshakes, packets and bytes in and out, the disconnect by reason`, async () => {
      const before = await scrape();
      const s = await c.connect();
      const close = closeOf(c, s);
      open.add(close);
      assert.deepEqual(await echo(s, 'counted'), ['counted']);
      const during = await scrape();
      const d = delta(before, during);
      const gen = { generation: c.generation };

      assert.equal(d('sockio_handshakes_total', { ...gen, transport: c.handshake }), 1, 'one handshake');
      assert.equal(d('sockio_handshakes_total', gen), 1, 'one handshake in all');
      assert.equal(d('sockio_sessions', { ...gen, transport: c.transport }), 1, 'one session on its transport');
      assert.equal(d('sockio_sessions', gen), 1, 'one session in all');
      if (c.upgrade) assert.equal(d('sockio_upgrades_total', gen), 1, 'one upgrade');
      // In: at least the echo (and a CONNECT, pings); out: at least the CONNECT answer and the ack.
      assert.ok(d('sockio_packets_received_total', gen) >= 1, 'packets received');
      assert.ok(d('sockio_packets_sent_total', gen) >= 2, 'packets sent');
      assert.ok(d('sockio_bytes_received_total', gen) >= '["echo","counted"]'.length, 'bytes received');
      assert.ok(d('sockio_bytes_sent_total', gen) >= '["counted"]'.length, 'bytes sent');
      assert.ok(d('sockio_packets_received_total', { ...gen, transport: c.transport }) >= 1, 'on its transport');

      const id = idOf(c, s);
      close();
      open.delete(close);
      const reason = await serverReason(id);
      // A 0.9 polling client's disconnect may also end its pending poll: "transport error".
      const expected = c.v09 && c.transport === 'polling' ? ['transport close', 'transport error'] : ['transport close'];
      assert.ok(expected.includes(reason), `server-side reason ${reason}`);
      const after = await scrape();
      const d2 = delta(during, after);
      assert.equal(d2('sockio_disconnects_total', { ...gen, transport: c.transport, reason }), 1,
        `one disconnect on ${c.transport} by "${reason}"`);
      assert.equal(d2('sockio_disconnects_total', gen), 1, 'one disconnect in all');
      assert.equal(after.get('sockio_sessions', gen), before.get('sockio_sessions', gen), 'the session is gone');
    });
  }

  it('a broadcast counts its recipients', async () => {
    const before = await scrape();
    const a = await CLIENTS[0].connect();
    const b = await CLIENTS[2].connect();
    for (const s of [a, b]) open.add(() => s.close());
    const got = within(new Promise((resolve) => b.once('bcast', (...args) => resolve(args))), 'the broadcast');
    // The conformance app's bcast goes to every other socket of the namespace: b and the watcher.
    const watched = within(new Promise((resolve) => watcher.once('bcast', (...args) => resolve(args))), 'the watcher\'s copy');
    a.emit('bcast', 'all');
    assert.deepEqual(await got, ['all']);
    assert.deepEqual(await watched, ['all']);
    const after = await scrape();
    const d = delta(before, after);
    assert.equal(d('sockio_broadcast_recipients_count'), 1, 'one broadcast');
    assert.equal(d('sockio_broadcast_recipients_sum'), 2, 'to two sockets');
  });
});
