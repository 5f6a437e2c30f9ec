'use strict';
/*
 * A cluster for the tests: a redis-server of its own on a free port (stopped by its PID), and
 * server processes on it:
 *   startRedis()              → {addr, stop()}
 *   startSockio(addr, name)   → the Go conformance server (SOCKIO_SERVER_BIN) with -redis addr;
 *                               without SOCKIO_SERVER_BIN, the Node cluster-server.js stands in
 *   startNode(addr, name)     → Node socket.io 4.8 + @socket.io/redis-adapter 8.3.0 (cluster-server.js)
 * Each server resolves as {url, port, name, stop()} once it listens, which both apps do only
 * after their Redis subscriptions are active.
 */

const { spawn } = require('node:child_process');
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

/** Spawns cmd and resolves once a stdout line matches re; stop() kills it by PID and waits. */
function spawnUntil(cmd, args, re, label) {
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
    rl.on('line', (line) => {
      if (process.env.SOCKIO_SERVER_LOG) process.stderr.write(`[${label} stdout] ${line}\n`);
      const m = re.exec(line);
      if (m) { clearTimeout(timer); resolve(m); }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited (${code}, ${signal}) before it was ready: ${tail}`));
    });
  });
  return found.then((m) => ({ m, stop, child }), async (err) => { await stop(); throw err; });
}

/** A redis-server without persistence on a free port. */
async function startRedis() {
  const port = await freePort();
  const { stop, child } = await spawnUntil('redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--logfile', ''],
    /Ready to accept connections/, `redis:${port}`);
  return { addr: `127.0.0.1:${port}`, port, stop, pid: child.pid };
}

const LISTEN_RE = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

async function startNode(redisAddr, name) {
  const { m, stop } = await spawnUntil(process.execPath,
    [path.join(__dirname, 'cluster-server.js'), '-addr', '127.0.0.1:0', '-redis', redisAddr, '-name', name],
    LISTEN_RE, name);
  return { url: m[1], port: Number(m[2]), name, stop };
}

async function startSockio(redisAddr, name) {
  if (serverKind() !== 'bin') return startNode(redisAddr, name);
  const s = await startServer(['-redis', redisAddr, '-name', name]);
  return { ...s, name };
}

module.exports = { startRedis, startSockio, startNode, freePort };
