'use strict';
/*
 * Reconnect storm with the REAL clients: 5,000 sockets of socket.io-client 4.8.4, 2.5.0 and
 * 0.9.16 in this one Node process, over websocket, polling and polling+upgrade, each joining a
 * room ("join", acked) on every connect. The server (the Go conformance example started with
 * -test-hooks) then closes every TCP connection at once (POST /test/drop-connections): no close
 * packet, as when a proxy or the network fails. Every client must notice, reconnect after its
 * own (randomized, for 2.x and 4.x) reconnection delay, rejoin its room, and then receive the
 * broadcast to its room exactly once.
 *
 * SOCKIO_STORM_CLIENTS changes the count (default 5000). The count is lowered, with a
 * diagnostic, when the open-file limit (ulimit -n) cannot hold it.
 */

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { execSync } = require('node:child_process');
const http = require('node:http');
const { io: io4 } = require('sio-client-4');
const io2 = require('sio-client-2');
const io09 = require('sio-client-09');
const { startServer, serverKind } = require('./lib/server');

const TOTAL = Number(process.env.SOCKIO_STORM_CLIENTS || 5000);
const ROOMS = 50;
const BATCH = 250; // clients connecting at once while the crowd is set up
const PHASE_MS = 60000; // bound of each phase (setup, storm, broadcast)

// Shares of the crowd; fds = TCP connections a client may hold at once (a poll and a post).
const KINDS = [
  { name: '4.x websocket', share: 0.28, fds: 1, make: (url) => v4(url, ['websocket']) },
  { name: '4.x polling', share: 0.12, fds: 2, make: (url) => v4(url, ['polling']) },
  { name: '4.x polling+upgrade', share: 0.06, fds: 2, make: (url) => v4(url, ['polling', 'websocket']) },
  { name: '2.x websocket', share: 0.22, fds: 1, make: (url) => v2(url, ['websocket']) },
  { name: '2.x polling', share: 0.12, fds: 2, make: (url) => v2(url, ['polling']) },
  { name: '0.9 websocket', share: 0.12, fds: 1, make: (url) => v09(url, 'websocket') },
  { name: '0.9 xhr-polling', share: 0.08, fds: 2, make: (url) => v09(url, 'xhr-polling') },
];

// Polls reuse their TCP connections, as a browser's do: without an agent, the Node builds of
// the 2.x and 4.x clients open a connection per request, and this process's connect() calls
// (ephemeral ports full of TIME_WAIT) would be what the storm measures.
const keepAlive = new http.Agent({ keepAlive: true });

// Reconnection as the 2.x and 4.x clients do it by default, spelled out: a first delay drawn
// from 500–1500 ms, so the crowd does not come back in one instant.
const RECONNECT = { agent: keepAlive, reconnection: true, reconnectionDelay: 1000, randomizationFactor: 0.5, reconnectionDelayMax: 5000, timeout: 20000 };

function v4(url, transports) {
  const s = io4(url, { forceNew: true, transports, ...RECONNECT });
  return {
    onConnect: (fn) => s.on('connect', fn),
    onDisconnect: (fn) => s.on('disconnect', fn),
    on: (ev, fn) => s.on(ev, fn),
    join: (room, cb) => s.emit('join', room, cb),
    echo: (cb) => s.emit('echo', 'still there?', cb),
    close: () => s.close(),
    emitAck: (ev, arg, cb) => s.emit(ev, arg, cb),
  };
}

function v2(url, transports) {
  const s = io2(url, { forceNew: true, transports, ...RECONNECT });
  return {
    onConnect: (fn) => s.on('connect', fn),
    onDisconnect: (fn) => s.on('disconnect', fn),
    on: (ev, fn) => s.on(ev, fn),
    join: (room, cb) => s.emit('join', room, cb),
    echo: (cb) => s.emit('echo', 'still there?', cb),
    close: () => s.close(),
  };
}

// The 0.9 client has no randomization: it retries after 500 ms, then doubles.
function v09(url, transport) {
  const s = io09.connect(url, {
    transports: [transport], 'try multiple transports': false, 'force new connection': true,
    reconnect: true, 'max reconnection attempts': Infinity,
  });
  return {
    onConnect: (fn) => s.on('connect', fn),
    onDisconnect: (fn) => s.on('disconnect', fn),
    on: (ev, fn) => s.on(ev, fn),
    join: (room, cb) => s.emit('join', room, cb),
    echo: (cb) => s.emit('echo', 'still there?', cb),
    close: () => { s.socket.options.reconnect = false; s.socket.disconnect(); },
  };
}

/** The soft open-file limit this process (and the server it starts) runs with. */
function openFileLimit() {
  try {
    const v = execSync('ulimit -n', { shell: '/bin/sh', encoding: 'utf8' }).trim();
    return v === 'unlimited' ? Infinity : Number(v);
  } catch {
    return 1024;
  }
}

/** CPU seconds (user + system) the process pid has used, from /proc; NaN where unknown. */
function cpuSeconds(pid) {
  try {
    const f = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** Resolves when check() returns true; check runs on every call of the returned poke(). */
function condition(check, label, ms, describe) {
  let poke;
  const p = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}: ${describe()}`)), ms);
    poke = () => {
      if (check()) {
        clearTimeout(timer);
        resolve();
      }
    };
  });
  return { p, poke: () => poke() };
}

let server;
const crowd = [];

before(async () => {
  if (serverKind() !== 'bin') {
    throw new Error('the storm test needs the Go conformance server: set SOCKIO_SERVER_BIN');
  }
  // Heartbeats slow enough that 5,000 clients on a busy 2-core machine never miss one.
  // A connect timeout of 10 s (the conformance default of 1 s is for the protocol suites): a
  // client that reconnects while this process handles thousands of others may send its
  // CONNECT late.
  server = await startServer(['-ping-interval', '10s', '-ping-timeout', '20s', '-connect-timeout', '10s', '-test-hooks']);
});

after(async () => {
  for (const c of crowd) if (c.api) c.api.close();
  if (server) await server.stop();
});

/** p50/p90/max of a list of milliseconds. */
function spread(ms) {
  if (ms.length === 0) return 'none';
  const v = [...ms].sort((a, b) => a - b);
  const at = (q) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return `p50 ${at(0.5)} p90 ${at(0.9)} max ${v[v.length - 1]} ms`;
}

test('5,000 mixed clients dropped at once all reconnect, rejoin their rooms and get their room broadcasts', { timeout: 4 * PHASE_MS }, async (t) => {
  const limit = openFileLimit();
  const perClient = KINDS.reduce((a, k) => a + k.share * k.fds, 0);
  const fit = Math.floor((limit - 200) / perClient);
  let total = TOTAL;
  if (fit < total) {
    total = fit;
    t.diagnostic(`open-file limit ${limit}: ${total} clients instead of ${TOTAL}`);
  }
  for (const kind of KINDS) {
    const n = Math.round(total * kind.share);
    for (let i = 0; i < n; i++) {
      crowd.push({ kind, room: `storm-${crowd.length % ROOMS}`, api: null, connects: 0, joins: 0, dropped: false, back: 0, kept: false, got: [] });
    }
  }
  const stats = (pred) => {
    const by = {};
    for (const c of crowd) if (pred(c)) by[c.kind.name] = (by[c.kind.name] || 0) + 1;
    return JSON.stringify(by);
  };

  // Each client joins its room on every connect. After the drop, a client is done when it has
  // rejoined (back: ms after the drop), or when it never lost its session: a polling client
  // whose connection carried no request at the drop keeps it, which an echo sent after the
  // drop proves (kept).
  let phase = 'setup';
  let dropAt = 0;
  let joined = 0;
  let done = 0;
  let poke = () => {};
  const reasons = {};
  const started = Date.now();
  for (let b = 0; b < crowd.length; b += BATCH) {
    const batch = crowd.slice(b, b + BATCH);
    const target = joined + batch.length;
    const setup = condition(() => joined >= target, `batch ${b / BATCH} to connect and join`, PHASE_MS,
      () => `${target - joined} not joined: ${stats((c) => batch.includes(c) && c.joins === 0)}`);
    poke = setup.poke;
    for (const c of batch) {
      c.api = c.kind.make(server.url);
      c.api.onConnect(() => {
        c.connects++;
        c.api.join(c.room, (ok) => {
          if (ok !== true) return;
          if (++c.joins === 1) joined++;
          if (phase === 'storm' && c.dropped && !c.back) {
            c.back = Math.max(1, Date.now() - dropAt);
            done++;
          }
          poke();
        });
      });
      c.api.onDisconnect((reason) => {
        if (phase === 'setup') return;
        const key = `${c.kind.name}: ${reason}`;
        reasons[key] = (reasons[key] || 0) + 1;
        if (c.back || c.kept) done--;
        c.dropped = true;
        c.back = 0;
        c.kept = false;
      });
      c.api.on('storm', (room) => { c.got.push(room); poke(); });
    }
    await setup.p;
  }
  t.diagnostic(`${crowd.length} clients connected and joined in ${Date.now() - started} ms (ulimit -n ${limit})`);

  // The storm: every TCP connection closed at once by the server.
  phase = 'storm';
  const storm = condition(() => done === crowd.length, 'every client to reconnect and rejoin', PHASE_MS,
    () => `${crowd.length - done} not done: dropped but not back ${stats((c) => c.dropped && !c.back)}, ` +
      `neither dropped nor answering ${stats((c) => !c.dropped && !c.kept)}`);
  poke = storm.poke;
  const serverCPU = cpuSeconds(server.child.pid);
  const ownCPU = process.cpuUsage();
  dropAt = Date.now();
  const res = await fetch(`${server.url}/test/drop-connections`, { method: 'POST' });
  assert.equal(res.status, 200);
  const closed = Number(await res.text());
  for (const c of crowd) {
    if (c.dropped) continue;
    c.api.echo(() => {
      if (c.dropped || c.kept) return; // a dropped client's echo waits for its reconnect
      c.kept = true;
      done++;
      poke();
    });
  }
  await storm.p;
  const stormMs = Date.now() - dropAt;
  const own = process.cpuUsage(ownCPU);
  t.diagnostic(`CPU used during the storm: server ${(cpuSeconds(server.child.pid) - serverCPU).toFixed(1)} s, ` +
    `this client process ${((own.user + own.system) / 1e6).toFixed(1)} s`);
  const kept = crowd.filter((c) => c.kept);
  t.diagnostic(`server closed ${closed} TCP connections; ${crowd.length - kept.length} clients reconnected and ` +
    `rejoined their rooms, ${kept.length} kept their polling session ${stats((c) => c.kept)}; all done ${stormMs} ms ` +
    `after the drop`);
  for (const kind of KINDS) {
    t.diagnostic(`  ${kind.name}: back after ${spread(crowd.filter((c) => c.kind === kind && c.back).map((c) => c.back))}`);
  }
  t.diagnostic(`client-side reasons: ${JSON.stringify(reasons)}`);
  for (const key of Object.keys(reasons)) {
    assert.doesNotMatch(key, /io server disconnect|booted/, 'a dropped connection must look like a network failure');
  }
  for (const c of kept) assert.match(c.kind.name, /polling/, 'only a polling session can outlive its connection');

  // Every room's broadcast reaches each member exactly once, and only its members.
  phase = 'broadcast';
  const members = [...crowd];
  const sender = v4(server.url, ['websocket']);
  crowd.push({ kind: { name: 'sender' }, api: sender });
  await new Promise((resolve) => sender.onConnect(resolve));
  const bcast = condition(() => members.every((c) => c.got.length >= 1), 'every client to receive its room broadcast',
    PHASE_MS, () => `${members.filter((c) => c.got.length === 0).length} without it: ${stats((c) => c.room && c.got.length === 0)}`);
  poke = bcast.poke;
  const bcastAt = Date.now();
  for (let r = 0; r < ROOMS; r++) {
    const room = `storm-${r}`;
    await new Promise((resolve, reject) => sender.emitAck('to', { rooms: [room], event: 'storm', args: [room] },
      (ok) => (ok === true ? resolve() : reject(new Error(`"to" ${room}: ${JSON.stringify(ok)}`)))));
  }
  await bcast.p;
  t.diagnostic(`${ROOMS} room broadcasts reached all ${members.length} clients in ${Date.now() - bcastAt} ms`);
  for (const c of members) {
    assert.deepEqual(c.got, [c.room], `${c.kind.name} client in ${c.room}`);
  }
});
