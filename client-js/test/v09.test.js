'use strict';
/*
 * The REAL socket.io-client 0.9.16 (Socket.IO protocol 1) in Node against the Go conformance
 * server (SOCKIO_SERVER_BIN), over websocket and xhr-polling, asserting the transport in use
 * (socket.socket.transport.name). The 0.9 client cannot run jsonp-polling, htmlfile or
 * flashsocket in Node: v09.browser.test.js covers those in Chromium.
 *
 * This file starts its own server: ping interval 400 ms (the server's "2::" heartbeats), ping
 * timeout 2 s (announced heartbeat timeout ceil(2.4) = 3 s) and a 500 ms polling duration, so
 * that idle polls are answered "8::" several times within a test.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const io = require('sio-client-09');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const TRANSPORTS = ['websocket', 'xhr-polling'];

let server;
const open = new Set();

before(async () => {
  if (serverKind() !== 'bin' && serverKind() !== 'url') {
    throw new Error('the 0.9 tests need the Go server: set SOCKIO_SERVER_BIN');
  }
  server = await startServer(['-ping-interval', '400ms', '-ping-timeout', '2s', '-polling-duration', '500ms']);
});

after(async () => {
  for (const s of open) s.socket.disconnect();
  if (server) await server.stop();
});

function within(p, label, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Connects a forced-transport 0.9 client to nsp; resolves once connected there. */
function connect(transport, nsp = '') {
  io.transports = [transport];
  const s = io.connect(server.url + nsp, {
    transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: false,
  });
  open.add(s);
  return within(new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('connect_failed', () => reject(new Error(`connect_failed on ${nsp || '/'}`)));
    s.on('error', (e) => reject(new Error(`error: ${e}`)));
  }), `connect ${nsp || '/'} over ${transport}`);
}

function close(s) {
  open.delete(s);
  if (s.socket.connected) s.socket.disconnect();
}

const once = (s, ev) => within(new Promise((resolve) => s.once(ev, (...a) => resolve(a))), `event ${ev}`);
const emitAck = (s, ...args) => within(new Promise((resolve) => s.emit(...args, (...a) => resolve(a))), `ack of ${args[0]}`);

for (const transport of TRANSPORTS) {
  describe(`0.9 client [${transport}]`, () => {
    it('connects to "/" and receives auth on connection', async () => {
      io.transports = [transport];
      const s = io.connect(server.url, {
        transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: false,
      });
      open.add(s);
      const authP = new Promise((resolve) => s.on('auth', resolve));
      try {
        await within(new Promise((resolve) => s.on('connect', resolve)), 'connect');
        assert.equal(s.socket.transport.name, transport);
        assert.equal(typeof s.socket.sessionid, 'string');
        assert.equal(s.socket.sessionid.length, 20);
        assert.deepEqual(await within(authP, 'auth'), {});
      } finally {
        close(s);
      }
    });

    it('connects to /custom in the same session', async () => {
      const s = await connect(transport, '/custom');
      try {
        assert.equal(s.name, '/custom');
        assert.equal(s.socket.transport.name, transport);
        const back = once(s, 'message-back');
        s.emit('message', 'on custom', 2);
        assert.deepEqual(await back, ['on custom', 2]);
      } finally {
        close(s);
      }
    });

    it('a refused namespace is connect_failed (/admin\'s middleware refuses)', async () => {
      const s = await connect(transport);
      try {
        const admin = s.socket.of('/admin');
        const failed = within(new Promise((resolve) => admin.on('connect_failed', (...a) => resolve(a))), 'connect_failed');
        assert.deepEqual(await failed, ['unauthorized']);
        assert.equal(s.socket.connected, true, 'the session and "/" go on');
        assert.deepEqual(await emitAck(s, 'echo', 1), [1]);
      } finally {
        close(s);
      }
    });

    it('a namespace beyond the server\'s bound of 100 per connection is connect_failed', async () => {
      const s = await connect(transport);
      try {
        // "/" and /dyn-1 … /dyn-99 fill the bound; each child is a namespace of the one session.
        const children = [];
        for (let i = 1; i < 100; i++) children.push(s.socket.of(`/dyn-${i}`));
        await Promise.all(children.map((c) => within(new Promise((resolve) => c.on('connect', resolve)), `connect ${c.name}`)));
        const extra = s.socket.of('/dyn-100');
        const failed = within(new Promise((resolve) => extra.on('connect_failed', (...a) => resolve(a))), 'connect_failed');
        assert.deepEqual(await failed, ['unauthorized']);
        assert.equal(s.socket.connected, true, 'the session goes on');
        assert.deepEqual(await emitAck(s, 'echo', 1), [1]);
        assert.deepEqual(await emitAck(children[41], 'echo', 'dyn'), ['dyn']);
      } finally {
        close(s);
      }
    });

    it('events both ways, ack client→server (echo), unicode and nested values', async () => {
      const s = await connect(transport);
      try {
        assert.equal(s.socket.transport.name, transport);
        const args = ['text', 42, 1.5, true, null, { a: [1, { b: 'c' }] }, ['x'], 'ünïcödé ☃ 𝄞 </script> \u2028'];
        const back = once(s, 'message-back');
        s.emit('message', ...args);
        assert.deepEqual(await back, args);
        assert.deepEqual(await emitAck(s, 'echo', 'a', { n: 1 }), ['a', { n: 1 }]);
        assert.deepEqual(await emitAck(s, 'echo'), []);
      } finally {
        close(s);
      }
    });

    it('ack server→client (ask): the client answers the server\'s ack id', async () => {
      const s = await connect(transport);
      try {
        s.on('question', (x, fn) => fn('answer', x * 2));
        for (let i = 1; i <= 3; i++) {
          const [res] = await emitAck(s, 'ask', { event: 'question', args: [i] });
          assert.deepEqual(res, { args: ['answer', i * 2] });
        }
      } finally {
        close(s);
      }
    });

    it('send() and json.send() arrive as "message"; send with a callback is acked', async () => {
      const s = await connect(transport);
      try {
        let back = once(s, 'message-back');
        s.send('plain text: with colons');
        assert.deepEqual(await back, ['plain text: with colons']);
        back = once(s, 'message-back');
        s.json.send({ k: ['v', 1] });
        assert.deepEqual(await back, [{ k: ['v', 1] }]);
        back = once(s, 'message-back');
        await within(new Promise((resolve) => s.send('with ack', resolve)), 'auto-ack of send');
        assert.deepEqual(await back, ['with ack']);
      } finally {
        close(s);
      }
    });

    it('heartbeats keep an idle client connected across several polling durations', async () => {
      const s = await connect(transport);
      try {
        let beats = 0;
        const tr = s.socket.transport;
        const orig = tr.onHeartbeat;
        tr.onHeartbeat = function (...a) { beats++; return orig.apply(this, a); };
        let dropped = false;
        s.on('disconnect', () => { dropped = true; });
        // Idle until the server has sent 5 heartbeats (≥ 2 s: 4 polling durations, 2/3 of the
        // announced heartbeat timeout).
        await within(new Promise((resolve) => {
          const iv = setInterval(() => { if (beats >= 5) { clearInterval(iv); resolve(); } }, 50);
        }), '5 heartbeats');
        assert.equal(dropped, false);
        assert.equal(s.socket.connected, true);
        assert.equal(s.socket.transport.name, transport);
        assert.deepEqual(await emitAck(s, 'echo', 'still here'), ['still here']);
      } finally {
        close(s);
      }
    });

    it('a client that stops answering heartbeats is dropped with "ping timeout"', async () => {
      const s = await connect(transport);
      const sid = s.socket.sessionid;
      s.socket.transport.onHeartbeat = () => {}; // never answer "2::"
      const dropped = within(new Promise((resolve) => s.on('disconnect', resolve)), 'the client\'s disconnect');
      const probe = await connect(transport);
      try {
        const [reason] = await emitAck(probe, 'reason', sid);
        assert.equal(reason, 'ping timeout');
        await dropped; // websocket: the server closed it; polling: the pending poll carried "0::"
      } finally {
        close(s);
        close(probe);
      }
    });
  });
}
