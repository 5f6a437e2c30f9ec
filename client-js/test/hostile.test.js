'use strict';
/*
 * A hostile peer must not break the other clients. A raw websocket peer (the `ws` package, not a
 * socket.io client: it writes whatever bytes the test says) sends "bcast" binary packets whose
 * placeholders do not match their attachments; relayed, each would make socket.io-client fail
 * with "illegal attachments" and disconnect. The REAL socket.io-client 4.8.4 (websocket and
 * polling) and 2.5.0 sockets in a room must receive none of them and stay connected, and the
 * next valid bcasts must reach them intact: a plain EVENT holding {"_placeholder":true,"num":0}
 * (data to socket.io's parsers, which reconstruct binary packets only) and a binary one.
 *
 * Own server, relaxed heartbeat (ping interval 400 ms, timeout 2 s) as in v2.test.js.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const WebSocket = require('ws');
const { io: io4 } = require('sio-client-4');
const io2 = require('sio-client-2');
const { startServer, serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

// [header, attachments that follow]
const HOSTILE = [
  ['451-["bcast",{"_placeholder":true,"num":0},{"_placeholder":true,"num":5}]', 1],
  ['451-["bcast",{"_placeholder":true,"num":-1}]', 1],
  ['451-["bcast",{"_placeholder":true,"num":"x"}]', 1],
  ['451-["bcast",{"_placeholder":true,"num":1.5}]', 1],
  ['451-["bcast",{"_placeholder":true,"num":0,"extra":1}]', 1],
  ['452-["bcast",{"_placeholder":true,"num":0}]', 2],
  ['451-["bcast",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]', 1],
  ['450-["bcast",{"_placeholder":true,"num":0}]', 0],
  ['4511-["bcast",{"_placeholder":true,"num":0}]', 11],
];

let server;
const open = new Set();

before(async () => {
  if (serverKind() !== 'bin' && serverKind() !== 'url') {
    throw new Error('the hostile-peer tests need the Go server: set SOCKIO_SERVER_BIN');
  }
  server = await startServer(['-ping-interval', '400ms', '-ping-timeout', '2s']);
});

after(async () => {
  for (const s of open) s.close();
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

/**
 * A raw Engine.IO websocket peer joined to "/": resolves with {ws, closed} once connected.
 * It answers the server's pings (EIO4) or pings itself (EIO3). closed resolves on close.
 */
function rawPeer(eio) {
  const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/socket.io/?EIO=${eio}&transport=websocket`);
  let pinger = null;
  const closed = new Promise((resolve) => ws.once('close', (code) => {
    clearInterval(pinger);
    resolve(code);
  }));
  const ready = new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('0{')) {
        if (eio === 4) ws.send('40');
        else pinger = setInterval(() => ws.send('2'), 400);
      } else if (text.startsWith('40')) {
        resolve({ ws, closed });
      } else if (text === '2') {
        ws.send('3');
      }
    });
  });
  return within(ready, `raw EIO${eio} peer connected`);
}

function attachment(eio, bytes) {
  return eio === 3 ? Buffer.from([4, ...bytes]) : Buffer.from(bytes);
}

/** Connects a receiver, joins room "r" and records every bcast and disconnect. */
async function receiver(name, make) {
  const s = make();
  open.add(s);
  s.bcasts = [];
  s.disconnects = [];
  s.on('bcast', (...args) => s.bcasts.push(args));
  s.on('disconnect', (reason) => s.disconnects.push(reason));
  await within(new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', (e) => reject(new Error(`${name}: connect_error ${e && e.message}`)));
  }), `${name} connected`);
  const joined = await within(new Promise((resolve) => s.emit('join', 'r', resolve)), `${name} joined`);
  assert.equal(joined, true);
  s.label = name;
  return s;
}

describe('hostile binary placeholders from a raw peer', () => {
  it('are refused; 4.x and 2.x sockets in a room get none and stay connected', async () => {
    const receivers = [
      await receiver('4.x websocket', () => io4(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] })),
      await receiver('4.x polling', () => io4(server.url, { forceNew: true, reconnection: false, transports: ['polling'] })),
      await receiver('2.x websocket', () => io2(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] })),
    ];
    for (const eio of [4, 3]) {
      for (const [header, atts] of HOSTILE) {
        const { ws, closed } = await rawPeer(eio);
        ws.send(header);
        for (let i = 0; i < atts; i++) ws.send(attachment(eio, [1, 2, 3]));
        await within(closed, `the server closing EIO${eio} after ${header}`);
      }
    }

    // Then, from one peer: a plain EVENT holding a placeholder lookalike (no attachments: the
    // clients read it as data, as socket.io's parsers do) and a valid binary bcast. They are the
    // first two bcasts each receiver gets.
    const arrived = receivers.map((s) => within(new Promise((resolve) => {
      const check = () => { if (s.bcasts.length >= 2) resolve(); else s.once('bcast', check); };
      check();
    }), `${s.label}: the two valid bcasts`));
    const { ws } = await rawPeer(4);
    ws.send('42["bcast",{"_placeholder":true,"num":0}]');
    ws.send('451-["bcast",{"bin":{"_placeholder":true,"num":0}},"after"]');
    ws.send(attachment(4, [9, 8, 7]));
    await Promise.all(arrived);
    ws.close();
    for (const s of receivers) {
      assert.deepEqual(s.disconnects, [], `${s.label} disconnected`);
      assert.equal(s.bcasts.length, 2, `${s.label} got ${s.bcasts.length} bcasts`);
      assert.deepEqual(s.bcasts[0], [{ _placeholder: true, num: 0 }], `${s.label}: the lookalike is data`);
      const [obj, tail] = s.bcasts[1];
      assert.deepEqual([...Buffer.from(obj.bin)], [9, 8, 7], `${s.label}: attachment bytes`);
      assert.equal(tail, 'after');
      const echoed = await within(new Promise((resolve) => s.emit('echo', 'still here', resolve)), `${s.label} echo`);
      assert.equal(echoed, 'still here');
      assert.equal(s.connected, true);
    }
  });
});
