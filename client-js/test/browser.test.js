'use strict';
/*
 * The official 4.8.4 browser bundle (node_modules/sio-client-4/dist/socket.io.js) in headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core), against the server under
 * test — per transport mode. The page comes from this file's own tiny static server, so the
 * page's origin differs from the server's: polling exercises the server's CORS answers too.
 *
 * SOCKIO_SKIP_BROWSER=1 skips this file; otherwise a missing Chromium is a failure.
 * SOCKIO_CHROMIUM overrides the executable path.
 */

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, WAIT_MS } = require('./lib/client');
const { setup } = require('./lib/harness');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

const { it } = setup();

let statics;
let staticUrl;
let browser;
let context;

/*
 * Runs in the page. Always resolves (never rejects) so the socket ids and disconnect reasons
 * come back even on failure; `error` tells what failed. Binaries come back as byte arrays.
 */
async function pageScenario({ url, transports, upgrade, waitMs }) {
  const out = { ok: false, ids: [], reasons: [], steps: [] };
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

  /* global io */
  const socket = io(url, { forceNew: true, reconnection: false, transports, auth: { from: 'browser' } });
  // Same client-side heartbeat patience as the Node tests (see lib/client.js).
  socket.io.engine.once('handshake', (d) => {
    out.announced = { ...d };
    d.pingTimeout = Math.max(d.pingTimeout, 10000);
  });
  socket.on('disconnect', (r) => out.reasons.push(r));
  try {
    const engine = socket.io.engine;
    const upgraded = !upgrade ? Promise.resolve() : new Promise((resolve, reject) => {
      engine.once('upgrade', resolve);
      engine.once('upgradeError', (e) => reject(new Error(`upgrade failed: ${e && e.message}`)));
    });
    upgraded.catch(() => {});
    const auth = new Promise((resolve) => socket.once('auth', resolve));
    await within(new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (e) => reject(new Error(`connect_error: ${e.message}`)));
    }), '"connect"');
    out.ids.push(socket.id);
    out.steps.push('connected');
    await within(upgraded, 'engine "upgrade"');
    out.auth = await within(auth, '"auth"');
    out.transport = socket.io.engine.transport.name;

    out.echo = enc(await ackAll(socket, 'echo', 'hello', 42, { nested: ['x', null] }));
    out.steps.push('echo');

    const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255]);
    out.binEcho = enc(await ackAll(socket, 'echo', { bin: bytes, list: [bytes.buffer] }));
    out.steps.push('binary echo');

    const back = new Promise((resolve) => socket.once('message-back', (...a) => resolve(a)));
    socket.emit('message', 'm', bytes);
    out.messageBack = enc(await within(back, '"message-back"'));
    out.steps.push('message-back');

    socket.on('q', (a, bin, cb) => cb(a + '!', bin));
    out.ask = enc(await ackAll(socket, 'ask', { event: 'q', args: ['hi', bytes], timeout: 5000 }));
    out.steps.push('ask');

    out.transportAtEnd = socket.io.engine.transport.name;
    out.ok = true;
  } catch (err) {
    out.error = String((err && err.message) || err);
  } finally {
    socket.disconnect();
  }
  return out;
}

describe('browser (headless Chromium, official 4.8.4 bundle)', () => {
  before(async () => {
    if (SKIP) return;
    statics = await startStatic(bundle('sio-client-4'));
    staticUrl = statics.url;
    browser = await launch();
    context = browser.context;
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
  });

  for (const mode of MODES) {
    it(`connect, echo, binary, server→client ack [${mode.name}]`, async (c) => {
      const page = await context.newPage();
      try {
        await page.goto(staticUrl, { timeout: 30000 });
        assert.equal(await page.evaluate(() => typeof io), 'function', 'the 4.x bundle defines io()');
        const serverUrl = c.url;
        const out = await page.evaluate(pageScenario, {
          url: serverUrl,
          transports: mode.opts.transports,
          upgrade: mode.upgrade,
          waitMs: WAIT_MS,
        });
        if (!out.ok) {
          // Let the harness ask the server whether it dropped this page's connection for
          // "ping timeout" (a loaded machine), which is the only case retried.
          c.extraSuspects.push(...out.ids);
          assert.fail(`in the page, after [${out.steps.join(', ')}]: ${out.error}; ` +
            `disconnect reasons: ${JSON.stringify(out.reasons)}`);
        }
        assert.equal(out.transport, mode.expect);
        assert.equal(out.transportAtEnd, mode.expect);
        assert.equal(out.announced.pingInterval, 300);
        assert.equal(out.announced.pingTimeout, 200);
        assert.deepEqual(out.auth, { from: 'browser' });
        assert.deepEqual(out.echo, ['hello', 42, { nested: ['x', null] }]);
        const b = [0, 1, 2, 127, 128, 254, 255];
        // Browsers get binaries as ArrayBuffer (the client's default binaryType).
        assert.deepEqual(out.binEcho, [{ bin: { ab: b }, list: [{ ab: b }] }]);
        assert.deepEqual(out.messageBack, ['m', { ab: b }]);
        assert.deepEqual(out.ask, [{ args: ['hi!', { ab: b }] }]);
        assert.deepEqual(out.reasons, ['io client disconnect']);
      } finally {
        await page.close().catch(() => {});
      }
    }, { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false });
  }
});
