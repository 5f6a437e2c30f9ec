'use strict';
/*
 * The REAL socket.io-client 0.9.16 browser bundle (sio-client-09/dist/socket.io.js) in headless
 * Chromium against the Go conformance server, over each 0.9 transport: websocket, xhr-polling,
 * jsonp-polling, htmlfile and flashsocket (the last two through the page shims of testing.md),
 * asserting socket.socket.transport.name. The page is served by the Go server (-page-dir).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, makePageDir, launch, connect09 } = require('./lib/browser09');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const TRANSPORTS = ['websocket', 'xhr-polling', 'jsonp-polling', 'htmlfile', 'flashsocket'];

let server;
let pageDir;
let browser;

before(async () => {
  if (SKIP) return;
  if (serverKind() !== 'bin') throw new Error('the 0.9 browser tests need SOCKIO_SERVER_BIN (the Go server serves the page)');
  pageDir = makePageDir();
  // Heartbeats far apart: the 0.9 bundle's jsonp-polling transport answers a heartbeat with a form
  // post that replaces the iframe of any post still being submitted. When the heartbeat lands just as
  // a post completes and the packets buffered meanwhile are flushed in a new post, that post is
  // cancelled before it is sent and its packets are lost (one run in ten with 400 ms heartbeats: the
  // /custom CONNECT never left the page). Node's 0.9 server times its heartbeats the same way; this
  // test is not about heartbeats (v09.test.js is).
  server = await startServer(['-ping-interval', '20s', '-ping-timeout', '20s', '-polling-duration', '500ms',
    '-transports', 'polling,websocket,flashsocket,htmlfile,xhr-polling,jsonp-polling', '-page-dir', pageDir]);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (pageDir) fs.rmSync(pageDir, { recursive: true, force: true });
});

/* Runs in the page after connect09: the exchanges; resolves with what came back. */
async function exchanges({ waitMs }) {
  const s = window.sock;
  const within = (p, label) => {
    let t;
    return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out: ${label}`)), waitMs); })])
      .finally(() => clearTimeout(t));
  };
  const once = (sock, ev) => within(new Promise((resolve) => sock.once(ev, (...a) => resolve(a))), ev);
  const ack = (sock, ...args) => within(new Promise((resolve) => sock.emit(...args, (...a) => resolve(a))), `ack ${args[0]}`);
  const out = {};
  let back = once(s, 'message-back');
  s.emit('message', 'hé 😀', { a: [1, null] }, '</script> \u2028 "q"');
  out.event = await back;
  out.echo = await ack(s, 'echo', 'x', 2);
  s.on('question', (x, fn) => fn('answer', x + 1));
  out.ask = await ack(s, 'ask', { event: 'question', args: [41] });
  back = once(s, 'message-back');
  s.send('plain: text');
  out.send = await back;
  back = once(s, 'message-back');
  s.json.send({ j: true });
  out.json = await back;
  // /custom joins the same session.
  const c = s.socket.of('/custom');
  await within(new Promise((resolve) => (c.socket.namespaces['/custom'] && c.on('connect', resolve))), 'connect /custom');
  out.customEcho = await ack(c, 'echo', 'custom');
  out.sameSession = c.socket === s.socket;
  out.transport = s.socket.transport.name;
  return out;
}

for (const transport of TRANSPORTS) {
  describe(`0.9 browser bundle [${transport}]`, { skip: SKIP && 'SOCKIO_SKIP_BROWSER=1' }, () => {
    it('connects, events and acks both ways, send and json messages, /custom', async () => {
      const page = await browser.context.newPage();
      try {
        await page.goto(`${server.url}/v09.html`, { timeout: 30000 });
        assert.equal(await page.evaluate(() => io.version), '0.9.16');
        const name = await page.evaluate(connect09, { transport, waitMs: WAIT_MS });
        assert.equal(name, transport);
        const out = await page.evaluate(exchanges, { waitMs: WAIT_MS });
        assert.deepEqual(out.event, ['hé 😀', { a: [1, null] }, '</script> \u2028 "q"']);
        assert.deepEqual(out.echo, ['x', 2]);
        assert.deepEqual(out.ask, [{ args: ['answer', 42] }]);
        assert.deepEqual(out.send, ['plain: text']);
        assert.deepEqual(out.json, [{ j: true }]);
        assert.deepEqual(out.customEcho, ['custom']);
        assert.equal(out.sameSession, true);
        assert.equal(out.transport, transport);
      } finally {
        await page.evaluate(() => window.sock && window.sock.socket.disconnect()).catch(() => {});
        await page.close();
      }
    });
  });
}
