'use strict';
/*
 * Connection state recovery across processes on Redis Streams: sockio processes (examples/
 * conformance -redis-mode streams -recovery -test-hooks) and a Node socket.io 4.8.4 process with
 * @socket.io/redis-streams-adapter 0.3.1 (lib/cluster-server.js -recovery) on one Redis.
 *
 * The official socket.io-client 4.8.4 reaches the cluster through a TCP proxy that stands for a
 * load balancer. Its transport is killed server-side; while it is away, another process sends
 * three events to its room; the proxy then points at another process (or at the same one,
 * restarted) and the client reconnects: socket.recovered is true, the id is the same, and the
 * three events arrive once each, in order, before "connect", each with its offset.
 *
 * Both servers persist a session asynchronously after the disconnect, and nothing tells when:
 * the test polls Redis for it (a deadline bounds the poll).
 */

const { describe, before, after, test } = require('node:test');
const assert = require('node:assert/strict');
const { createClient } = require('redis');
const { decode } = require('@msgpack/msgpack');
const { MODES, WAIT_MS, ack, once, EventLog, Clients, relaxClientPingTimeout } = require('./lib/client');
const { startRedis, startSockio, startNode } = require('./lib/cluster');
const { startProxy, hostPort } = require('./lib/proxy');
const { RECOVERABLE, serverReason, emitToRoom } = require('./lib/recovery');
const { serverKind } = require('./lib/server');

const WS = MODES.find((m) => m.name === 'websocket-only');
const GO_ARGS = ['-recovery', '-test-hooks'];

let redis;
let rdb;
const procs = {};
const clients = [];
let proxy;

before(async () => {
  redis = await startRedis();
  rdb = createClient({ url: `redis://${redis.addr}` });
  rdb.on('error', () => {});
  await rdb.connect();
  procs.go1 = await startSockio(redis.addr, 'go1', 'streams', GO_ARGS);
  procs.go2 = await startSockio(redis.addr, 'go2', 'streams', GO_ARGS);
  procs.node = await startNode(redis.addr, 'node', 'streams', ['-recovery']);
});

after(async () => {
  for (const c of clients) c.closeAll();
  if (proxy) await proxy.stop();
  for (const p of Object.values(procs)) await p.stop();
  if (rdb) await rdb.quit();
  if (redis) await redis.stop();
});

function on(url) {
  const c = new Clients(url);
  clients.push(c);
  return c;
}

/** Waits until Redis holds the session of socket id (both servers write it asynchronously). */
async function sessionKept(id) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    for await (const key of rdb.scanIterator({ MATCH: 'sio:session:*' })) {
      const raw = await rdb.get(key);
      if (raw && decode(Buffer.from(raw, 'base64')).sid === id) return;
    }
    if (Date.now() > deadline) throw new Error(`no session for ${id} in Redis`);
    await new Promise((r) => setTimeout(r, 20)); // polling a condition with a deadline
  }
}

/** Kills the transport of client a (socket id) on process `proc` from the server side; resolves once its session is kept. */
async function kill(a, id, proc) {
  const lost = once(a, 'disconnect', 'disconnect of the killed transport');
  if (serverKind() !== 'bin' || proc === 'node') {
    a.emit('close-transport'); // Node: socket.conn.close()
  } else {
    const res = await fetch(`${procs[proc].url}/test/drop-connections`, { method: 'POST' });
    assert.equal(res.status, 200);
  }
  const [clientReason] = await lost;
  assert.ok(['transport close', 'transport error'].includes(clientReason), clientReason);
  const watcher = await on(procs[proc].url).connect('/', WS);
  const reason = await serverReason(watcher, id);
  assert.ok(RECOVERABLE.has(reason), `server-side reason ${reason} is recoverable`);
  await sessionKept(id);
}

/**
 * A client connected through the proxy to process `from`, in a fresh room, loses its transport;
 * process `sender` sends it three events; it comes back through the proxy on process `to`
 * (restart() first, if given, and to its result).
 */
async function recoverAcross({ from, sender, to, restart }) {
  proxy = proxy || await startProxy(hostPort(procs[from].url));
  proxy.retarget(hostPort(procs[from].url));
  const room = `rec-${from}-${to}-${Date.now()}`;
  const a = await on(proxy.url).connect('/', WS);
  await a.waitAuth(); // an event, hence an offset, has arrived
  assert.equal(a.recovered, false);
  const id = a.id;
  assert.deepEqual(await ack(a, 'join', room), [true]);

  await kill(a, id, from);
  const s = await on(procs[sender].url).connect('/', WS);
  await emitToRoom(s, room, 'missed', [1, 2, 3]);
  if (restart) await restart();

  const log = new EventLog(a, 'recovering client');
  proxy.retarget(hostPort(procs[to].url));
  const connected = once(a, 'connect', 'reconnect');
  a.connect();
  relaxClientPingTimeout(a.io.engine);
  await connected;
  assert.equal(a.recovered, true, 'socket.recovered');
  assert.equal(a.id, id, 'same socket id');
  const missed = log.events('missed');
  assert.deepEqual(missed.map((e) => e.args[0]), [1, 2, 3], 'the missed events, in order, before "connect"');
  for (const e of missed) {
    assert.equal(e.args.length, 2, 'the event and its offset');
    assert.match(e.args[1], /^\d+-\d+$/, 'a stream id as offset');
  }
  assert.deepEqual(await ack(a, 'recovered'), [true], `server-side socket.recovered on ${to}`);

  // Back in its room, on its new process; nothing came twice.
  await emitToRoom(s, room, 'after', ['marker']);
  await log.waitForEvent('after');
  assert.deepEqual(log.events('missed').map((e) => e.args[0]), [1, 2, 3]);
  a.disconnect();
}

describe('connection state recovery across processes on Redis Streams', () => {
  test('sockio A → sockio B, events from Node', async () => {
    await recoverAcross({ from: 'go1', sender: 'node', to: 'go2' });
  });

  test('sockio A → sockio A restarted, events from sockio B', async () => {
    assert.equal(serverKind(), 'bin', 'this test needs the Go server: set SOCKIO_SERVER_BIN');
    await recoverAcross({
      from: 'go1', sender: 'go2', to: 'go1',
      restart: async () => {
        await procs.go1.stop();
        procs.go1 = await startSockio(redis.addr, 'go1', 'streams', GO_ARGS);
      },
    });
  });

  test('a session Node persisted is recovered by sockio', async () => {
    await recoverAcross({ from: 'node', sender: 'go1', to: 'go2' });
  });

  test('a session sockio persisted is recovered by Node', async () => {
    await recoverAcross({ from: 'go1', sender: 'go2', to: 'node' });
  });
});
