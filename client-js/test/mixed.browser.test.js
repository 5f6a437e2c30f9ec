'use strict';
/*
 * Mixed generations in one room: a 0.9 page (sio-client-09 browser bundle) and a 4.x page
 * (sio-client-4 browser bundle) in headless Chromium join the same room of "/" on the Go server.
 * A broadcast from a third socket (a 4.x client in Node) reaches each page exactly once; a
 * broadcast from the 0.9 socket reaches the 4.x page and not the 0.9 page itself.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const ioNode = require('sio-client-4');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, makePageDir, launch, connect09 } = require('./lib/browser09');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

let server;
let pageDir;
let browser;

before(async () => {
  if (SKIP) return;
  if (serverKind() !== 'bin') throw new Error('the mixed tests need SOCKIO_SERVER_BIN (the Go server serves the pages)');
  pageDir = makePageDir();
  server = await startServer(['-ping-interval', '400ms', '-ping-timeout', '2s', '-page-dir', pageDir]);
  browser = await launch();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.stop();
  if (pageDir) fs.rmSync(pageDir, { recursive: true, force: true });
});

/* In the 4.x page: connect, record news/end, join the room. */
async function connect4({ waitMs, room }) {
  const s = io(location.origin, { transports: ['websocket'] });
  window.sock = s;
  window.got = {};
  s.on('news', (...a) => { (window.got.news = window.got.news || []).push(a); });
  s.on('end', (...a) => { (window.got.end = window.got.end || []).push(a); });
  await new Promise((resolve, reject) => {
    s.on('connect', resolve);
    setTimeout(() => reject(new Error('no connect')), waitMs);
  });
  await s.timeout(waitMs).emitWithAck('join', room);
  return s.io.engine.transport.name;
}

/* In either page: resolves once `end` with value n has arrived; returns what was received. */
async function waitEnd({ n, waitMs }) {
  const t0 = Date.now();
  while (!(window.got.end || []).some((a) => a[0] === n)) {
    if (Date.now() - t0 > waitMs) throw new Error(`no end ${n} within ${waitMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return window.got;
}

describe('mixed 0.9 + 4.x room', { skip: SKIP && 'SOCKIO_SKIP_BROWSER=1' }, () => {
  for (const transport of ['websocket', 'xhr-polling']) {
    it(`broadcasts reach each generation once [0.9 over ${transport}]`, async () => {
      const room = `mixed-${transport}`;
      const p09 = await browser.context.newPage();
      const p4 = await browser.context.newPage();
      const third = ioNode(server.url, { transports: ['websocket'], forceNew: true });
      try {
        await p09.goto(`${server.url}/v09.html`, { timeout: 30000 });
        await p4.goto(`${server.url}/v4.html`, { timeout: 30000 });
        assert.equal(await p09.evaluate(connect09, { transport, waitMs: WAIT_MS }), transport);
        assert.deepEqual(await p09.evaluate(({ room, waitMs }) => new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error('no join ack')), waitMs);
          window.sock.emit('join', room, (...a) => resolve(a));
        }), { room, waitMs: WAIT_MS }), [true]);
        assert.equal(await p4.evaluate(connect4, { waitMs: WAIT_MS, room }), 'websocket');
        await new Promise((resolve, reject) => {
          if (third.connected) return resolve();
          const t = setTimeout(() => reject(new Error('third socket: no connect')), WAIT_MS);
          third.on('connect', () => { clearTimeout(t); resolve(); });
          third.on('connect_error', (e) => { clearTimeout(t); reject(e); });
        });

        // From the third socket: one news, then end 1 (events of one socket arrive in order).
        const to = (sock, event, args) => sock.timeout(WAIT_MS).emitWithAck('to', { rooms: [room], event, args });
        assert.equal(await to(third, 'news', ['from-third', { n: 1 }]), true);
        assert.equal(await to(third, 'end', [1]), true);
        for (const p of [p09, p4]) {
          const got = await p.evaluate(waitEnd, { n: 1, waitMs: WAIT_MS });
          assert.deepEqual(got.news, [['from-third', { n: 1 }]]);
        }

        // From the 0.9 socket: the 4.x page gets it once, the 0.9 page not at all. The ack of
        // "to" comes after the broadcast was queued, so a self-delivery would arrive before it.
        const ack09 = await p09.evaluate(({ room, waitMs }) => new Promise((resolve, reject) => {
          setTimeout(() => reject(new Error('no ack')), waitMs);
          window.sock.emit('to', { rooms: [room], event: 'news', args: ['from-09'] }, () => {
            window.sock.emit('to', { rooms: [room], event: 'end', args: [2] }, () => resolve(window.got));
          });
        }), { room, waitMs: WAIT_MS });
        assert.deepEqual(ack09.news, [['from-third', { n: 1 }]]);
        assert.deepEqual(ack09.end, [[1]]);
        const got4 = await p4.evaluate(waitEnd, { n: 2, waitMs: WAIT_MS });
        assert.deepEqual(got4.news, [['from-third', { n: 1 }], ['from-09']]);
        assert.equal(await p09.evaluate(() => window.sock.socket.transport.name), transport);
      } finally {
        third.close();
        await p09.evaluate(() => window.sock && window.sock.socket.disconnect()).catch(() => {});
        await p09.close();
        await p4.close();
      }
    });
  }
});
