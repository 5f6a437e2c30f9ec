'use strict';
/*
 * Cross-site use, in headless Chromium with the official browser bundles: a page served from a
 * second origin (lib/browser.js's static server, another port) tries every way a page can reach
 * the Go conformance server — a 4.x websocket, 4.x XHR polling, 2.x JSONP polling (forceJSONP:
 * script tags and form posts), 0.9 over JSONP (JSONP handshake and jsonp-polling) — and loads a
 * 0.9 jsonp-polling script and an htmlfile iframe for a session opened by Node (the 0.9 client
 * never uses htmlfile across origins, but a hostile page may load the URL).
 *
 * Server "safe" runs with -cors off (the library's default: the server's own origin only):
 * every attempt is refused, and every answer Chromium got from the server is a refusal.
 * Server "open" runs with -cors <the page's origin>: the same attempts connect and echo. The
 * requests Chromium made are recorded to show what the server decides on: script and iframe
 * loads carry no Origin, only Sec-Fetch-Site (and a Referer).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const { startServer, serverKind } = require('./lib/server');
const { SKIP, bundle, launch, startStatic } = require('./lib/browser');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const TRANSPORTS = 'polling,websocket,xhr-polling,jsonp-polling,htmlfile';

let safe;
let open;
let statics;
let browser;

/* In a 4.x or 2.x page: connect with opts, then an echo with ack. */
async function tryEngine({ url, opts, waitMs }) {
  /* global io */
  const s = io(url, { forceNew: true, reconnection: false, ...opts });
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no connect nor connect_error')), waitMs);
      s.once('connect', () => { clearTimeout(t); resolve(); });
      s.once('connect_error', (e) => { clearTimeout(t); reject(new Error(`connect_error: ${e && e.message}`)); });
    });
    const echo = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no echo ack')), waitMs);
      s.emit('echo', 'across', (...a) => { clearTimeout(t); resolve(a); });
    });
    return { ok: true, echo, transport: s.io.engine.transport.name, jsonp: s.io.engine.transport.query.j !== undefined };
  } catch (err) {
    return { ok: false, error: err.message };
  } finally {
    s.close();
  }
}

/* In a 0.9 page: connect over JSONP only (as a browser without CORS XHR does), then an echo. */
async function try09({ url, waitMs }) {
  io.util.ua.hasCORS = false; // handshake by a script tag (?jsonp=n), not an XHR
  io.transports = ['jsonp-polling'];
  const s = io.connect(url, {
    transports: ['jsonp-polling'], 'try multiple transports': false, 'force new connection': true, reconnect: false,
  });
  try {
    await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no connect nor error')), waitMs);
      s.on('connect', () => { clearTimeout(t); resolve(); });
      s.on('error', (e) => { clearTimeout(t); reject(new Error(`error: ${e}`)); });
    });
    const echo = await new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no echo ack')), waitMs);
      s.emit('echo', 'across', (...a) => { clearTimeout(t); resolve(a); });
    });
    return { ok: true, echo, transport: s.socket.transport.name };
  } catch (err) {
    return { ok: false, error: err.message };
  } finally {
    s.socket.disconnect();
  }
}

/* Collects the server's "request from another origin refused" debug lines (it runs with -debug). */
function watchRefusals(server) {
  const lines = [];
  let tail = '';
  server.child.stderr.on('data', (d) => {
    const parts = (tail + d).split('\n');
    tail = parts.pop();
    for (const l of parts) if (l.includes('request from another origin refused')) lines.push(l);
  });
  server.refusals = lines;
}

/* The refusals the server logged since mark, as {site, path}. */
function refusedSince(server, mark) {
  return server.refusals.slice(mark).map((l) => ({ site: (/ site=(\S*)/.exec(l) || [])[1], path: (/ path=(\S*)/.exec(l) || [])[1] }));
}

/* A 0.9 handshake from Node, without any browser header: the sid a hostile page would aim at. */
function handshake09(server) {
  return new Promise((resolve, reject) => {
    http.get(`${server.url}/socket.io/1/`, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => (res.statusCode === 200 ? resolve(body.split(':')[0]) : reject(new Error(body))));
    }).on('error', reject);
  });
}

/*
 * Opens a page for client gen from `from` (the static server's origin under one of its names) and
 * records the requests it makes to server, with the headers that Chromium's network stack adds.
 */
async function openPage(from, gen, server) {
  const page = await browser.context.newPage();
  const seen = [];
  page.on('request', (req) => {
    if (!req.url().startsWith(server.url)) return;
    const entry = { url: req.url() };
    seen.push(entry);
    entry.headers = req.allHeaders().then((h) => {
      Object.assign(entry, { origin: h.origin, site: h['sec-fetch-site'], referer: h.referer });
    }, () => {});
  });
  const answers = [];
  page.on('response', (res) => {
    if (res.url().startsWith(server.url)) answers.push({ url: res.url(), status: res.status() });
  });
  await page.goto(`${from}/?client=${encodeURIComponent(gen)}`, { timeout: 30000 });
  const requests = async () => {
    await Promise.all(seen.map((e) => e.headers));
    return seen;
  };
  return { page, requests, answers };
}

/*
 * Loads url in the page as a script or an iframe; resolves with the HTTP status Chromium got, or
 * the network error (a refused script's non-JavaScript answer is blocked by Chromium's ORB).
 */
async function load(page, url, kind) {
  const answered = new Promise((resolve) => {
    const onResponse = (r) => { if (r.url() === url) { done(); resolve(r.status()); } };
    const onFailed = (r) => { if (r.url() === url) { done(); resolve(r.failure().errorText); } };
    const done = () => { page.off('response', onResponse); page.off('requestfailed', onFailed); };
    page.on('response', onResponse);
    page.on('requestfailed', onFailed);
  });
  await page.evaluate(({ url, kind }) => {
    const el = document.createElement(kind);
    el.src = url;
    if (kind === 'iframe') el.style.display = 'none';
    document.body.appendChild(el);
  }, { url, kind });
  let timer;
  return Promise.race([answered, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer to ${url}`)), WAIT_MS);
  })]).finally(() => clearTimeout(timer));
}

const CASES = [
  // Chromium sends no Sec-Fetch-Site with a websocket handshake: its Origin decides.
  { name: '4.x websocket', gen: '4', opts: { transports: ['websocket'] }, transport: 'websocket', noSite: true },
  { name: '4.x polling', gen: '4', opts: { transports: ['polling'] }, transport: 'polling' },
  { name: '2.x JSONP polling', gen: '2', opts: { transports: ['polling'], forceJSONP: true }, transport: 'polling', jsonp: true },
];

describe('pages of another origin (headless Chromium)', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  // The static server under two names: 127.0.0.1 on another port is the same site as the
  // server under test (Sec-Fetch-Site: same-site), evil.test (mapped to 127.0.0.1) another site.
  let sameSite;
  let crossSite;
  let refusals; // [server, page origin, Sec-Fetch-Site] that must be refused

  before(async () => {
    if (serverKind() !== 'bin') throw new Error('the origin tests need SOCKIO_SERVER_BIN (they start servers with -cors)');
    statics = await startStatic({ 4: bundle('sio-client-4'), 2: bundle('sio-client-2'), '0.9': bundle('sio-client-09') });
    const port = new URL(statics.url).port;
    sameSite = `http://127.0.0.1:${port}`;
    crossSite = `http://evil.test:${port}`;
    const common = ['-ping-interval', '1s', '-ping-timeout', '5s', '-polling-duration', '500ms', '-transports', TRANSPORTS];
    safe = await startServer([...common, '-debug', '-cors', 'off']);
    open = await startServer([...common, '-debug', '-cors', crossSite]);
    watchRefusals(safe);
    watchRefusals(open);
    browser = await launch(['--host-resolver-rules=MAP evil.test 127.0.0.1']);
    refusals = [[safe, sameSite, 'same-site'], [safe, crossSite, 'cross-site'], [open, sameSite, 'same-site']];
  });

  after(async () => {
    if (browser) await browser.close();
    if (statics) await statics.close();
    if (safe) await safe.stop();
    if (open) await open.stop();
  });

  for (const c of CASES) {
    it(`${c.name}: refused by default and to origins not allowed, served to an allowed one`, async () => {
      for (const [server, from, site] of refusals) {
        const p = await openPage(from, c.gen, server);
        const mark = server.refusals.length;
        try {
          const out = await p.page.evaluate(tryEngine, { url: server.url, opts: c.opts, waitMs: WAIT_MS });
          assert.equal(out.ok, false, `connected from ${from}: ${JSON.stringify(out)}`);
          for (const a of p.answers) assert.equal(a.status, 403, `answer to ${a.url}`);
          const refused = refusedSince(server, mark);
          assert.ok(refused.length > 0, `the server logged no refusal for ${from}`);
          for (const r of refused) assert.equal(r.site, c.noSite ? '""' : site, 'the Sec-Fetch-Site the server saw');
          for (const r of await p.requests()) {
            if (c.jsonp && r.site) assert.equal(r.origin, undefined, `${r.url}: a script load sends no Origin`);
          }
        } finally {
          await p.page.close();
        }
      }
      const p = await openPage(crossSite, c.gen, open);
      const mark = open.refusals.length;
      try {
        const out = await p.page.evaluate(tryEngine, { url: open.url, opts: c.opts, waitMs: WAIT_MS });
        assert.ok(out.ok, out.error);
        assert.deepEqual(refusedSince(open, mark), []);
        assert.deepEqual(out.echo, ['across']);
        assert.equal(out.transport, c.transport);
        assert.equal(out.jsonp, !!c.jsonp);
      } finally {
        await p.page.close();
      }
    });
  }

  it('0.9 over JSONP (handshake and jsonp-polling): refused by default and to others, served to an allowed origin', async () => {
    for (const [server, from, site] of refusals) {
      const p = await openPage(from, '0.9', server);
      const mark = server.refusals.length;
      try {
        const out = await p.page.evaluate(try09, { url: server.url, waitMs: WAIT_MS });
        assert.equal(out.ok, false);
        assert.match(out.error, /handshake bad origin/);
        const reqs = await p.requests();
        assert.equal(reqs.length, 1, 'only the handshake');
        assert.match(reqs[0].url, /jsonp=/);
        assert.equal(reqs[0].origin, undefined, 'a script load sends no Origin');
        assert.deepEqual(refusedSince(server, mark), [{ site, path: '/socket.io/1/' }]);
      } finally {
        await p.page.close();
      }
    }
    const p = await openPage(crossSite, '0.9', open);
    try {
      const out = await p.page.evaluate(try09, { url: open.url, waitMs: WAIT_MS });
      assert.ok(out.ok, out.error);
      assert.deepEqual(out.echo, ['across']);
      assert.equal(out.transport, 'jsonp-polling');
    } finally {
      await p.page.close();
    }
  });

  it('0.9 jsonp-polling script and htmlfile iframe aimed at a known session: refused, served to an allowed origin', async () => {
    for (const [server, from, site, allowed] of [...refusals, [open, crossSite, 'cross-site', true]]) {
      const p = await openPage(from, '0.9', server);
      const mark = server.refusals.length;
      try {
        const script = `${server.url}/socket.io/1/jsonp-polling/${await handshake09(server)}?t=1&i=0`;
        const frame = `${server.url}/socket.io/1/htmlfile/${await handshake09(server)}?t=1`;
        const scriptAnswer = await load(p.page, script, 'script');
        const frameAnswer = await load(p.page, frame, 'iframe');
        if (allowed) {
          assert.equal(scriptAnswer, 200);
          assert.equal(frameAnswer, 200);
        } else {
          // A refused script's answer (403, text/plain) is blocked before the page sees it.
          assert.ok(scriptAnswer === 403 || scriptAnswer === 'net::ERR_BLOCKED_BY_ORB', `script: ${scriptAnswer}`);
          assert.equal(frameAnswer, 403);
        }
        const refused = refusedSince(server, mark);
        assert.deepEqual(refused.map((r) => r.site), allowed ? [] : [site, site]);
        for (const r of await p.requests()) {
          if (r.site) assert.equal(r.origin, undefined, `${r.url}: no Origin`);
        }
      } finally {
        await p.page.close();
      }
    }
  });
});
