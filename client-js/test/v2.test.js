'use strict';
/*
 * The REAL socket.io-client 2.5.0 (Engine.IO 3 + Socket.IO 4) in Node against the server under
 * test (SOCKIO_SERVER_BIN: the Go examples/conformance binary), for each transport mode, asserting
 * the transport in use (socket.io.engine.transport.name).
 *
 * EIO3 clients send the pings; the server closes a session that is silent for pingInterval +
 * pingTimeout. This file starts its own server with roomier heartbeat timings than the
 * protocol-suite defaults (300/200 ms) so that a busy machine cannot starve a client into a
 * false "ping timeout"; the ping-timeout test itself stops the client's pings on purpose.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const io = require('sio-client-2');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const PING_INTERVAL_MS = 400;
const PING_TIMEOUT_MS = 2000;

const MODES = [
  { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket' },
  { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling' },
  { name: 'polling-only base64', opts: { transports: ['polling'], forceBase64: true }, expect: 'polling' },
  { name: 'polling+upgrade', opts: { transports: ['polling', 'websocket'] }, expect: 'websocket', upgrade: true },
];

let server;
const open = new Set();

before(async () => {
  if (serverKind() !== 'bin' && serverKind() !== 'url') {
    throw new Error('the 2.x tests need the Go server: set SOCKIO_SERVER_BIN (the reference app is EIO4-only)');
  }
  server = await startServer(['-ping-interval', `${PING_INTERVAL_MS}ms`, '-ping-timeout', `${PING_TIMEOUT_MS}ms`]);
});

after(async () => {
  for (const s of open) s.close();
  if (server) await server.stop();
});

function withTimeout(promise, label, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function once(emitter, event, label) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...a) => resolve(a))), label || `"${event}"`);
}

function ack(socket, event, ...args) {
  return withTimeout(new Promise((resolve) => socket.emit(event, ...args, (...res) => resolve(res))),
    `the ack of "${event}"`);
}

/** Connects a 2.x socket to nsp and waits until it runs on the mode's transport. */
async function connect(nsp, mode, extra = {}) {
  const s = io(server.url + nsp, { forceNew: true, reconnection: false, ...mode.opts, ...extra });
  open.add(s);
  const auth = once(s, 'auth', '"auth"');
  auth.catch(() => {});
  await withTimeout(new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', (e) => reject(new Error(`connect_error: ${e && e.message}`)));
    s.once('error', (e) => reject(new Error(`error: ${JSON.stringify(e)}`)));
  }), `connect to ${nsp}`);
  if (mode.upgrade && s.io.engine.transport.name !== 'websocket') {
    await once(s.io.engine, 'upgrade', 'the websocket upgrade');
  }
  assert.equal(s.io.engine.transport.name, mode.expect, 'transport in use');
  s.authArgs = auth;
  return s;
}

/** The server-side disconnect reason of socket id (the conformance app's `reason` event). */
async function serverReason(id) {
  const probe = await connect('/', MODES[0]);
  try {
    const [reason] = await ack(probe, 'reason', id);
    return reason;
  } finally {
    probe.close();
  }
}

const bytes = () => Buffer.from([0, 1, 2, 127, 128, 254, 255]);

for (const mode of MODES) {
  describe(`socket.io-client 2.5.0 [${mode.name}]`, () => {
    it('connects to / and /custom; ids are the 2.x form; auth query reaches the server', async () => {
      const s = await connect('/', mode);
      const cu = await connect('/custom', mode, { query: { token: 'q' } });
      try {
        const sid = s.io.engine.id;
        assert.equal(s.id, sid, 'a 2.x socket id on / is the engine id');
        assert.equal(cu.id, `/custom#${cu.io.engine.id}`);
        assert.deepEqual((await s.authArgs)[0], {});
        // A 2.x client sends its query with the namespace CONNECT (40/custom?token=q,): the auth.
        assert.deepEqual((await cu.authArgs)[0], { token: 'q' });
      } finally {
        s.close();
        cu.close();
      }
    });

    it('events both ways and acks both ways', async () => {
      const s = await connect('/', mode);
      try {
        const args = ['text', 42, 1.5, true, null, { a: [1, { b: 'c' }] }, 'ünïcödé ☃ 𝄞'];
        const back = once(s, 'message-back');
        s.emit('message', ...args);
        assert.deepEqual(await back, args);
        assert.deepEqual(await ack(s, 'echo', 'a', 1, { k: ['v'] }), ['a', 1, { k: ['v'] }]);

        s.on('question', (a, cb) => cb(`${a}!`, 7));
        assert.deepEqual(await ack(s, 'ask', { event: 'question', args: ['hi'], timeout: WAIT_MS }),
          [{ args: ['hi!', 7] }]);
        // The server's ack timeout fails cleanly when the client never answers.
        assert.deepEqual(await ack(s, 'ask', { event: 'nobody-listens', args: [], timeout: 200 }),
          [{ error: 'operation has timed out' }]);
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.close();
      }
    });

    it('binary in events and acks arrives byte-exact both ways', async () => {
      const s = await connect('/', mode);
      try {
        const nested = { bin: bytes(), list: [1, bytes(), { deeper: [bytes()] }] };
        const back = once(s, 'message-back');
        s.emit('message', 'm', nested);
        const [m, got] = await back;
        assert.equal(m, 'm');
        assert.ok(Buffer.isBuffer(got.bin), 'binary arrives as a Buffer');
        assert.deepEqual(got, nested);

        assert.deepEqual(await ack(s, 'echo', bytes(), { x: bytes() }), [bytes(), { x: bytes() }]);

        s.on('bin-question', (b, cb) => cb(Buffer.concat([b, Buffer.from([9])])));
        const [res] = await ack(s, 'ask', { event: 'bin-question', args: [bytes()], timeout: WAIT_MS });
        assert.deepEqual(res, { args: [Buffer.concat([bytes(), Buffer.from([9])])] });
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.close();
      }
    });

    it('rooms and broadcast to all but the sender', async () => {
      const a = await connect('/', mode);
      const b = await connect('/', mode);
      const c = await connect('/', mode);
      try {
        for (const s of [a, b, c]) assert.deepEqual(await ack(s, 'join', 'r2'), [true]);
        const got = { a: [], b: [], c: [] };
        for (const [k, s] of Object.entries({ a, b, c })) s.on('news', (...x) => got[k].push(x));
        const atB = once(b, 'news', 'news at b');
        const atC = once(c, 'news', 'news at c');
        await ack(a, 'to', { rooms: ['r2'], event: 'news', args: ['from a', 1] });
        assert.deepEqual(await atB, ['from a', 1]);
        assert.deepEqual(await atC, ['from a', 1]);
        // a marker back to a proves a had time to get any copy of its own broadcast
        const marker = once(a, 'news', 'marker at a');
        await ack(b, 'to', { rooms: ['r2'], except: [c.id], event: 'news', args: ['marker'] });
        assert.deepEqual(await marker, ['marker']);
        assert.deepEqual(got.a, [['marker']]);
        assert.deepEqual(got.c, [['from a', 1]], 'except left c out');

        const bc = once(b, 'bcast', 'bcast at b');
        a.emit('bcast', 'all but me');
        assert.deepEqual(await bc, ['all but me']);
      } finally {
        a.close();
        b.close();
        c.close();
      }
    });

    it('middleware refusal is an "error" event carrying the error data', async () => {
      const s = io(server.url + '/admin', { forceNew: true, reconnection: false, ...mode.opts, query: { token: 'bad' } });
      open.add(s);
      try {
        const [err] = await once(s, 'error', 'the refusal');
        assert.deepEqual(err, { reason: 'bad token' });
      } finally {
        s.close();
      }
      const ok = await connect('/admin', mode, { query: { token: 'secret' } });
      ok.close();
    });

    it('disconnect reasons on both sides', async () => {
      const s = await connect('/', mode);
      const id = s.id;
      s.close();
      assert.equal(await serverReason(id), 'client namespace disconnect');

      const k = await connect('/', mode);
      const kicked = once(k, 'disconnect', 'the kick');
      k.emit('kick');
      assert.deepEqual(await kicked, ['io server disconnect']);

      const t = await connect('/', mode);
      const dropped = once(t, 'disconnect', 'the transport close');
      t.emit('close-transport');
      assert.deepEqual(await dropped, ['transport close']);
    });
  });
}

describe('socket.io-client 2.5.0 heartbeat', () => {
  it('a client that stops pinging is closed with "ping timeout" after interval + timeout', async () => {
    const s = await connect('/', MODES[0]);
    const id = s.id;
    // Stop the real client's pings (its ping timer calls Socket#ping) and its own liveness
    // timer (Socket#onHeartbeat, also run on every packet), so that only the server can end
    // the session. Internals of engine.io-client 3.5.x, checked here so a change fails clearly.
    const engine = s.io.engine;
    assert.equal(typeof engine.ping, 'function', 'engine.io-client 3.x pings through Socket#ping');
    assert.equal(typeof engine.onHeartbeat, 'function', 'engine.io-client 3.x has Socket#onHeartbeat');
    engine.removeListener('heartbeat', engine.onHeartbeat);
    clearTimeout(engine.pingTimeoutTimer);
    engine.onHeartbeat = () => {};
    engine.ping = () => {};
    const gone = once(s, 'disconnect', 'the server closing the silent client');
    gone.catch(() => {});
    assert.equal(await withTimeout(serverReason(id), 'the reason', WAIT_MS + PING_INTERVAL_MS + PING_TIMEOUT_MS),
      'ping timeout');
    s.close();
  });
});
