'use strict';
/*
 * Connection state recovery with the official 4.8.4 browser bundle in headless Chromium, per
 * transport mode, against the server under test run with -recovery (and -test-hooks): the
 * page's transport is killed server-side (see killTransport in lib/recovery.js), a Node client sends three events to the page's room
 * meanwhile, the page reconnects (socket.connect()): socket.recovered is true, the id is the
 * same, and the three events arrive once each, in order, before "connect".
 *
 * The test drives the page step by step (page.evaluate); every wait, in the page or here, is
 * on an event or an ack with a safety timeout.
 *
 * SOCKIO_SKIP_BROWSER=1 skips this file; otherwise a missing Chromium is a failure.
 */

const { describe, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, WAIT_MS } = require('./lib/client');
const { setup } = require('./lib/harness');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');
const { RECOVERABLE, SERVER_ARGS, killTransport, serverReason, emitToRoom } = require('./lib/recovery');

const ctx = setup(SERVER_ARGS);
const { it } = ctx;
const WS = MODES.find((m) => m.name === 'websocket-only');

let statics;
let browser;

/* In the page: connects window.rec, logging every event and disconnect, and joins room. */
async function pageConnect({ url, transports, upgrade, room, waitMs }) {
  const within = (p, label) => {
    let timer;
    return Promise.race([p, new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${waitMs} ms waiting for ${label}`)), waitMs);
    })]).finally(() => clearTimeout(timer));
  };
  /* global io */
  const s = io(url, { forceNew: true, reconnection: false, transports });
  const st = { s, within, log: [], reasons: [], waiters: [] };
  window.rec = st;
  s.on('connect', () => st.log.push({ event: '<connect>', args: [] }));
  s.onAny((event, ...args) => {
    st.log.push({ event, args });
    st.waiters.splice(0).forEach((w) => w());
  });
  s.on('disconnect', (reason) => {
    st.reasons.push(reason);
    st.waiters.splice(0).forEach((w) => w());
  });
  st.until = (pred, label) => within(new Promise((resolve) => {
    const check = () => (pred() ? resolve() : st.waiters.push(check));
    check();
  }), label);
  await within(new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', (e) => reject(new Error(`connect_error ${e && e.message}`)));
  }), 'connect');
  if (upgrade && s.io.engine.transport.name !== 'websocket') {
    await within(new Promise((resolve) => s.io.engine.once('upgrade', resolve)), 'upgrade');
  }
  await st.until(() => st.log.some((e) => e.event === 'auth'), '"auth" event (an offset)');
  const joined = await within(new Promise((resolve) => s.emit('join', room, resolve)), 'join ack');
  return { id: s.id, recovered: s.recovered, joined, transport: s.io.engine.transport.name };
}

async function pageDisconnected() {
  const st = window.rec;
  await st.until(() => st.reasons.length > 0, 'disconnect');
  return st.reasons;
}

async function pageReconnect() {
  const st = window.rec;
  const s = st.s;
  await st.within(new Promise((resolve, reject) => {
    s.once('connect', resolve);
    s.once('connect_error', (e) => reject(new Error(`connect_error ${e && e.message}`)));
    s.connect();
  }), 'reconnect');
  const recovered = await st.within(new Promise((resolve) => s.emit('recovered', resolve)), 'recovered ack');
  // The client emits events that came before CONNECT just before "connect", later ones after.
  const connects = st.log.flatMap((e, i) => (e.event === '<connect>' ? [i] : []));
  const missed = st.log.flatMap((e, i) => (e.event === 'missed' ? [{ ...e, beforeConnect: i < connects[1] }] : []));
  return { id: s.id, recovered: s.recovered, serverRecovered: recovered, missed };
}

async function pageAfter() {
  const st = window.rec;
  await st.until(() => st.log.some((e) => e.event === 'after'), '"after" event');
  return st.log.filter((e) => e.event === 'missed').map((e) => e.args[0]);
}

describe('connection state recovery in headless Chromium (official 4.8.4 bundle)', () => {
  before(async () => {
    if (SKIP) return;
    statics = await startStatic(bundle('sio-client-4'));
    browser = await launch();
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
  });

  for (const mode of MODES) {
    it(`transport killed server-side: recovered, same id, three missed events once, in order [${mode.name}]`, async (c) => {
      const page = await browser.context.newPage();
      const room = `rec-browser-${mode.name}`;
      let id;
      try {
        await page.goto(statics.url, { timeout: 30000 });
        const first = await page.evaluate(pageConnect, {
          url: c.url, transports: mode.opts.transports, upgrade: mode.upgrade, room, waitMs: WAIT_MS,
        });
        id = first.id;
        assert.equal(first.recovered, false);
        assert.equal(first.joined, true);
        assert.equal(first.transport, mode.expect);

        await killTransport(ctx.server, first.transport, () => page.evaluate(() => window.rec.s.emit('close-transport')));
        const reasons = await page.evaluate(pageDisconnected);
        assert.ok(['transport close', 'transport error'].includes(reasons[0]), reasons[0]);

        const b = await c.connect('/', WS);
        assert.ok(RECOVERABLE.has(await serverReason(b, id)), 'server-side reason is recoverable');
        await emitToRoom(b, room, 'missed', [1, 2, 3]);

        const back = await page.evaluate(pageReconnect);
        assert.equal(back.recovered, true, 'socket.recovered');
        assert.equal(back.serverRecovered, true, 'server-side socket.recovered');
        assert.equal(back.id, id, 'same socket id');
        assert.deepEqual(back.missed.map((e) => e.args[0]), [1, 2, 3]);
        for (const e of back.missed) {
          assert.equal(typeof e.args[1], 'string', 'offset as the last argument');
          assert.equal(e.beforeConnect, true, 'received before the CONNECT answer');
        }

        await emitToRoom(b, room, 'after', ['marker']);
        assert.deepEqual(await page.evaluate(pageAfter), [1, 2, 3], 'still in its room, nothing twice');
      } catch (err) {
        if (id) c.extraSuspects.push(id); // lets the harness check for a server-side ping timeout
        throw err;
      } finally {
        await page.close().catch(() => {});
      }
    }, { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false });
  }
});
