'use strict';
/*
 * A restart under held load: the REAL clients of every generation, on every transport they have
 * in Node (0.9: websocket, xhr-polling; 2.x and 4.x: websocket, polling) and, in headless
 * Chromium, the 0.9 bundle over jsonp-polling and htmlfile (the page shims of testing.md), all
 * connected with reconnection on. The Go conformance server is stopped with SIGTERM (it calls
 * Close) and started again on the same port as soon as it has exited: every client must see the
 * disconnect, come back, answer an echo, and receive a broadcast.
 *
 * Set SOCKIO_RESTART_REPORT=1 to print how long the clients took to come back, and
 * SOCKIO_RESTART_EACH=n for n Node clients per generation and transport (default 1).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const io09 = require('sio-client-09');
const io2 = require('sio-client-2');
const { io: io4 } = require('sio-client-4');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, makePageDir, launch, connect09 } = require('./lib/browser09');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const EACH = Number(process.env.SOCKIO_RESTART_EACH || 1);
const BACK_MS = 30000; // bound for coming back: the clients' own backoff decides, up to seconds
const ARGS = ['-ping-interval', '1s', '-ping-timeout', '5s', '-polling-duration', '500ms',
  '-transports', 'polling,websocket,xhr-polling,jsonp-polling,htmlfile'];

let server;
let pageDir;
let browser;
const clients = [];

function within(p, label, ms = WAIT_MS) {
  let timer;
  return Promise.race([p, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  })]).finally(() => clearTimeout(timer));
}

/*
 * A Node client: {name, connects, disconnects, waitConnects(n), echo(), onBcast, close()}.
 * Counts are kept from the client's own events.
 */
function nodeClient(name, gen, transport, url) {
  let s;
  if (gen === '0.9') {
    io09.transports = [transport];
    s = io09.connect(url, {
      transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: true,
    });
  } else {
    const lib = gen === '2' ? io2 : io4;
    s = lib(url, { forceNew: true, reconnection: true, transports: [transport] });
  }
  const c = { name, gen, want: transport, connects: 0, disconnects: 0, connectedAt: [], waiters: [], bcasts: [] };
  const wake = () => { for (const w of [...c.waiters]) w(); };
  s.on('connect', () => { c.connects++; c.connectedAt.push(Date.now()); wake(); });
  s.on('disconnect', () => { c.disconnects++; wake(); });
  s.on('bcast', (...a) => { c.bcasts.push(a); wake(); });
  const until = (pred, label, ms) => within(new Promise((resolve) => {
    const w = () => { if (pred(c)) { c.waiters.splice(c.waiters.indexOf(w), 1); resolve(); } };
    c.waiters.push(w);
    w();
  }), `${name}: ${label}`, ms);
  c.until = until;
  c.transport = () => (gen === '0.9' ? s.socket.transport && s.socket.transport.name : s.io.engine && s.io.engine.transport.name);
  c.echo = (v) => within(new Promise((resolve) => s.emit('echo', v, (...a) => resolve(a))), `${name}: echo`);
  c.bcast = (v) => s.emit('bcast', v);
  c.close = () => (gen === '0.9' ? s.socket.disconnect() : s.close());
  return c;
}

/* A Chromium page with the 0.9 bundle on transport; the same interface as nodeClient. */
async function pageClient(name, transport) {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/v09.html`, { timeout: 30000 });
  const got = await page.evaluate(connect09, { transport, waitMs: WAIT_MS, reconnect: true });
  assert.equal(got, transport);
  await page.evaluate(() => {
    window.conn.bcasts = [];
    window.sock.on('bcast', (...a) => window.conn.bcasts.push(a));
  });
  const c = { name, gen: '0.9', want: transport, page };
  const state = () => page.evaluate(() => ({ connects: window.conn.connects, disconnects: window.conn.disconnects }));
  c.until = async (pred, label, ms) => {
    // pred reads c.connects/c.disconnects/c.bcasts: refresh them inside the page's wait
    await page.waitForFunction(
      ({ src }) => {
        const c = { connects: window.conn.connects, disconnects: window.conn.disconnects, bcasts: window.conn.bcasts };
        return new Function('c', `return (${src})(c)`)(c);
      },
      { src: pred.src }, { timeout: ms || WAIT_MS, polling: 50 },
    ).catch((err) => { throw new Error(`${name}: ${label}: ${err.message}`); });
    Object.assign(c, await state());
    c.connectedAt = [undefined, Date.now()]; // seen from Node: an upper bound
  };
  c.transport = () => page.evaluate(() => window.sock.socket.transport.name);
  c.echo = (v) => page.evaluate(({ v, waitMs }) => new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('echo timed out')), waitMs);
    window.sock.emit('echo', v, (...a) => { clearTimeout(t); resolve(a); });
  }), { v, waitMs: WAIT_MS });
  c.bcast = (v) => page.evaluate((v) => window.sock.emit('bcast', v), v);
  c.close = () => page.evaluate(() => window.sock.socket.disconnect()).catch(() => {}).then(() => page.close());
  return c;
}

/* A predicate usable on Node clients (as a function) and in pages (as source text). */
function pred(src) {
  // eslint-disable-next-line no-new-func
  const fn = new Function('c', `return (${src})(c)`);
  fn.src = src;
  return fn;
}

describe('restart under held load', () => {
  before(async () => {
    if (serverKind() !== 'bin') throw new Error('the restart test needs SOCKIO_SERVER_BIN (it stops and starts the Go server)');
    pageDir = makePageDir();
    server = await startServer([...ARGS, '-page-dir', pageDir]);
    if (!SKIP) browser = await launch();
  });

  after(async () => {
    for (const c of clients) await Promise.resolve(c.close()).catch(() => {});
    if (browser) await browser.close();
    if (server) await server.stop();
    if (pageDir) fs.rmSync(pageDir, { recursive: true, force: true });
  });

  it('every client of every generation and transport comes back after SIGTERM and a restart on the same port', async () => {
    const url = server.url;
    for (const [gen, transports] of [['0.9', ['websocket', 'xhr-polling']], ['2', ['websocket', 'polling']], ['4', ['websocket', 'polling']]]) {
      for (const t of transports) {
        for (let i = 0; i < EACH; i++) clients.push(nodeClient(`${gen} ${t}${i ? ` #${i}` : ''}`, gen, t, url));
      }
    }
    if (!SKIP) {
      clients.push(await pageClient('0.9 jsonp-polling (Chromium)', 'jsonp-polling'));
      clients.push(await pageClient('0.9 htmlfile (Chromium)', 'htmlfile'));
    }
    const connected = pred('(c) => c.connects >= 1');
    await Promise.all(clients.map((c) => c.until(connected, 'first connect')));

    const stopped = Date.now();
    const exit = await server.stop(); // SIGTERM: Close tells every client, then the process exits
    assert.equal(exit.signal, null, `the server exited by itself (code ${exit.code}), not killed`);
    const disconnected = pred('(c) => c.disconnects >= 1');
    await Promise.all(clients.map((c) => c.until(disconnected, 'disconnect on shutdown')));

    server = await startServer([...ARGS, '-page-dir', pageDir, '-addr', `127.0.0.1:${new URL(url).port}`]);
    assert.equal(server.url, url, 'restarted on the same port');
    const restarted = Date.now();
    const back = pred('(c) => c.connects >= 2');
    await Promise.all(clients.map((c) => c.until(back, 'reconnect after the restart', BACK_MS)));
    const times = clients.map((c) => ({ name: c.name, ms: c.connectedAt[c.connectedAt.length - 1] - restarted }));
    if (process.env.SOCKIO_RESTART_REPORT) {
      const ms = times.map((t) => t.ms).sort((a, b) => a - b);
      console.log(`# ${clients.length} clients; SIGTERM to restarted: ${restarted - stopped} ms; back within ` +
        `${ms[Math.floor(ms.length / 2)]} ms (median), ${ms[ms.length - 1]} ms (all)`);
      for (const t of times) console.log(`#   ${t.name}: ${t.ms} ms`);
    }

    for (const c of clients) {
      assert.deepEqual(await c.echo(c.name), [c.name], `${c.name}: echo after the restart`);
      assert.equal(await c.transport(), c.want, `${c.name}: transport after the restart`);
    }
    const from = clients.find((c) => c.name === '4 websocket');
    from.bcast('after-restart');
    const heard = pred('(c) => c.bcasts.some((a) => a[0] === "after-restart")');
    await Promise.all(clients.filter((c) => c !== from).map((c) => c.until(heard, 'broadcast after the restart')));
  });
});
