'use strict';
/*
 * startServer(): the server under test, as {url, port, stop()}.
 *
 *   SOCKIO_SERVER_BIN=/path/to/conformance   spawn that binary with `-addr 127.0.0.1:0`
 *                                            (the Go example examples/conformance)
 *   SOCKIO_SERVER_URL=http://127.0.0.1:3000  use a server that is already running (stop() is a no-op)
 *   neither                                  spawn the reference app ./ref-server.js (socket.io 4.8.4)
 *                                            under this Node, with the same arguments
 *
 * A spawned server must print a line `listening on http://127.0.0.1:<port>` on stdout once it
 * accepts connections. stop() sends SIGTERM and waits for the process to exit (SIGKILL after 5 s).
 */

const { spawn } = require('node:child_process');
const path = require('node:path');
const readline = require('node:readline');

const START_TIMEOUT_MS = 20000;
const STOP_TIMEOUT_MS = 5000;
const LISTEN_RE = /listening on (http:\/\/127\.0\.0\.1:(\d+))/;

function target() {
  if (process.env.SOCKIO_SERVER_URL) return { kind: 'url', url: process.env.SOCKIO_SERVER_URL };
  if (process.env.SOCKIO_SERVER_BIN) {
    return { kind: 'bin', cmd: process.env.SOCKIO_SERVER_BIN, args: ['-addr', '127.0.0.1:0'] };
  }
  return {
    kind: 'ref',
    cmd: process.execPath,
    args: [path.join(__dirname, 'ref-server.js'), '-addr', '127.0.0.1:0'],
  };
}

/** Which server the suite talks to: 'ref', 'bin' or 'url'. */
function serverKind() {
  return target().kind;
}

/** extraArgs are appended to the spawned server's command line (e.g. timing flags). */
async function startServer(extraArgs = []) {
  const t = target();
  if (t.args) t.args = [...t.args, ...extraArgs];
  if (t.kind === 'url') {
    const u = new URL(t.url);
    return { url: t.url.replace(/\/+$/, ''), port: Number(u.port), kind: t.kind, stop: async () => {} };
  }

  const child = spawn(t.cmd, t.args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    stderrTail = (stderrTail + d).slice(-4000);
    if (process.env.SOCKIO_SERVER_LOG) process.stderr.write(d);
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let exitInfo = null;
  exited.then((info) => { exitInfo = info; });

  const rl = readline.createInterface({ input: child.stdout });
  const found = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`server ${t.cmd} printed no "listening on http://127.0.0.1:<port>" line ` +
        `within ${START_TIMEOUT_MS} ms; stderr:\n${stderrTail}`));
    }, START_TIMEOUT_MS);
    rl.on('line', (line) => {
      if (process.env.SOCKIO_SERVER_LOG) process.stderr.write(`[server stdout] ${line}\n`);
      const m = LISTEN_RE.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], port: Number(m[2]) });
      }
    });
    child.once('error', (err) => { clearTimeout(timer); reject(err); });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server ${t.cmd} exited (code ${code}, signal ${signal}) before listening; ` +
        `stderr:\n${stderrTail}`));
    });
  }).catch((err) => {
    if (!exitInfo) child.kill('SIGKILL');
    throw err;
  });
  // Keep draining stdout so the child never blocks on a full pipe.
  rl.on('line', () => {});

  let stopping = null;
  const stop = () => {
    if (stopping) return stopping;
    stopping = (async () => {
      if (exitInfo) return exitInfo;
      child.kill('SIGTERM');
      const timer = setTimeout(() => { if (!exitInfo) child.kill('SIGKILL'); }, STOP_TIMEOUT_MS);
      const info = await exited;
      clearTimeout(timer);
      return info;
    })();
    return stopping;
  };

  return { url: found.url, port: found.port, kind: t.kind, stop, child };
}

module.exports = { startServer, serverKind };
