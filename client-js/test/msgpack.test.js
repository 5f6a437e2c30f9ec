'use strict';
/*
 * The REAL socket.io-client 4.8.4 with the REAL socket.io-msgpack-parser 3.0.2, and the REAL
 * socket.io-client 2.5.0 with the REAL socket.io-msgpack-parser 2.2.1 (the parser line of socket.io
 * 2.x, `require('sio-msgpack-parser-2')`, given to the client as it is), in Node against the Go
 * conformance server started with `-parser msgpack` (SOCKIO_SERVER_BIN), per transport mode: events,
 * acks both ways, binary both ways (Buffer, ArrayBuffer, typed arrays), rooms, broadcast to all but
 * the sender, CONNECT to a namespace with auth (4.x) or a query (2.x), DISCONNECT both ways, and a
 * middleware refusal.
 * Then generations together in one room (a 0.9 client keeps its own packets on a msgpack server), a
 * client of the JSON parser, which fails to connect to a msgpack server and harms no one, and
 * connection state recovery (a second server, with -recovery) over msgpack.
 *
 * The 2.2.x line sends CONNECT, DISCONNECT and ERROR as JSON text messages and the other packets as
 * msgpack, and takes only a string as an ERROR's data: a refusal whose error carries an object
 * reaches a 2.x client as the error's message.
 *
 * This file starts its own server, with the roomy heartbeat timings of v2.test.js.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const io4 = require('sio-client-4').io;
const io2 = require('sio-client-2');
const io09 = require('sio-client-09');
const parser = require('socket.io-msgpack-parser');
const parser2 = require('sio-msgpack-parser-2');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

let server;
const open = new Set();

before(async () => {
  if (serverKind() !== 'bin' && serverKind() !== 'url') {
    throw new Error('the msgpack tests need the Go server: set SOCKIO_SERVER_BIN');
  }
  server = await startServer(['-parser', 'msgpack', '-ping-interval', '400ms', '-ping-timeout', '2s']);
});

after(async () => {
  for (const s of open) (s.socket ? s.socket.disconnect() : s.close());
  if (server) await server.stop();
});

function within(promise, label, ms = WAIT_MS) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const once = (emitter, event, label) =>
  within(new Promise((resolve) => emitter.once(event, (...a) => resolve(a))), label || `"${event}"`);

const ack = (socket, event, ...args) =>
  within(new Promise((resolve) => socket.emit(event, ...args, (...res) => resolve(res))), `the ack of "${event}"`);

/*
 * The two clients: how to make a socket with its parser, how the auth reaches the server, and how a
 * middleware refusal (an error with message "not authorized" and data { reason: 'bad token' })
 * reaches the client.
 */
const CLIENTS = [
  {
    name: 'socket.io-client 4.8.4',
    parserName: 'socket.io-msgpack-parser 3.0.2',
    make: (url, opts, auth) => io4(url, { parser, ...opts, ...(auth && { auth }) }),
    modes: [
      { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket' },
      { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling' },
      { name: 'polling+upgrade', opts: { transports: ['polling', 'websocket'] }, expect: 'websocket', upgrade: true },
    ],
    async refusal(s) {
      const [err] = await once(s, 'connect_error', 'the refusal');
      assert.equal(err.message, 'not authorized');
      assert.deepEqual(err.data, { reason: 'bad token' });
    },
  },
  {
    name: 'socket.io-client 2.5.0',
    parserName: 'socket.io-msgpack-parser 2.2.1',
    make: (url, opts, auth) => io2(url, { parser: parser2, ...opts, ...(auth && { query: auth }) }),
    modes: [
      { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket' },
      { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling' },
      { name: 'polling-only base64', opts: { transports: ['polling'], forceBase64: true }, expect: 'polling' },
      { name: 'polling+upgrade', opts: { transports: ['polling', 'websocket'] }, expect: 'websocket', upgrade: true },
    ],
    async refusal(s) {
      // The 2.2.x parser throws on an ERROR whose data is not a string: the message comes instead.
      const [data] = await once(s, 'error', 'the refusal');
      assert.equal(data, 'not authorized');
    },
  },
];

/** Connects a msgpack socket of client to nsp and waits until it runs on the mode's transport. */
async function connect(client, nsp, mode, auth) {
  const s = client.make(server.url + nsp, { forceNew: true, reconnection: false, ...mode.opts }, auth);
  open.add(s);
  const authArgs = once(s, 'auth', '"auth"');
  authArgs.catch(() => {});
  await within(new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', (e) => reject(new Error(`connect_error: ${e && e.message}`)));
    s.once('error', (e) => reject(new Error(`error: ${JSON.stringify(e)}`)));
  }), `connect to ${nsp}`);
  if (mode.upgrade && s.io.engine.transport.name !== 'websocket') {
    await once(s.io.engine, 'upgrade', 'the websocket upgrade');
  }
  assert.equal(s.io.engine.transport.name, mode.expect, 'transport in use');
  s.authArgs = authArgs;
  return s;
}

function close(...sockets) {
  for (const s of sockets) {
    open.delete(s);
    s.close();
  }
}

const bytes = () => Buffer.from([0, 1, 2, 127, 128, 254, 255]);

for (const client of CLIENTS) {
  for (const mode of client.modes) {
    describe(`${client.name} with ${client.parserName} [${mode.name}]`, () => {
      it('connects with auth; events and acks both ways', async () => {
        const s = await connect(client, '/custom', mode, { token: 'abc' });
        try {
          assert.deepEqual((await s.authArgs)[0], { token: 'abc' });
          const args = ['text', 42, -7, 1.5, true, null, { a: [1, { b: 'c' }] }, 'ünïcödé ☃ 𝄞', [], {}];
          const back = once(s, 'message-back');
          s.emit('message', ...args);
          assert.deepEqual(await back, args);
          assert.deepEqual(await ack(s, 'echo', 'a', 1, { k: ['v'] }), ['a', 1, { k: ['v'] }]);

          s.on('question', (a, cb) => cb(`${a}!`, 7));
          assert.deepEqual(await ack(s, 'ask', { event: 'question', args: ['hi'], timeout: WAIT_MS }),
            [{ args: ['hi!', 7] }]);
          assert.equal(s.io.engine.transport.name, mode.expect);
        } finally {
          close(s);
        }
      });

      it('binary stays binary both ways', async () => {
        const s = await connect(client, '/', mode);
        try {
          const nested = { bin: bytes(), list: [1, bytes(), { deeper: [bytes()] }], empty: Buffer.alloc(0) };
          const back = once(s, 'message-back');
          s.emit('message', 'm', nested);
          const [m, got] = await back;
          assert.equal(m, 'm');
          assert.ok(Buffer.isBuffer(got.bin), 'binary arrives as a Buffer');
          assert.deepEqual(got, nested);

          // An ArrayBuffer and a typed array go as msgpack ext type 0 and come back as Buffers.
          const ab = new Uint8Array([5, 6, 7]).buffer;
          const [e1, e2] = await ack(s, 'echo', ab, new Uint8Array([8, 9]));
          assert.deepEqual([Buffer.from(e1), Buffer.from(e2)], [Buffer.from([5, 6, 7]), Buffer.from([8, 9])]);

          const big = Buffer.alloc(200 * 1024, 0xab);
          const [gotBig] = await ack(s, 'echo', big);
          assert.ok(Buffer.from(gotBig).equals(big), '200 KiB of binary round trip');

          s.on('bin-question', (b, cb) => cb(Buffer.concat([b, Buffer.from([9])])));
          const [res] = await ack(s, 'ask', { event: 'bin-question', args: [bytes()], timeout: WAIT_MS });
          assert.ok(Buffer.isBuffer(res.args[0]));
          assert.deepEqual(res, { args: [Buffer.concat([bytes(), Buffer.from([9])])] });
        } finally {
          close(s);
        }
      });

      it('rooms and broadcast to all but the sender', async () => {
        const a = await connect(client, '/', mode);
        const b = await connect(client, '/', mode);
        const c = await connect(client, '/', mode);
        try {
          for (const s of [a, b, c]) assert.deepEqual(await ack(s, 'join', 'mp'), [true]);
          const got = { a: [], b: [], c: [] };
          for (const [k, s] of Object.entries({ a, b, c })) s.on('news', (...x) => got[k].push(x));
          const atB = once(b, 'news', 'news at b');
          const atC = once(c, 'news', 'news at c');
          await ack(a, 'to', { rooms: ['mp'], event: 'news', args: ['from a', 1] });
          assert.deepEqual(await atB, ['from a', 1]);
          assert.deepEqual(await atC, ['from a', 1]);
          // A marker back to a proves a had time to get any copy of its own broadcast.
          const marker = once(a, 'news', 'marker at a');
          await ack(b, 'to', { rooms: ['mp'], except: [c.id], event: 'news', args: ['marker'] });
          assert.deepEqual(await marker, ['marker']);
          assert.deepEqual(got.a, [['marker']]);
          assert.deepEqual(got.c, [['from a', 1]], 'except left c out');

          const bcB = once(b, 'bcast', 'bcast at b');
          const bcC = once(c, 'bcast', 'bcast at c');
          a.emit('bcast', 'all but me', bytes());
          assert.deepEqual(await bcB, ['all but me', bytes()]);
          assert.deepEqual(await bcC, ['all but me', bytes()]);
        } finally {
          close(a, b, c);
        }
      });

      it('a namespace disconnects both ways (DISCONNECT)', async () => {
        const watcher = await connect(client, '/', mode);
        const s = await connect(client, '/custom', mode);
        const k = await connect(client, '/custom', mode);
        try {
          const id = s.id;
          s.disconnect();
          assert.deepEqual(await ack(watcher, 'reason', id), ['client namespace disconnect']);
          const kickedId = k.id;
          const gone = once(k, 'disconnect', 'the kick');
          k.emit('kick');
          assert.equal((await gone)[0], 'io server disconnect');
          assert.deepEqual(await ack(watcher, 'reason', kickedId), ['server namespace disconnect']);
        } finally {
          close(watcher, s, k);
        }
      });

      it('a middleware refusal reaches the client (CONNECT_ERROR)', async () => {
        const s = client.make(server.url + '/admin', { forceNew: true, reconnection: false, ...mode.opts },
          { token: 'bad' });
        open.add(s);
        try {
          await client.refusal(s);
        } finally {
          close(s);
        }
        close(await connect(client, '/admin', mode, { token: 'secret' }));
      });
    });
  }
}

describe('msgpack server: generations together', () => {
  it('4.x and 2.x msgpack clients and a 0.9 client share a room and a broadcast', async () => {
    const a = await connect(CLIENTS[0], '/', CLIENTS[0].modes[0]);
    const b = await connect(CLIENTS[1], '/', CLIENTS[1].modes[1]);
    io09.transports = ['websocket'];
    const old = io09.connect(server.url, {
      transports: ['websocket'], 'try multiple transports': false, 'force new connection': true, reconnect: false,
    });
    open.add(old);
    try {
      await within(new Promise((resolve) => old.on('connect', resolve)), 'the 0.9 connect');
      for (const s of [a, b, old]) {
        assert.deepEqual(await ack(s, 'join', 'mixed'), [true]);
      }
      const atB = once(b, 'news', 'news at the 2.x client');
      const atOld = once(old, 'news', 'news at the 0.9 client');
      await ack(a, 'to', { rooms: ['mixed'], event: 'news', args: ['to all', { n: 1 }] });
      assert.deepEqual(await atB, ['to all', { n: 1 }]);
      assert.deepEqual(await atOld, ['to all', { n: 1 }]);

      const atA = once(a, 'bcast', 'bcast at the 4.x client');
      const atB2 = once(b, 'bcast', 'bcast at the 2.x client');
      old.emit('bcast', 'from 0.9');
      assert.deepEqual(await atA, ['from 0.9']);
      assert.deepEqual(await atB2, ['from 0.9']);
    } finally {
      close(a, b);
      open.delete(old);
      old.socket.disconnect();
    }
  });

  it('a client of the JSON parser fails to connect, and the others go on', async () => {
    const ok = await connect(CLIENTS[0], '/', CLIENTS[0].modes[0]);
    try {
      for (const transports of [['websocket'], ['polling']]) {
        const s = io4(server.url, { forceNew: true, reconnection: false, transports });
        open.add(s);
        let connected = false;
        s.on('connect', () => { connected = true; });
        const failed = within(new Promise((resolve) => {
          s.once('connect_error', (e) => resolve(`connect_error: ${e.message}`));
          s.once('disconnect', (r) => resolve(`disconnect: ${r}`));
        }), `the JSON client's failure over ${transports}`);
        await failed;
        assert.equal(connected, false, 'never connected');
        close(s);
      }
      assert.deepEqual(await ack(ok, 'echo', 'still here'), ['still here']);
    } finally {
      close(ok);
    }
  });
});

describe('msgpack server with connection state recovery (-recovery)', () => {
  let recServer;
  before(async () => {
    recServer = await startServer(['-parser', 'msgpack', '-recovery', '-ping-interval', '400ms', '-ping-timeout', '2s']);
  });
  after(async () => {
    if (recServer) await recServer.stop();
  });

  for (const mode of CLIENTS[0].modes.slice(0, 2)) {
    it(`socket.io-client 4.8.4 recovers, with its missed events and their offsets [${mode.name}]`, async () => {
      const make = (auth) => {
        const s = io4(recServer.url, { forceNew: true, reconnection: false, parser, ...mode.opts, auth });
        open.add(s);
        return s;
      };
      const a = make();
      const authA = once(a, 'auth');
      await once(a, 'connect', 'connect');
      await authA; // an event, hence an offset, has arrived
      assert.equal(a.recovered, false);
      const id = a.id;
      assert.deepEqual(await ack(a, 'join', 'rec-mp'), [true]);

      const lost = once(a, 'disconnect', 'the forced close');
      a.emit('close-transport');
      await lost;
      const b = make();
      await once(b, 'connect', 'connect of b');
      assert.equal((await ack(b, 'reason', id))[0], 'forced close');
      for (const n of [1, 2, 3]) {
        assert.deepEqual(await ack(b, 'to', { rooms: ['rec-mp'], event: 'missed', args: [n] }), [true]);
      }
      const missed = [];
      a.on('missed', (...x) => missed.push(x));
      const back = once(a, 'connect', 'the reconnect');
      a.connect();
      await back;
      assert.equal(a.recovered, true, 'socket.recovered');
      assert.equal(a.id, id, 'same socket id');
      assert.deepEqual(missed.map((x) => x[0]), [1, 2, 3]);
      for (const x of missed) assert.equal(typeof x[1], 'string', 'the offset, last');
      close(a, b);
    });
  }
});
