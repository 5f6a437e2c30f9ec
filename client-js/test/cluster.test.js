'use strict';
/*
 * Past one process: sockio processes and a Node socket.io 4.8 process with
 * @socket.io/redis-adapter 8.3.0 (classic and sharded) or @socket.io/redis-streams-adapter 0.3.1
 * (streams) on one Redis (a redis-server this file starts and stops).
 * Processes: go1, go2 (examples/conformance -redis), node (lib/cluster-server.js). The
 * cluster events are described in examples/conformance/cluster.go.
 *
 * "Did not arrive" and "exactly once" are shown with markers, without sleeping: the origin
 * process publishes the broadcast and then the marker in order, Redis keeps the order on each
 * subscriber's connection, and each process delivers to a client in order; so once a client has
 * the marker, every copy of the broadcast it would ever get is in its log.
 */

const { describe, before, after, test } = require('node:test');
const assert = require('node:assert/strict');
const io09 = require('sio-client-09');
const io2 = require('sio-client-2');
const { MODES, ack, EventLog, Clients } = require('./lib/client');
const { startRedis, startRedisCluster, startSockio, startNode, waitShardSubscribers } = require('./lib/cluster');
const { serverKind } = require('./lib/server');

const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);
const WS = MODES[0];

let procs = {};
let clients = [];
let suite = { mode: 'classic', redis: null };

/** With the sharded adapter, waits until `count` processes listen on the room's channel. */
async function roomReady(room, count) {
  if (suite.mode === 'sharded') await waitShardSubscribers(suite.redis.addr, `socket.io#/#${room}#`, count);
}

/** Starts the processes of a suite on its Redis (mode classic or sharded). */
function cluster(mode, startRedisFn) {
  let redis;
  before(async () => {
    procs = {};
    clients = [];
    redis = await startRedisFn();
    suite = { mode, redis };
    procs.go1 = await startSockio(redis.addr, 'go1', mode);
    procs.go2 = await startSockio(redis.addr, 'go2', mode);
    procs.node = await startNode(redis.addr, 'node', mode);
  });
  after(async () => {
    for (const c of clients) c.closeAll();
    for (const p of Object.values(procs)) await p.stop();
    if (redis) await redis.stop();
  });
}

let seq = 0;
const fresh = (p) => `${p}-${++seq}`;

/** A 4.x client on process proc, logging its events; answers "q" with "a-<name>". */
async function member(proc, name) {
  const c = new Clients(procs[proc].url);
  clients.push(c);
  const s = await c.connect('/', WS);
  const log = new EventLog(s, name);
  s.on('q', (cb) => cb(`a-${name}`));
  return { s, log, name, proc };
}

async function join(m, room) {
  assert.deepEqual(await ack(m.s, 'join', room), [true]);
}

async function to(m, req) {
  assert.deepEqual(await ack(m.s, 'to', req), [true]);
}

/** Records the first argument of every `event` on socket; has(tag) resolves once tag came. */
function tags(socket, event) {
  const seen = new Set();
  const waiters = new Map();
  socket.on(event, (tag) => {
    seen.add(tag);
    (waiters.get(tag) || []).forEach((fn) => fn());
    waiters.delete(tag);
  });
  return {
    has: (tag) => (seen.has(tag) ? Promise.resolve()
      : new Promise((resolve) => waiters.set(tag, [...(waiters.get(tag) || []), resolve]))),
  };
}

const count = (m, event, tag) => m.log.events(event).filter((e) => e.args[0] === tag).length;

/** Four members in a fresh room: two on go1, one on go2, one on node. */
async function group() {
  const room = fresh('room');
  const ms = [await member('go1', 'g1'), await member('go1', 'g1b'), await member('go2', 'g2'), await member('node', 'n')];
  for (const m of ms) await join(m, room);
  await roomReady(room, 3);
  return { room, ms };
}

/**
 * Sends `event` from origin to the room (with except), then proves who got it how often:
 * a marker from the origin on the same path, and for the origin a marker from another process.
 */
async function broadcastAndCheck(room, ms, origin, except = []) {
  const tag = fresh(`from-${origin.name}`);
  await to(origin, { rooms: [room], except: except.map((m) => m.s.id), event: 'm', args: [tag] });
  const mark = fresh('mark');
  await to(origin, { rooms: [room], event: 'mk', args: [mark] });
  const others = ms.filter((m) => m !== origin);
  for (const m of others) await m.log.waitFor((e) => e.event === 'mk' && e.args[0] === mark, `marker ${mark}`);
  const helper = others.find((m) => m.proc !== origin.proc);
  const mark2 = fresh('mark2');
  await to(helper, { rooms: [origin.s.id], event: 'mk', args: [mark2] });
  await origin.log.waitFor((e) => e.event === 'mk' && e.args[0] === mark2, `marker ${mark2}`);
  for (const m of ms) {
    const want = m === origin || except.includes(m) ? 0 : 1;
    assert.equal(count(m, 'm', tag), want, `${m.name} (${m.proc}) got ${tag} ${count(m, 'm', tag)} times`);
  }
}

for (const [mode, title, startRedisFn] of [
  ['classic', 'one Redis (createAdapter)', () => startRedis()],
  ['sharded', 'a three-master Redis Cluster (createShardedAdapter)', () => startRedisCluster()],
  ['streams', 'one Redis with Redis Streams (@socket.io/redis-streams-adapter)', () => startRedis()],
]) describe(`cluster: sockio processes and a Node socket.io process on ${title}`, () => {
  cluster(mode, startRedisFn);
  test('processes count each other (PUBSUB NUMSUB)', async () => {
    for (const p of ['go1', 'node']) {
      const m = await member(p, `count-${p}`);
      assert.deepEqual(await ack(m.s, 'server-count'), [3]);
    }
  });

  test('a room broadcast from any process reaches every other member once, never the sender', async () => {
    const { room, ms } = await group();
    for (const origin of [ms[0], ms[2], ms[3]]) await broadcastAndCheck(room, ms, origin);
  });

  test('except holds across processes, both ways', async () => {
    const { room, ms } = await group();
    await broadcastAndCheck(room, ms, ms[0], [ms[2]]); // go1 leaves out go2's member
    await broadcastAndCheck(room, ms, ms[3], [ms[1]]); // node leaves out go1's member
    await broadcastAndCheck(room, ms, ms[2], [ms[3]]); // go2 leaves out node's member
  });

  test('fetchSockets lists every process\'s sockets with rooms and data, from Go and from Node', async () => {
    const { room, ms } = await group();
    assert.deepEqual(await ack(ms[2].s, 'set-data', { user: 'gus' }), [true]);
    assert.deepEqual(await ack(ms[3].s, 'set-data', { user: 'nina' }), [true]);
    const want = ms.map((m) => m.s.id).sort();
    for (const asker of [ms[0], ms[3]]) {
      const [res] = await ack(asker.s, 'fetch', { rooms: [room] });
      assert.deepEqual(res.sockets.map((s) => s.id), want, `fetch from ${asker.proc}: ${JSON.stringify(res)}`);
      const byId = Object.fromEntries(res.sockets.map((s) => [s.id, s]));
      assert.deepEqual(byId[ms[2].s.id].data, { user: 'gus' });
      assert.deepEqual(byId[ms[3].s.id].data, { user: 'nina' });
      for (const m of ms) assert.ok(byId[m.s.id].rooms.includes(room) && byId[m.s.id].rooms.includes(m.s.id));
    }
    // except narrows it on every process.
    const [res] = await ack(ms[0].s, 'fetch', { rooms: [room], except: [ms[3].s.id, ms[1].s.id] });
    assert.deepEqual(res.sockets.map((s) => s.id), [ms[0].s.id, ms[2].s.id].sort());
  });

  test('Node\'s allRooms() includes the rooms of the sockio processes (classic adapter)', async () => {
    if (suite.mode !== 'classic') return; // the sharded adapter has no allRooms request
    const { room, ms } = await group();
    const [rooms] = await ack(ms[3].s, 'all-rooms', {});
    for (const m of ms) assert.ok(rooms.includes(m.s.id), `${m.name}'s own room`);
    assert.ok(rooms.includes(room));
  });

  test('socketsJoin and socketsLeave from either side', async () => {
    const { ms } = await group();
    for (const [asker, target] of [[ms[0], ms[3]], [ms[3], ms[2]], [ms[2], ms[0]]]) {
      const j = fresh('joined');
      assert.deepEqual(await ack(asker.s, 'sockets-join', { rooms: [target.s.id], join: [j] }), [true]);
      // A broadcast to the new room reaches it.
      const reach = async () => {
        await roomReady(j, 1);
        const tag = fresh('j');
        await to(asker, { rooms: [j], event: 'm', args: [tag] });
        await target.log.waitFor((e) => e.event === 'm' && e.args[0] === tag, tag);
      };
      // On streams the join travels on the stream and the fetch on pub/sub: the broadcast that
      // follows the join on the stream shows the target's process applied it.
      if (suite.mode === 'streams') await reach();
      let [res] = await ack(asker.s, 'fetch', { rooms: [j] });
      assert.deepEqual(res.sockets.map((s) => s.id), [target.s.id], `${asker.proc} joins ${target.proc}'s socket`);
      if (suite.mode !== 'streams') await reach();
      assert.deepEqual(await ack(asker.s, 'sockets-leave', { rooms: [target.s.id], leave: [j] }), [true]);
      if (suite.mode === 'streams') { // likewise for the leave
        const mark = fresh('left');
        await to(asker, { rooms: [target.s.id], event: 'mk', args: [mark] });
        await target.log.waitFor((e) => e.event === 'mk' && e.args[0] === mark, mark);
      }
      [res] = await ack(asker.s, 'fetch', { rooms: [j] });
      assert.deepEqual(res.sockets, [], `${asker.proc} removes ${target.proc}'s socket`);
    }
  });

  test('disconnectSockets from either side', async () => {
    const a = await member('go1', 'd-go1');
    const b = await member('node', 'd-node');
    const c = await member('go2', 'd-go2');
    const gone = (m) => new Promise((resolve) => m.s.once('disconnect', resolve));
    let bGone = gone(b);
    assert.deepEqual(await ack(a.s, 'disconnect-sockets', { rooms: [b.s.id] }), [true]);
    assert.equal(await bGone, 'io server disconnect');
    const cGone = gone(c);
    const d = await member('node', 'd-node2');
    assert.deepEqual(await ack(d.s, 'disconnect-sockets', { rooms: [c.s.id], close: true }), [true]);
    assert.equal(await cGone, 'io server disconnect');
    assert.equal(a.s.connected, true);
    bGone = null;
  });

  test('serverSideEmit with acks, both ways; every other process\'s clients see it', async () => {
    const watchers = { go1: await member('go1', 'w1'), go2: await member('go2', 'w2'), node: await member('node', 'wn') };
    for (const [from, expect] of [['go1', ['hello from go2', 'hello from node']], ['node', ['hello from go1', 'hello from go2']]]) {
      const tag = fresh('sse');
      const [res] = await ack(watchers[from].s, 'server-emit', { event: 'hello', args: [tag], ack: true, timeout: 5000 });
      assert.deepEqual(res, { answers: expect }, `from ${from}`);
      for (const [p, w] of Object.entries(watchers)) {
        if (p === from) continue;
        await w.log.waitFor((e) => e.event === 'server-hello' && e.args[0] === p && e.args[1] === tag, `server-hello ${tag}`);
      }
    }
    // Without acks.
    const tag = fresh('sse');
    assert.deepEqual(await ack(watchers.go2.s, 'server-emit', { event: 'hello', args: [tag] }), [true]);
    await watchers.node.log.waitFor((e) => e.event === 'server-hello' && e.args[1] === tag, tag);
    await watchers.go1.log.waitFor((e) => e.event === 'server-hello' && e.args[1] === tag, tag);
  });

  test('a broadcast with acks collects every client\'s answer across processes, from Go and from Node', async () => {
    const { room, ms } = await group();
    const want = ms.map((m) => `a-${m.name}`).sort();
    for (const asker of [ms[0], ms[2], ms[3]]) {
      const [res] = await ack(asker.s, 'emit-with-ack', { rooms: [room], event: 'q', timeout: 5000 });
      assert.deepEqual(res, { answers: want }, `emitWithAck from ${asker.proc}`);
    }
  });

  test('binary arguments cross processes both ways', async () => {
    const g = await member('go1', 'bin-g');
    const n = await member('node', 'bin-n');
    const g2 = await member('go2', 'bin-g2');
    for (const [from, tos] of [[n, [g, g2]], [g2, [n, g]]]) {
      const tag = fresh('bin');
      from.s.emit('bcast', tag, Buffer.from([1, 2, 3]), { nested: Buffer.from([4]) });
      for (const m of tos) {
        const e = await m.log.waitFor((x) => x.event === 'bcast' && x.args[0] === tag, tag);
        assert.deepEqual([...e.args[1]], [1, 2, 3], `${m.name} from ${from.name}`);
        assert.deepEqual([...e.args[2].nested], [4]);
      }
    }
  });

  test('a 0.9 client on one sockio process, 2.x and 4.x on the other, share a room', async () => {
    assert.equal(serverKind(), 'bin', 'this test needs the Go server: set SOCKIO_SERVER_BIN');
    const room = fresh('gens');
    const within = (p, label) => {
      let t;
      return Promise.race([p, new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`timed out: ${label}`)), WAIT_MS); })])
        .finally(() => clearTimeout(t));
    };
    // 0.9 on go1.
    io09.transports = ['websocket'];
    const old = io09.connect(procs.go1.url, { transports: ['websocket'], 'try multiple transports': false, 'force new connection': true, reconnect: false });
    const got09 = [];
    old.on('gen', (tag) => got09.push(tag));
    const mark09 = tags(old, 'mk');
    try {
      await within(new Promise((resolve) => old.on('connect', resolve)), '0.9 connect');
      await within(new Promise((resolve) => old.emit('join', room, resolve)), '0.9 join');
      // 2.x on go2.
      const v2 = io2(procs.go2.url, { forceNew: true, reconnection: false, transports: ['websocket'] });
      const got2 = [];
      const mark2 = tags(v2, 'mk');
      v2.on('gen', (tag) => got2.push(tag));
      try {
        await within(new Promise((resolve) => v2.once('connect', resolve)), '2.x connect');
        await within(new Promise((resolve) => v2.emit('join', room, resolve)), '2.x join');
        // 4.x on go2, and a 4.x sender outside the room on go1.
        const v4 = await member('go2', 'v4');
        await join(v4, room);
        await roomReady(room, 2);
        const sender = await member('go1', 'sender');
        const tag = fresh('gen');
        await to(sender, { rooms: [room], event: 'gen', args: [tag] });
        const mark = fresh('mk');
        await to(sender, { rooms: [room], event: 'mk', args: [mark] });
        await within(mark09.has(mark), '0.9 marker');
        await within(mark2.has(mark), '2.x marker');
        await v4.log.waitFor((e) => e.event === 'mk' && e.args[0] === mark, 'v4 marker');
        assert.deepEqual(got09, [tag], '0.9 client');
        assert.deepEqual(got2, [tag], '2.x client');
        assert.equal(count(v4, 'gen', tag), 1, '4.x client');
      } finally {
        v2.disconnect();
      }
    } finally {
      old.disconnect();
    }
  });
});

describe('cluster-wide API in one process (in-memory adapter)', () => {
  let server;
  before(async () => {
    server = await require('./lib/cluster').startSolo();
    procs = { solo: server };
    clients = [];
  });
  after(async () => {
    for (const c of clients) c.closeAll();
    if (server) await server.stop();
  });

  test('fetchSockets, socketsJoin/Leave, disconnectSockets, emitWithAck, serverSideEmit alone', async () => {
    const room = fresh('solo');
    const ms = [await member('solo', 's1'), await member('solo', 's2'), await member('solo', 's3')];
    for (const m of ms.slice(0, 2)) await join(m, room);
    assert.deepEqual(await ack(ms[0].s, 'set-data', { n: 1 }), [true]);
    let [res] = await ack(ms[2].s, 'fetch', { rooms: [room] });
    assert.deepEqual(res.sockets.map((s) => s.id), [ms[0].s.id, ms[1].s.id].sort());
    assert.deepEqual(res.sockets.find((s) => s.id === ms[0].s.id).data, { n: 1 });

    const j = fresh('j');
    assert.deepEqual(await ack(ms[2].s, 'sockets-join', { rooms: [room], except: [ms[1].s.id], join: [j] }), [true]);
    [res] = await ack(ms[2].s, 'fetch', { rooms: [j] });
    assert.deepEqual(res.sockets.map((s) => s.id), [ms[0].s.id]);
    assert.deepEqual(await ack(ms[2].s, 'sockets-leave', { rooms: [j], leave: [j] }), [true]);
    [res] = await ack(ms[2].s, 'fetch', { rooms: [j] });
    assert.deepEqual(res.sockets, []);

    [res] = await ack(ms[2].s, 'emit-with-ack', { rooms: [room], event: 'q', timeout: 5000 });
    assert.deepEqual(res, { answers: ['a-s1', 'a-s2'] });
    // A client that does not answer: the broadcast times out.
    ms[1].s.off('q');
    [res] = await ack(ms[2].s, 'emit-with-ack', { rooms: [room], event: 'q', timeout: 300 });
    assert.deepEqual(res, { error: 'operation has timed out' });

    // Alone, sockio's server-side emit with acks has no one to answer (Node's in-memory adapter
    // only warns, and never calls back).
    if (serverKind() === 'bin') {
      [res] = await ack(ms[2].s, 'server-emit', { event: 'hello', args: [1], ack: true });
      assert.deepEqual(res, { answers: [] });
    }

    const gone = new Promise((resolve) => ms[0].s.once('disconnect', resolve));
    assert.deepEqual(await ack(ms[2].s, 'disconnect-sockets', { rooms: [room], except: [ms[1].s.id] }), [true]);
    assert.equal(await gone, 'io server disconnect');
    assert.equal(ms[1].s.connected, true);
  });
});
