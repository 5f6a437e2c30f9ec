'use strict';
/*
 * The official socket.io-client 2.5.0 browser bundle in headless Chromium against the server
 * under test (SOCKIO_SERVER_BIN), over websocket, XHR polling (binary payloads), polling with
 * the upgrade, and JSONP polling (forceJSONP: script tags and form posts). The page is served
 * from another origin: 2.x XHRs carry credentials, so the server's CORS must reflect the origin.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const MODES = [
  { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket' },
  { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling' },
  { name: 'polling+upgrade', opts: { transports: ['polling', 'websocket'] }, expect: 'websocket', upgrade: true },
  { name: 'jsonp-polling', opts: { transports: ['polling'], forceJSONP: true }, expect: 'polling', jsonp: true },
];

let server;
let statics;
let browser;

/* Runs in the page: connect, echo (with binary), message-back, a server→client ack. */
async function scenario({ url, opts, upgrade, waitMs }) {
  const out = { steps: [] };
  const within = (p, label) => {
    let timer;
    return Promise.race([p, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}`)), waitMs);
    })]).finally(() => clearTimeout(timer));
  };
  const ack = (s, ...args) => within(new Promise((resolve) => s.emit(...args, (...res) => resolve(res))), `ack of ${args[0]}`);
  const enc = (v) => {
    if (v instanceof ArrayBuffer) return { ab: Array.from(new Uint8Array(v)) };
    if (Array.isArray(v)) return v.map(enc);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, enc(x)]));
    return v;
  };
  /* global io */
  const s = io(url, { forceNew: true, reconnection: false, ...opts });
  try {
    await within(new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', (e) => reject(new Error(`connect_error ${e && e.message}`)));
    }), 'connect');
    if (upgrade && s.io.engine.transport.name !== 'websocket') {
      await within(new Promise((resolve) => s.io.engine.once('upgrade', resolve)), 'upgrade');
    }
    out.steps.push('connected');
    out.transport = s.io.engine.transport.name;
    out.jsonp = s.io.engine.transport.query.j !== undefined;
    out.id = s.id;
    out.engineId = s.io.engine.id;
    out.echo = await ack(s, 'echo', 'hello', 42, { nested: ['x', null] });
    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    out.binEcho = enc(await ack(s, 'echo', { bin: bytes.buffer, list: [bytes.buffer] }));
    const back = within(new Promise((resolve) => s.once('message-back', (...a) => resolve(a))), 'message-back');
    s.emit('message', 'm', 'ünïcödé ☃ 𝄞');
    out.messageBack = await back;
    s.on('q', (a, cb) => cb(`${a}!`));
    out.ask = await ack(s, 'ask', { event: 'q', args: ['hi'], timeout: waitMs });
    out.transportAtEnd = s.io.engine.transport.name;
    out.ok = true;
  } catch (err) {
    out.error = String((err && err.message) || err);
  } finally {
    s.close();
  }
  return out;
}

describe('socket.io-client 2.5.0 in headless Chromium', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  before(async () => {
    if (serverKind() === 'ref') throw new Error('the 2.x tests need the Go server: set SOCKIO_SERVER_BIN');
    server = await startServer(['-ping-interval', '1s', '-ping-timeout', '5s']);
    statics = await startStatic(bundle('sio-client-2'));
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
    if (server) await server.stop();
  });

  for (const mode of MODES) {
    it(`connect, echo, binary, events and acks both ways [${mode.name}]`, async () => {
      const page = await browser.context.newPage();
      try {
        await page.goto(statics.url, { timeout: 30000 });
        const out = await page.evaluate(scenario, { url: server.url, opts: mode.opts, upgrade: mode.upgrade, waitMs: WAIT_MS });
        assert.ok(out.ok, `in the page after [${out.steps.join(', ')}]: ${out.error}`);
        assert.equal(out.transport, mode.expect);
        assert.equal(out.transportAtEnd, mode.expect);
        assert.equal(out.jsonp, !!mode.jsonp, 'JSONP transport in use');
        assert.equal(out.id, out.engineId, 'a 2.x socket id on / is the engine id');
        assert.deepEqual(out.echo, ['hello', 42, { nested: ['x', null] }]);
        const b = [0, 1, 2, 127, 128, 254, 255];
        assert.deepEqual(out.binEcho, [{ bin: { ab: b }, list: [{ ab: b }] }]);
        assert.deepEqual(out.messageBack, ['m', 'ünïcödé ☃ 𝄞']);
        assert.deepEqual(out.ask, [{ args: ['hi!'] }]);
      } finally {
        await page.close().catch(() => {});
      }
    });
  }
});
