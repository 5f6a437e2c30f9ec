'use strict';
/*
 * Every generation in one room, in headless Chromium: a page per official browser bundle
 * (socket.io-client 4.8.4, 2.5.0 and 0.9.16) joins room "gen-room" of the server under test.
 * Each page's broadcast to the room reaches every other page exactly once and never itself, and
 * so does a broadcast from a third socket (a Node 4.x client).
 *
 * "Exactly once" is checked after a closing marker: the marker is the last broadcast, every
 * page waits for it, and messages on one connection arrive in the order they were sent, so any
 * duplicate would have arrived before it.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { io } = require('sio-client-4');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 10000);
const GENS = (process.env.SOCKIO_GENS || '4,2,0.9').split(',');
const BUNDLES = { 4: bundle('sio-client-4'), 2: bundle('sio-client-2'), 0.9: bundle('sio-client-09') };

let server;
let statics;
let browser;

/* In the page: connect with this generation's API, join the room, record every "hello". */
async function joinRoom({ url, gen, waitMs }) {
  const within = (p, label) => {
    let timer;
    return Promise.race([p, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${gen}: timed out waiting for ${label}`)), waitMs);
    })]).finally(() => clearTimeout(timer));
  };
  /* global io */
  const s = gen === '0.9'
    ? io.connect(url, { 'force new connection': true, reconnect: false })
    : io(url, { forceNew: true, reconnection: false });
  window.room = { s, got: [] };
  s.on('hello', (from) => window.room.got.push(from));
  await within(new Promise((resolve) => (gen === '0.9' && s.socket.connected ? resolve() : s.on('connect', resolve))), 'connect');
  const joined = await within(new Promise((resolve) => s.emit('join', 'gen-room', resolve)), 'join');
  return { joined, transport: gen === '0.9' ? s.socket.transport.name : s.io.engine.transport.name };
}

function say(page, from) {
  return page.evaluate(({ from, waitMs }) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ack for "to" from ${from}`)), waitMs);
    window.room.s.emit('to', { rooms: ['gen-room'], event: 'hello', args: [from] }, () => {
      clearTimeout(timer);
      resolve();
    });
  }), { from, waitMs: WAIT_MS });
}

function waitHeard(page, from) {
  return page.waitForFunction((f) => window.room.got.includes(f), from, { timeout: WAIT_MS });
}

describe('all generations in one room (headless Chromium)', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  before(async () => {
    if (serverKind() === 'ref') throw new Error('needs the Go server: set SOCKIO_SERVER_BIN');
    server = await startServer(['-ping-interval', '1s', '-ping-timeout', '5s']);
    statics = await startStatic(BUNDLES);
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
    if (server) await server.stop();
  });

  it(`pages of ${GENS.join(', ')} and a third socket: each broadcast reaches the others exactly once`, async () => {
    const pages = {};
    const third = io(server.url, { forceNew: true, reconnection: false, transports: ['websocket'] });
    try {
      for (const gen of GENS) {
        const page = await browser.context.newPage();
        pages[gen] = page;
        await page.goto(`${statics.url}?client=${gen}`, { timeout: 30000 });
        const r = await page.evaluate(joinRoom, { url: server.url, gen, waitMs: WAIT_MS });
        assert.deepEqual(r.joined, true, `${gen} joined`);
      }
      await new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the third socket did not connect')), WAIT_MS);
        if (third.connected) { clearTimeout(timer); resolve(); return; }
        third.once('connect', () => { clearTimeout(timer); resolve(); });
        third.once('connect_error', reject);
      });

      for (const from of GENS) {
        await say(pages[from], from);
        for (const to of GENS.filter((g) => g !== from)) await waitHeard(pages[to], from);
      }
      await new Promise((resolve, reject) => third.timeout(WAIT_MS)
        .emit('to', { rooms: ['gen-room'], event: 'hello', args: ['third'] }, (err) => (err ? reject(err) : resolve())));
      for (const gen of GENS) await waitHeard(pages[gen], 'third');

      // The closing marker, from the 4.x page: every other page must see it, and the 4.x page
      // needs its own proof of silence, so the 2.x page sends a second marker for it.
      await say(pages[GENS[0]], 'end');
      for (const gen of GENS.slice(1)) await waitHeard(pages[gen], 'end');
      await say(pages[GENS[1]], 'end2');
      await waitHeard(pages[GENS[0]], 'end2');

      for (const gen of GENS) {
        const got = await pages[gen].evaluate(() => window.room.got);
        const others = GENS.filter((g) => g !== gen);
        const want = [...others, 'third', ...(gen === GENS[0] ? ['end2'] : gen === GENS[1] ? ['end'] : ['end', 'end2'])];
        assert.deepEqual([...got].sort(), [...want].sort(), `what the ${gen} page heard`);
      }
    } finally {
      third.close();
      for (const page of Object.values(pages)) await page.close().catch(() => {});
    }
  });
});
