'use strict';
/*
 * U+2028 and U+2029 reaching the REAL socket.io-client 0.9.16 (Node, websocket and xhr-polling).
 * The 0.9 client reads an ack's arguments with /^([0-9]+)(\+)?(.*)/: "." stops at those line
 * terminators, so a raw one loses every argument. The server writes them escaped in every JSON
 * text for 0.9 clients: values it built itself and arguments it forwards as the sender wrote
 * them, from the 0.9 client itself (echo) or from a socket.io-client 4.8.4 (bcast).
 *
 * Own server, as in v09.test.js: ping interval 400 ms, ping timeout 2 s, polling duration 500 ms.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const io09 = require('sio-client-09');
const { io: io4 } = require('sio-client-4');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const TRANSPORTS = ['websocket', 'xhr-polling'];
const TEXT = 'line\u2028separator\u2029paragraph';
const VALUE = { [`k\u2028`]: [TEXT, 'x\u2029\u2028y'], n: 1 };

let server;
const open09 = new Set();
const open4 = new Set();

before(async () => {
  if (serverKind() !== 'bin' && serverKind() !== 'url') {
    throw new Error('the 0.9 tests need the Go server: set SOCKIO_SERVER_BIN');
  }
  server = await startServer(['-ping-interval', '400ms', '-ping-timeout', '2s', '-polling-duration', '500ms']);
});

after(async () => {
  for (const s of open09) s.socket.disconnect();
  for (const s of open4) s.disconnect();
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

function connect09(transport) {
  io09.transports = [transport];
  const s = io09.connect(server.url, {
    transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: false,
  });
  open09.add(s);
  return within(new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('error', (e) => reject(new Error(`error: ${e}`)));
  }), `0.9 connect over ${transport}`);
}

function connect4() {
  const s = io4(server.url, { transports: ['websocket'], forceNew: true, reconnection: false });
  open4.add(s);
  return within(new Promise((resolve, reject) => {
    s.on('connect', () => resolve(s));
    s.on('connect_error', reject);
  }), '4.x connect');
}

const once = (s, ev) => within(new Promise((resolve) => s.once(ev, (...a) => resolve(a))), `event ${ev}`);
const emitAck = (s, ...args) => within(new Promise((resolve) => s.emit(...args, (...a) => resolve(a))), `ack of ${args[0]}`);

for (const transport of TRANSPORTS) {
  describe(`0.9 client receives U+2028/U+2029 [${transport}]`, () => {
    it('in an ack forwarded as the client wrote it (echo)', async () => {
      const s = await connect09(transport);
      try {
        assert.equal(s.socket.transport.name, transport);
        assert.deepEqual(await emitAck(s, 'echo', TEXT, VALUE), [TEXT, VALUE]);
      } finally {
        s.socket.disconnect();
      }
    });

    it('in an event forwarded as the client wrote it (message → message-back)', async () => {
      const s = await connect09(transport);
      try {
        const back = once(s, 'message-back');
        s.emit('message', TEXT, VALUE);
        assert.deepEqual(await back, [TEXT, VALUE]);
      } finally {
        s.socket.disconnect();
      }
    });

    it('in an event and an ack the server built (ask)', async () => {
      const s = await connect09(transport);
      try {
        // The server emits "question" with values it decoded (a Go-built event), waits for
        // the client's ack and acks "ask" with {args: <the client's answer>} (a Go-built ack).
        s.on('question', (...a) => {
          const fn = a.pop();
          fn(...a, 'answer\u2029');
        });
        const [res] = await emitAck(s, 'ask', { event: 'question', args: [TEXT, VALUE] });
        assert.deepEqual(res, { args: [TEXT, VALUE, 'answer\u2029'] });
      } finally {
        s.socket.disconnect();
      }
    });

    it('in an event a 4.x client sent (bcast forwarded as written)', async () => {
      const s = await connect09(transport);
      const m = await connect4();
      try {
        const got = once(s, 'bcast');
        m.emit('bcast', TEXT, VALUE);
        assert.deepEqual(await got, [TEXT, VALUE]);
        // The 0.9 session is still usable afterwards.
        assert.deepEqual(await emitAck(s, 'echo', 1), [1]);
      } finally {
        m.disconnect();
        s.socket.disconnect();
      }
    });
  });
}
