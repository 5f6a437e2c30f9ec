'use strict';
/*
 * Polling compression as Chromium sees it: the official 4.8.4 bundle over XHR polling and the
 * 2.5.0 bundle over JSONP polling (script tags) send a 100 KiB message and get it back. Chromium
 * sends Accept-Encoding on both, so the server's answers of 1 KiB and more come gzip-encoded and
 * the small ones (the handshake, the CONNECT) plain; the page still reads every byte.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const SIZE = 100 * 1024;

let server;
let statics;
let browser;

/* Runs in the page: connect over polling, send SIZE characters, get them back. */
async function scenario({ url, opts, size, waitMs }) {
  const within = (p, label) => {
    let timer;
    return Promise.race([p, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${label}`)), waitMs);
    })]).finally(() => clearTimeout(timer));
  };
  /* global io */
  const s = io(url, { forceNew: true, reconnection: false, transports: ['polling'], ...opts });
  try {
    await within(new Promise((resolve, reject) => {
      s.once('connect', resolve);
      s.once('connect_error', (e) => reject(new Error(`connect_error ${e && e.message}`)));
    }), 'connect');
    const big = 'abcdefgh'.repeat(size / 8);
    const back = within(new Promise((resolve) => s.once('message-back', (m) => resolve(m))), 'message-back');
    s.emit('message', big);
    const got = await back;
    return { ok: got === big, length: got.length, jsonp: s.io.engine.transport.query.j !== undefined };
  } catch (err) {
    return { error: String((err && err.message) || err) };
  } finally {
    s.close();
  }
}

describe('polling compression in headless Chromium', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  before(async () => {
    if (serverKind() === 'ref') throw new Error('these tests need the Go server: set SOCKIO_SERVER_BIN');
    server = await startServer();
    statics = await startStatic({ 4: bundle('sio-client-4'), 2: bundle('sio-client-2') });
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
    if (server) await server.stop();
  });

  for (const c of [
    { name: '4.8.4 XHR polling', client: '4', opts: {} },
    { name: '2.5.0 JSONP polling', client: '2', opts: { forceJSONP: true } },
  ]) {
    it(`${c.name}: answers of 1 KiB and more are gzip-encoded, small ones plain, and all arrive`, async () => {
      const page = await browser.context.newPage();
      const polls = [];
      page.on('response', async (res) => {
        if (!res.url().startsWith(server.url) || res.request().method() !== 'GET') return;
        const body = res.body().catch(() => Buffer.alloc(0));
        polls.push(body.then((b) => ({ encoding: res.headers()['content-encoding'] || null, length: b.length })));
      });
      try {
        await page.goto(`${statics.url}?client=${c.client}`, { timeout: 30000 });
        const out = await page.evaluate(scenario, { url: server.url, opts: c.opts, size: SIZE, waitMs: WAIT_MS });
        assert.ok(out.ok, `in the page: ${out.error || `got ${out.length} characters`}`);
        assert.equal(out.jsonp, c.client === '2', 'JSONP transport in use');
        const seen = await Promise.all(polls);
        // Decoded sizes: a gzip answer must have been large, a plain one small.
        assert.ok(seen.some((p) => p.encoding === 'gzip' && p.length >= SIZE), `polls: ${JSON.stringify(seen)}`);
        for (const p of seen) {
          if (p.length < 1024) assert.equal(p.encoding, null, `a small answer is plain: ${JSON.stringify(seen)}`);
          else assert.equal(p.encoding, 'gzip', `a large answer is gzip-encoded: ${JSON.stringify(seen)}`);
        }
      } finally {
        await page.close().catch(() => {});
      }
    });
  }
});
