'use strict';
/*
 * A Redis outage under a running cluster of two sockio processes (examples/conformance -redis)
 * with 4.x clients: while redis-server is stopped, local broadcasts keep working and nothing
 * crashes; after it is started again on the same port, both processes subscribe again by
 * themselves and cross-process delivery resumes. (The adapter's Go test also shows the publish
 * errors, the single warning and the goroutine baseline.)
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, EventLog, Clients } = require('./lib/client');
const { startRedis, startSockio, waitShardSubscribers } = require('./lib/cluster');
const { serverKind } = require('./lib/server');

let redis;
const procs = {};
const clients = [];

before(async () => {
  // This is sockio's adapter behaviour (the Node adapter on node-redis recovers differently).
  if (serverKind() !== 'bin') throw new Error('the outage test needs the Go server: set SOCKIO_SERVER_BIN');
  redis = await startRedis();
  procs.go1 = await startSockio(redis.addr, 'go1');
  procs.go2 = await startSockio(redis.addr, 'go2');
});

after(async () => {
  for (const c of clients) c.closeAll();
  for (const p of Object.values(procs)) await p.stop();
  if (redis) await redis.stop();
});

async function member(proc, name) {
  const c = new Clients(procs[proc].url);
  clients.push(c);
  const s = await c.connect('/', MODES[0]);
  return { s, log: new EventLog(s, name), name };
}

const to = async (m, req) => assert.deepEqual(await ack(m.s, 'to', req), [true]);
const got = (m, event, tag) => m.log.waitFor((e) => e.event === event && e.args[0] === tag, `${event} ${tag}`);

describe('Redis stopped and restarted under two sockio processes', () => {
  it('local delivery goes on during the outage; cross-process delivery resumes after it', async () => {
    const a1 = await member('go1', 'a1');
    const a2 = await member('go1', 'a2');
    const b1 = await member('go2', 'b1');
    for (const m of [a1, a2, b1]) assert.deepEqual(await ack(m.s, 'join', 'room'), [true]);
    await to(a1, { rooms: ['room'], event: 'm', args: ['before'] });
    await got(b1, 'm', 'before');

    await redis.stop();
    await to(a1, { rooms: ['room'], event: 'm', args: ['during'] });
    await got(a2, 'm', 'during'); // same process: delivered without Redis
    await to(b1, { rooms: ['room'], event: 'm', args: ['during-b'] });
    assert.equal(a1.s.connected && a2.s.connected && b1.s.connected, true, 'clients stay connected');

    redis = await startRedis([], redis.port);
    // Both processes subscribe again by themselves (no event tells when: polled with a deadline),
    // channels and broadcast patterns alike.
    await waitShardSubscribers(redis.addr, 'socket.io-request#/#', 2, 'NUMSUB');
    await waitShardSubscribers(redis.addr, 'socket.io-response#/#', 2, 'NUMSUB');
    await waitShardSubscribers(redis.addr, '', 2, 'NUMPAT');
    // A command that reaches Redis ends each process's outage state (publishes failed fast
    // meanwhile); the server count is one.
    assert.deepEqual(await ack(a1.s, 'server-count'), [2]);
    assert.deepEqual(await ack(b1.s, 'server-count'), [2]);
    await to(a1, { rooms: ['room'], event: 'm', args: ['after'] });
    await got(b1, 'm', 'after');
    // The pattern subscription comes back in the same resubscription as the channels.
    await to(b1, { rooms: ['room'], event: 'm', args: ['after-b'] });
    await got(a1, 'm', 'after-b');
    assert.equal(b1.log.events('m').filter((e) => e.args[0] === 'during').length, 0, 'nothing was queued for later');
  });
});
