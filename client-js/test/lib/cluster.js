'use strict';
/*
 * A cluster for the tests: a redis-server of its own on a free port (stopped by its PID), and
 * server processes on it:
 *   startRedis()              → {addr, stop()}
 *   startRedisCluster()       → three masters, {addr: "a,b,c", stop()}
 *   startSockio(addr, name, mode, extra)   (mode: classic | sharded | streams; extra: more flags)
 *                             → the Go conformance server (SOCKIO_SERVER_BIN) with -redis addr;
 *                               without SOCKIO_SERVER_BIN, the Node cluster-server.js stands in
 *   startNode(addr, name, mode, extra)  → Node socket.io 4.8 + @socket.io/redis-adapter 8.3.0, or
 *                               @socket.io/redis-streams-adapter 0.3.1 in mode streams (cluster-server.js)
 * Each server resolves as {url, port, name, stop()} once it listens, which both apps do only
 * after their Redis subscriptions are active.
 */

const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const util = require('node:util');
const execFile = util.promisify(require('node:child_process').execFile);
const net = require('node:net');
const path = require('node:path');
const readline = require('node:readline');
const { startServer, serverKind } = require('./server');

const START_MS = 20000;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns cmd and resolves once a stdout line matches re (or, with opts.ready, once that promise
 * resolves); stop() kills it by PID and waits.
 */
function spawnUntil(cmd, args, re, label, opts = {}) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    tail = (tail + d).slice(-4000);
    if (process.env.SOCKIO_SERVER_LOG) process.stderr.write(`[${label}] ${d}`);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  exited.then(() => { gone = true; });
  const rl = readline.createInterface({ input: child.stdout });
  const stop = async () => {
    if (!gone) child.kill('SIGTERM');
    const timer = setTimeout(() => { if (!gone) child.kill('SIGKILL'); }, 5000);
    await exited;
    clearTimeout(timer);
  };
  const found = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start within ${START_MS} ms: ${tail}`)), START_MS);
    if (opts.ready) opts.ready().then((v) => { clearTimeout(timer); resolve([v]); }, reject);
    rl.on('line', (line) => {
      if (process.env.SOCKIO_SERVER_LOG) process.stderr.write(`[${label} stdout] ${line}\n`);
      const m = re.exec(line);
      if (m && !opts.ready) { clearTimeout(timer); resolve(m); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}, ${signal}) before it was ready: ${tail}`));
    });
  });
  return found.then((m) => ({ m, stop, child }), async (err) => { await stop(); throw err; });
}

/** A redis-server without persistence on a free port (or on port, to restart one). */
async function startRedis(extra = [], port = 0) {
  port = port || await freePort();
  const { stop, child } = await spawnUntil('redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', '', ...extra],
    /Ready to accept connections/, `redis:${port}`);
  return { addr: `127.0.0.1:${port}`, port, stop, pid: child.pid };
}

/**
 * A Redis Cluster of three masters (no replicas), each in its own temporary directory:
 * {addr: "a,b,c", stop()}.
 */
async function startRedisCluster() {
  const nodes = [];
  const dirs = [];
  const stop = async () => {
    for (const n of nodes) await n.stop();
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < 3; i++) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-redis-cluster-'));
      dirs.push(dir);
      nodes.push(await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'),
        '--cluster-node-timeout', '5000', '--dir', dir]));
    }
    const addrs = nodes.map((n) => n.addr);
    await execFile('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes']);
    // The nodes agree on the slots by gossip; no event tells when.
    const deadline = Date.now() + START_MS;
    for (const n of nodes) {
      for (;;) {
        const { stdout } = await execFile('redis-cli', ['-p', String(n.port), 'cluster', 'info']);
        if (stdout.includes('cluster_state:ok')) break;
        if (Date.now() > deadline) throw new Error(`Redis Cluster not ok on ${n.addr}: ${stdout}`);
        await new Promise((r) => setTimeout(r, 50)); // polling a condition with a deadline
      }
    }
    return { addr: addrs.join(','), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

const LISTEN_RE = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

async function startNode(redisAddr, name, mode = 'classic', extra = []) {
  const { m, stop } = await spawnUntil(process.execPath,
    [path.join(__dirname, 'cluster-server.js'), '-addr', '127.0.0.1:0', '-redis', redisAddr, '-name', name,
      '-redis-mode', mode, ...extra],
    LISTEN_RE, name);
  return { url: m[1], port: Number(m[2]), name, stop };
}

/** The conformance app alone (in-memory adapter): the Go one, or cluster-server.js without Redis. */
async function startSolo() {
  if (serverKind() === 'bin') return startServer();
  const { m, stop } = await spawnUntil(process.execPath,
    [path.join(__dirname, 'cluster-server.js'), '-addr', '127.0.0.1:0', '-name', 'solo'], LISTEN_RE, 'solo');
  return { url: m[1], port: Number(m[2]), name: 'solo', stop };
}

async function startSockio(redisAddr, name, mode = 'classic', extra = []) {
  if (serverKind() !== 'bin') return startNode(redisAddr, name, mode, extra);
  const s = await startServer(['-redis', redisAddr, '-name', name, '-redis-mode', mode, ...extra]);
  return { ...s, name };
}

/**
 * Waits until `count` processes subscribe to the sharded channel (PUBSUB SHARDNUMSUB summed over
 * the nodes of addrCsv; kind NUMSUB for a classic channel, NUMPAT with no channel for patterns). Node's sharded adapter subscribes to a room's channel after the join
 * returns, and no event tells when; this polls with a deadline.
 */
async function waitShardSubscribers(addrCsv, channel, count, kind = 'SHARDNUMSUB') {
  const deadline = Date.now() + START_MS;
  for (;;) {
    let total = 0;
    for (const a of addrCsv.split(',')) {
      const [host, port] = [a.slice(0, a.lastIndexOf(':')), a.slice(a.lastIndexOf(':') + 1)];
      const { stdout } = await execFile('redis-cli', ['-h', host, '-p', port, 'PUBSUB', kind, ...(channel ? [channel] : [])]);
      const lines = stdout.trim().split('\n');
      total += Number((channel ? lines[1] : lines[0]) || 0); // NUMSUB: name, count; NUMPAT: count
    }
    if (total >= count) return;
    if (Date.now() > deadline) throw new Error(`${channel}: ${total} sharded subscribers, want ${count}`);
    await new Promise((r) => setTimeout(r, 20)); // polling a condition with a deadline
  }
}

module.exports = { startSolo, spawnUntil, waitShardSubscribers, startRedis, startRedisCluster, startSockio, startNode, freePort };
