'use strict';
// Compression with socket.io-client 4.x: websocket permessage-deflate (off by default, on with
// -per-message-deflate) negotiated by the Node client, 100 KiB messages both ways; polling
// answers of 1 KiB and more gzip-encoded for a client that accepts it (the Fetch transport,
// whose fetch() sends Accept-Encoding) and plain for one that does not (the Node XHR transport).

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
// The engine.io-client that sio-client-4 itself uses (its Fetch transport is not re-exported).
const { Fetch } = require(require.resolve('engine.io-client', { paths: [path.dirname(require.resolve('sio-client-4'))] }));
const { Clients, ack, once } = require('./lib/client');
const { startServer } = require('./lib/server');

const BIG = 'abcdefgh'.repeat((100 * 1024) / 8); // 100 KiB

let plain;
let deflate;
before(async () => {
  plain = await startServer();
  deflate = await startServer(['-per-message-deflate']);
});
after(async () => {
  if (plain) await plain.stop();
  if (deflate) await deflate.stop();
});

const WS = { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket', upgrade: false };

async function exchange(s) {
  const back = once(s, 'message-back');
  s.emit('message', BIG);
  assert.equal((await back)[0], BIG);
  assert.deepEqual(await ack(s, 'echo', BIG, 1), [BIG, 1]);
}

describe('websocket permessage-deflate', () => {
  it('is negotiated when the server enables it; 100 KiB messages go both ways', async () => {
    const c = new Clients(deflate.url);
    try {
      const s = await c.connect('/', WS, { perMessageDeflate: { threshold: 1024 } });
      const ws = s.io.engine.transport.ws;
      assert.match(ws.extensions, /permessage-deflate/, 'Sec-WebSocket-Extensions of the handshake answer');
      await exchange(s);
      assert.equal(s.connected, true);
    } finally {
      c.closeAll();
    }
  });

  it('is refused by default; the same messages go uncompressed', async () => {
    const c = new Clients(plain.url);
    try {
      const s = await c.connect('/', WS, { perMessageDeflate: { threshold: 1024 } });
      assert.equal(s.io.engine.transport.ws.extensions, '');
      await exchange(s);
    } finally {
      c.closeAll();
    }
  });
});

describe('polling compression', () => {
  it('answers over 1 KiB are gzip-encoded for a client that accepts it (fetch)', async () => {
    const encodings = [];
    const orig = globalThis.fetch;
    globalThis.fetch = async (...args) => {
      const res = await orig(...args);
      const method = (args[1] && args[1].method) || 'GET';
      if (method === 'GET') encodings.push(res.headers.get('content-encoding'));
      return res;
    };
    const c = new Clients(plain.url);
    try {
      const s = await c.connect('/', { name: 'fetch', opts: { transports: [Fetch] }, expect: 'polling', upgrade: false });
      assert.equal(s.io.engine.transport.name, 'polling');
      const small = encodings.length;
      assert.ok(encodings.slice(0, small).every((e) => e === null), `small answers: ${encodings}`);
      await exchange(s);
      assert.ok(encodings.slice(small).includes('gzip'), `encodings of the polls: ${encodings}`);
    } finally {
      c.closeAll();
      globalThis.fetch = orig;
    }
  });

  it('are plain for a client that sends no Accept-Encoding (Node XHR), and still arrive', async () => {
    const c = new Clients(plain.url);
    try {
      const s = await c.connect('/', { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling', upgrade: false });
      await exchange(s);
    } finally {
      c.closeAll();
    }
  });
});
