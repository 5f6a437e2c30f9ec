'use strict';
/*
 * examples/cluster: two chat processes (examples/chat -redis) on one redis-server, behind nginx
 * with examples/cluster/nginx.conf (sticky sessions by client address). Polling-only 4.x clients
 * from different loopback addresses land on different processes and chat across them.
 *
 * SOCKIO_CHAT_BIN names a built chat binary; without it the test builds one (SOCKIO_ROOT is the
 * module root). nginx and redis-server come from Debian (scripts/test-all.sh installs them).
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');
const { io } = require('sio-client-4');
const { startRedis, freePort, spawnUntil } = require('./lib/cluster');

const ROOT = process.env.SOCKIO_ROOT || path.resolve(__dirname, '..', '..');
const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

let tmp;
let redis;
const stops = [];
let url;
const sockets = [];

function within(p, label, ms = WAIT_MS) {
  let t;
  return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out: ${label}`)), ms); })])
    .finally(() => clearTimeout(t));
}

/** Resolves once host:port accepts a connection (nginx prints nothing when ready). */
async function listening(port) {
  const deadline = Date.now() + 20000;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); resolve(true); });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 20)); // polling a condition with a deadline
  }
}

/** A polling-only 4.x client whose requests leave from local address addr. */
function client(addr) {
  const s = io(url, {
    forceNew: true, reconnection: false, transports: ['polling'], timeout: WAIT_MS,
    agent: new http.Agent({ keepAlive: true, localAddress: addr }),
  });
  sockets.push(s);
  return within(new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s));
    s.once('connect_error', (e) => reject(new Error(`connect_error from ${addr}: ${e.message}`)));
  }), `connect from ${addr}`);
}

const ackOf = (s, ...args) => within(new Promise((resolve) => s.emit(...args, resolve)), `ack of ${args[0]}`);

describe('cluster example: two chat processes behind nginx (sticky sessions)', () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-nginx-'));
    let bin = process.env.SOCKIO_CHAT_BIN;
    if (!bin) {
      bin = path.join(tmp, 'chat');
      execFileSync('go', ['build', '-o', bin, './examples/chat'], { cwd: ROOT, stdio: 'inherit' });
    }
    redis = await startRedis();
    const backends = [];
    for (const name of ['chat-1', 'chat-2']) {
      const { m, stop } = await spawnUntil(bin, ['-addr', '127.0.0.1:0', '-redis', redis.addr, '-name', name],
        /listening on http:\/\/127\.0\.0\.1:(\d+)/, name);
      stops.push(stop);
      backends.push(m[1]);
    }
    const port = await freePort();
    const conf = fs.readFileSync(path.join(ROOT, 'examples', 'cluster', 'nginx.conf'), 'utf8')
      .replace('listen 127.0.0.1:8080;', `listen 127.0.0.1:${port};`)
      .replace('server 127.0.0.1:8081;', `server 127.0.0.1:${backends[0]};`)
      .replace('server 127.0.0.1:8082;', `server 127.0.0.1:${backends[1]};`);
    assert.ok(conf.includes(String(port)) && conf.includes(backends[1]), 'nginx.conf has the expected lines');
    fs.mkdirSync(path.join(tmp, 'logs'));
    fs.writeFileSync(path.join(tmp, 'nginx.conf'), conf);
    const { stop } = await spawnUntil('nginx', ['-p', tmp, '-c', 'nginx.conf', '-e', path.join(tmp, 'logs', 'error.log'),
      '-g', `daemon off; pid ${path.join(tmp, 'nginx.pid')};`], /^$/, 'nginx', { ready: () => listening(port) });
    stops.push(stop);
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    for (const s of sockets) s.disconnect();
    for (const stop of stops.reverse()) await stop();
    if (redis) await redis.stop();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('polling-only clients on the two processes chat across them', async () => {
    // Clients from several loopback addresses: the hash spreads them over both processes.
    const byServer = {};
    for (let i = 1; i <= 8 && Object.keys(byServer).length < 2; i++) {
      const s = await client(`127.0.0.${i}`);
      assert.equal(s.io.engine.transport.name, 'polling');
      const [info] = [await ackOf(s, 'join', `user${i}`)];
      if (!byServer[info.server]) byServer[info.server] = s;
      else s.disconnect();
    }
    const servers = Object.keys(byServer).sort();
    assert.deepEqual(servers, ['chat-1', 'chat-2'], 'clients landed on both processes');
    const [a, b] = servers.map((n) => byServer[n]);
    // The room spans both processes.
    const again = await ackOf(b, 'join', 'bee');
    assert.ok(again.online >= 2, `online across the cluster: ${again.online}`);

    const got = { a: [], b: [] };
    a.on('chat', (m) => got.a.push(m.text));
    b.on('chat', (m) => got.b.push(m.text));
    const arrived = (list, text) => within(new Promise((resolve) => {
      const check = () => (list.includes(text) ? resolve() : null);
      check();
      for (const s of [a, b]) s.on('chat', check);
    }), `"${text}"`);

    assert.equal(await ackOf(a, 'chat', 'hello from chat-1'), true);
    await arrived(got.b, 'hello from chat-1');
    assert.equal(await ackOf(b, 'chat', 'hello from chat-2'), true);
    await arrived(got.a, 'hello from chat-2');
    // Exactly once, and never back to the sender: a later line from the same sender is behind.
    assert.equal(await ackOf(a, 'chat', 'marker'), true);
    await arrived(got.b, 'marker');
    assert.deepEqual(got.b, ['hello from chat-1', 'marker']);
    assert.deepEqual(got.a, ['hello from chat-2']);
    assert.equal(a.io.engine.transport.name, 'polling');
    assert.equal(b.io.engine.transport.name, 'polling');
  });
});
