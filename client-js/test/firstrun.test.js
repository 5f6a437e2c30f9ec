'use strict';
/*
 * The first run of a new user: the README's main command on a fresh clone. The repository at
 * SOCKIO_ROOT (or the folder above client-js) is cloned into a temporary folder, so the clone has
 * only committed files and no node_modules; the first command line of the README's first code
 * block is run there with `-addr 127.0.0.1:<free port>`. It must install the browser clients
 * itself, serve every script its page loads (200, JavaScript, no redirect), let the official
 * socket.io-client 4.8.4 in Node and a headless Chromium page chat through it, and leave nothing
 * listening once its PID gets SIGTERM (the process left running must be the server itself).
 *
 * Commit before running it: the clone is of HEAD. It runs npm ci and go build, so it needs the npm
 * registry and takes up to a minute. SOCKIO_SKIP_BROWSER=1 leaves the Chromium page out.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const { io } = require('sio-client-4');
const { SKIP, launch } = require('./lib/browser');

const ROOT = process.env.SOCKIO_ROOT || path.resolve(__dirname, '..', '..');
const SETUP_MS = 240000; // npm ci and go build on a loaded machine, within the test command's 300 s per file
const WAIT_MS = 20000;

let tmp;
let clone;
let child;
let exited;
let port;
let url;
let stderrTail = '';

/** The first command of the README's first code block, comment stripped, as argv. */
function mainCommand(readme) {
  const block = /```(?:sh|bash|console)?\n([\s\S]*?)```/.exec(readme);
  assert.ok(block, 'README.md has no code block');
  const line = block[1].split('\n').map((l) => l.replace(/#.*$/, '').trim()).find((l) => l !== '');
  assert.ok(line, 'the README\'s first code block has no command');
  return line.split(/\s+/);
}

function goCache() {
  return execFileSync('go', ['env', 'GOCACHE'], { encoding: 'utf8' }).trim();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port: p } = srv.address();
      srv.close(() => resolve(p));
    });
  });
}

/** Resolves with the error code of a TCP connect to the port, or 'connected'. */
function probe(p) {
  return new Promise((resolve) => {
    const sock = net.connect(p, '127.0.0.1');
    sock.once('connect', () => { sock.destroy(); resolve('connected'); });
    sock.once('error', (err) => resolve(err.code));
  });
}

function within(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

describe('the README\'s main command on a fresh clone', { timeout: 290000 }, () => {
  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-firstrun-'));
    clone = path.join(tmp, 'sockio');
    execFileSync('git', ['clone', '--quiet', '--no-hardlinks', ROOT, clone], { stdio: 'inherit' });
  });

  after(() => {
    // Whatever the command left behind in its process group (an orphaned server, if the
    // command's PID was not the server's) goes too.
    if (child) {
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* the group is gone */ }
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('installs the clients, builds and serves the chat', { timeout: SETUP_MS }, async () => {
    assert.equal(fs.existsSync(path.join(clone, 'client-js', 'node_modules')), false, 'a clone has no node_modules');
    const [cmd, ...args] = mainCommand(fs.readFileSync(path.join(clone, 'README.md'), 'utf8'));
    port = await freePort();
    // Its own process group, so that a failed run can be cleaned up whole; the test itself
    // signals only the PID, as a process manager would.
    child = spawn(cmd, [...args, '-addr', `127.0.0.1:${port}`], {
      cwd: clone,
      // The built binary goes to the test's folder; Go's build cache stays the usual one (it
      // lives under XDG_CACHE_HOME too unless GOCACHE says where).
      env: { ...process.env, XDG_CACHE_HOME: path.join(tmp, 'cache'), GOCACHE: goCache() },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d) => { stderrTail = (stderrTail + d).slice(-4000); });
    const rl = readline.createInterface({ input: child.stdout });
    url = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`\`${cmd} ${args.join(' ')}\` printed no "listening on" line ` +
        `within ${SETUP_MS} ms; stderr:\n${stderrTail}`)), SETUP_MS - 5000);
      rl.on('line', (line) => {
        const m = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      exited.then(({ code, signal }) => {
        clearTimeout(timer);
        reject(new Error(`\`${cmd} ${args.join(' ')}\` exited (code ${code}, signal ${signal}); stderr:\n${stderrTail}`));
      });
    });
    rl.on('line', () => {});
    assert.equal(url, `http://127.0.0.1:${port}`);
    assert.ok(fs.existsSync(path.join(clone, 'client-js', 'node_modules', 'sio-client-4')), 'the clients were installed');
  });

  it('serves every script of the page itself: 200, JavaScript, no redirect', async () => {
    assert.ok(url, 'the server did not start');
    const srcs = new Set();
    for (const query of ['', '?client=4', '?client=2', '?client=0.9']) {
      const res = await fetch(`${url}/${query}`, { redirect: 'manual' });
      assert.equal(res.status, 200, `/${query}`);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      const html = await res.text();
      const found = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => m[1]);
      assert.ok(found.length >= 2, `/${query} loads ${found.length} scripts`);
      found.forEach((s) => srcs.add(s));
    }
    assert.ok(srcs.has('/client/4.js') && srcs.has('/client/2.js') && srcs.has('/client/0.9.js'), [...srcs].join(' '));
    for (const src of srcs) {
      const u = new URL(src, url);
      assert.equal(u.origin, url, `${src} is not on the server`);
      const res = await fetch(u, { redirect: 'manual' });
      assert.equal(res.status, 200, `${src}: ${res.status} ${res.headers.get('location') || ''}`);
      assert.match(res.headers.get('content-type'), /javascript/, src);
      assert.ok((await res.text()).length > 0, `${src} is empty`);
    }
    const icon = await fetch(`${url}/favicon.ico`, { redirect: 'manual' });
    assert.equal(icon.status, 200, '/favicon.ico');
  });

  it('socket.io-client 4.8.4 in Node and a Chromium page chat through it', async () => {
    assert.ok(url, 'the server did not start');
    const socket = io(url, { forceNew: true, reconnection: false });
    let browser;
    try {
      await within(new Promise((resolve, reject) => {
        socket.once('connect', resolve);
        socket.once('connect_error', reject);
      }), WAIT_MS, 'node connect');
      const joined = await within(new Promise((resolve) => socket.emit('join', 'node', resolve)), WAIT_MS, 'join');
      assert.equal(joined.online, 1);
      if (SKIP) return;

      browser = await launch();
      const page = await browser.context.newPage();
      await page.goto(`${url}/?name=browser`, { timeout: WAIT_MS });
      await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT_MS });
      assert.equal(await page.$eval('#online', (el) => el.dataset.count), '2');

      const got = new Promise((resolve) => socket.once('chat', resolve));
      await page.fill('#input', 'hello from chromium');
      await page.press('#input', 'Enter');
      assert.deepEqual(await within(got, WAIT_MS, 'chat to node'), { from: 'browser', text: 'hello from chromium' });

      const acked = await within(new Promise((resolve) => socket.emit('chat', 'hello from node', resolve)), WAIT_MS, 'chat ack');
      assert.equal(acked, true);
      await page.waitForFunction(() => [...document.querySelectorAll('#messages li.theirs')]
        .some((li) => li.textContent === 'nodehello from node'), null, { timeout: WAIT_MS });
    } finally {
      socket.close();
      if (browser) await browser.close();
    }
  });

  it('SIGTERM to the command\'s PID stops the server: nothing listens on the port', async () => {
    assert.ok(url, 'the server did not start');
    assert.equal(await probe(port), 'connected');
    child.kill('SIGTERM');
    const { code, signal } = await within(exited, WAIT_MS, 'exit after SIGTERM');
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderrTail);
    assert.equal(await probe(port), 'ECONNREFUSED');
  });
});
