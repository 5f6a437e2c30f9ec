'use strict';
/*
 * The official 4.8.4 msgpack browser bundle (node_modules/sio-client-4/dist/socket.io.msgpack.min.js,
 * socket.io-client built with socket.io-msgpack-parser) in headless Chromium against the Go
 * conformance server started with `-parser msgpack`, per transport mode: auth, events, acks both
 * ways, binary both ways (browsers send and receive ArrayBuffers: the bundle's msgpack encoder
 * writes an ArrayBuffer as bin but a typed array as a plain object of its indexes, so the page
 * sends ArrayBuffers), rooms and a broadcast to all but the sender. The page comes from lib/browser.js's static server, of another origin.
 *
 * SOCKIO_SKIP_BROWSER=1 skips this file; otherwise a missing Chromium is a failure.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, WAIT_MS } = require('./lib/client');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

let server;
let statics;
let browser;

/* Runs in the page; always resolves, `error` telling what failed. Binaries come back as arrays. */
async function pageScenario({ url, transports, upgrade, waitMs }) {
  const out = { ok: false, steps: [] };
  const within = (p, label) => {
    let timer;
    return Promise.race([
      p,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${waitMs} ms waiting for ${label}`)), waitMs);
      }),
    ]).finally(() => clearTimeout(timer));
  };
  const ackAll = (socket, ...args) => new Promise((resolve, reject) => {
    socket.timeout(waitMs).emit(...args, (err, ...res) => (err ? reject(err) : resolve(res)));
  });
  const enc = (v) => {
    if (v instanceof ArrayBuffer) return { ab: Array.from(new Uint8Array(v)) };
    if (ArrayBuffer.isView(v)) return { view: Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)) };
    if (Array.isArray(v)) return v.map(enc);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]));
    return v;
  };
  const sockets = [];
  const connect = async (auth) => {
    /* global io */
    const socket = io(url, { forceNew: true, reconnection: false, transports, auth });
    sockets.push(socket);
    socket.io.engine.once('handshake', (d) => { d.pingTimeout = Math.max(d.pingTimeout, 10000); });
    const upgraded = !upgrade ? Promise.resolve() : new Promise((resolve, reject) => {
      socket.io.engine.once('upgrade', resolve);
      socket.io.engine.once('upgradeError', (e) => reject(new Error(`upgrade failed: ${e && e.message}`)));
    });
    upgraded.catch(() => {});
    const authArgs = new Promise((resolve) => socket.once('auth', resolve));
    await within(new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (e) => reject(new Error(`connect_error: ${e.message}`)));
    }), '"connect"');
    await within(upgraded, 'engine "upgrade"');
    socket.authArgs = await within(authArgs, '"auth"');
    return socket;
  };
  try {
    const a = await connect({ from: 'msgpack page' });
    out.auth = a.authArgs;
    out.transport = a.io.engine.transport.name;
    out.steps.push('connected');

    out.echo = enc(await ackAll(a, 'echo', 'hello', 42, 1.5, { nested: ['x', null] }));
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    out.binEcho = enc(await ackAll(a, 'echo', { bin: bytes.buffer, list: [bytes.buffer] }));
    out.steps.push('echo');

    const back = new Promise((resolve) => a.once('message-back', (...x) => resolve(x)));
    a.emit('message', 'm', bytes.buffer);
    out.messageBack = enc(await within(back, '"message-back"'));

    a.on('q', (x, bin, cb) => cb(x + '!', bin));
    out.ask = enc(await ackAll(a, 'ask', { event: 'q', args: ['hi', bytes.buffer], timeout: 5000 }));
    out.steps.push('ask');

    const b = await connect({ from: 'second' });
    for (const s of [a, b]) await ackAll(s, 'join', 'mp-browser');
    const news = new Promise((resolve) => b.once('news', (...x) => resolve(x)));
    await ackAll(a, 'to', { rooms: ['mp-browser'], event: 'news', args: ['to the room', 7] });
    out.news = enc(await within(news, '"news" at b'));
    const bc = new Promise((resolve) => b.once('bcast', (...x) => resolve(x)));
    const own = [];
    a.on('bcast', (...x) => own.push(x));
    a.emit('bcast', 'all but me', bytes.buffer);
    out.bcast = enc(await within(bc, '"bcast" at b'));
    await ackAll(a, 'echo', 'marker'); // a's own copy, if any, would have come before this ack
    out.ownBcast = own.length;
    out.steps.push('room and broadcast');
    out.transportAtEnd = a.io.engine.transport.name;
    out.ok = true;
  } catch (err) {
    out.error = String((err && err.message) || err);
  } finally {
    for (const s of sockets) s.disconnect();
  }
  return out;
}

describe('browser (headless Chromium, official 4.8.4 msgpack bundle)', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  before(async () => {
    if (serverKind() !== 'bin' && serverKind() !== 'url') {
      throw new Error('the msgpack tests need the Go server: set SOCKIO_SERVER_BIN');
    }
    server = await startServer(['-parser', 'msgpack', '-ping-interval', '400ms', '-ping-timeout', '2s']);
    statics = await startStatic(bundle('sio-client-4', 'socket.io.msgpack.min.js'));
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
    if (server) await server.stop();
  });

  for (const mode of MODES) {
    it(`auth, events, acks, binary, rooms, broadcast [${mode.name}]`, async () => {
      const page = await browser.context.newPage();
      try {
        await page.goto(statics.url, { timeout: 30000 });
        assert.equal(await page.evaluate(() => typeof io), 'function', 'the msgpack bundle defines io()');
        const out = await page.evaluate(pageScenario, {
          url: server.url, transports: mode.opts.transports, upgrade: mode.upgrade, waitMs: WAIT_MS,
        });
        assert.ok(out.ok, `in the page, after [${out.steps.join(', ')}]: ${out.error}`);
        assert.equal(out.transport, mode.expect);
        assert.equal(out.transportAtEnd, mode.expect);
        assert.deepEqual(out.auth, { from: 'msgpack page' });
        assert.deepEqual(out.echo, ['hello', 42, 1.5, { nested: ['x', null] }]);
        const b = [0, 1, 2, 127, 128, 254, 255];
        // Browsers get binaries as ArrayBuffer (notepack's browser decoder).
        assert.deepEqual(out.binEcho, [{ bin: { ab: b }, list: [{ ab: b }] }]);
        assert.deepEqual(out.messageBack, ['m', { ab: b }]);
        assert.deepEqual(out.ask, [{ args: ['hi!', { ab: b }] }]);
        assert.deepEqual(out.news, ['to the room', 7]);
        assert.deepEqual(out.bcast, ['all but me', { ab: b }]);
        assert.equal(out.ownBcast, 0, 'the sender did not get its own broadcast');
      } finally {
        await page.close().catch(() => {});
      }
    });
  }
});
