'use strict';
/*
 * The reference app (ref-server.js) on a Redis cluster: Node socket.io 4.8.4 with the Node
 * Redis adapter (@socket.io/redis-adapter 8.3.0, classic createAdapter, on the `redis` client),
 * plus the cluster events that examples/conformance/cluster.go serves on sockio:
 *
 *   set-data v                             socket.data = v; ack(true)
 *   fetch {rooms, except}                  ack({sockets: [{id, rooms (sorted), data}]}) sorted by id, or ({error})
 *   sockets-join {rooms, except, join}     ack(true)
 *   sockets-leave {rooms, except, leave}   ack(true)
 *   disconnect-sockets {rooms, except, close}  ack(true)
 *   server-emit {event, args, ack, timeout}    with ack: ack({answers}) or ({error, answers}); else ack(true)
 *   emit-with-ack {rooms, except, event, args, timeout}
 *                                          ack({answers: [each client's first ack argument], sorted by JSON}) or ({error})
 *   server-count                           ack(<processes>)
 *   all-rooms {}                           ack(adapter.allRooms(), sorted)   (Node only: classic adapter)
 *
 * and answers the server-side event "hello" (...args) by sending "server-hello" (name, ...args)
 * to its local clients and acking "hello from <name>".
 *
 *   node cluster-server.js -addr 127.0.0.1:0 -redis 127.0.0.1:6379 [-name node] [-redis-mode sharded|streams]
 * (no -redis: the in-memory adapter, one process; -redis a,b,c: a Redis Cluster; -redis-mode sharded: createShardedAdapter, SPUBLISH/SSUBSCRIBE;
 * -redis-mode streams: @socket.io/redis-streams-adapter 0.3.1 on Redis Streams)
 * prints `listening on http://127.0.0.1:<port>` once its subscriptions are active (and, on streams, once its
 * stream reader waits in XREAD).
 */

const { createClient, createCluster } = require('redis');
const { createAdapter, createShardedAdapter } = require('@socket.io/redis-adapter');
const { PUBSUB } = require('@socket.io/redis-adapter/dist/util');
const { createAdapter: createStreamsAdapter } = require('@socket.io/redis-streams-adapter');
const { createApp } = require('./ref-server');

function arg(name, def) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf(`-${name}`);
  return i >= 0 ? argv[i + 1] : def;
}

const byJSON = (a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : JSON.stringify(a) > JSON.stringify(b) ? 1 : 0);

/**
 * The streams adapter reads the stream on a duplicate of pub, from "$" (what is appended after its
 * first XREAD reaches Redis). Resolves once that duplicate's first XREAD is blocked in Redis, so that
 * nothing another process appends after this one listens is missed.
 */
function watchStreamReader(pub) {
  let resolveId;
  const idKnown = new Promise((resolve) => { resolveId = resolve; });
  const duplicate = pub.duplicate.bind(pub);
  pub.duplicate = (...args) => {
    const client = duplicate(...args);
    const xRead = client.xRead.bind(client);
    let first = true;
    client.xRead = async (...a) => {
      if (first) {
        first = false;
        resolveId(await client.clientId());
      }
      return xRead(...a);
    };
    return client;
  };
  return idKnown.then(async (id) => {
    for (;;) {
      const line = String(await pub.sendCommand(['CLIENT', 'LIST', 'ID', String(id)]));
      if (/ cmd=xread/.test(line) && / flags=\w*b/.test(line)) return;
      await new Promise((r) => setTimeout(r, 20)); // polling a condition with a deadline (START_TIMEOUT in server.js)
    }
  });
}

async function main() {
  const addr = arg('addr', '127.0.0.1:0');
  const name = arg('name', `node-${process.pid}`);
  const [host, port] = [addr.slice(0, addr.lastIndexOf(':')), Number(addr.slice(addr.lastIndexOf(':') + 1))];
  const { httpServer, io } = createApp();
  let pub;
  let sub;
  let others = 0;
  let readerReady = Promise.resolve();
  if (arg('redis')) { // else the in-memory adapter: one process
    const addrs = arg('redis').split(',');
    const mode = arg('redis-mode', 'classic');
    const sharded = mode === 'sharded';
    pub = addrs.length > 1
      ? createCluster({ rootNodes: addrs.map((a) => ({ url: `redis://${a}` })) })
      : createClient({ url: `redis://${addrs[0]}` });
    sub = pub.duplicate();
    pub.on('error', () => {});
    sub.on('error', () => {});
    await Promise.all([pub.connect(), sub.connect()]);
    // The processes already on the namespace's channel, so that readiness below waits for this
    // one's own subscription, not for the others' (the harness starts processes one by one).
    if (mode === 'streams') {
      others = await PUBSUB(pub, 'NUMSUB', 'socket.io#/#');
      readerReady = watchStreamReader(pub);
      io.adapter(createStreamsAdapter(pub));
    } else {
      others = await (sharded ? PUBSUB(pub, 'SHARDNUMSUB', 'socket.io#/#') : PUBSUB(pub, 'NUMSUB', 'socket.io-request#/#'));
      io.adapter(sharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub));
    }
  }
  const nsp = io.of('/');

  nsp.on('hello', (...args) => {
    const cb = typeof args[args.length - 1] === 'function' ? args.pop() : null;
    nsp.local.emit('server-hello', name, ...args);
    if (cb) cb(`hello from ${name}`);
  });

  const sel = (o) => nsp.to(o.rooms || []).except(o.except || []);
  nsp.on('connection', (socket) => {
    const ack = (fn) => (o, cb) => Promise.resolve().then(() => fn(o || {})).then(
      (v) => cb && cb(v), (err) => cb && cb({ error: err.message }));
    socket.on('set-data', ack((v) => { socket.data = v; return true; }));
    socket.on('fetch', ack(async (o) => {
      const found = await sel(o).fetchSockets();
      const sockets = found.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data === undefined ? null : s.data }));
      sockets.sort((a, b) => (a.id < b.id ? -1 : 1));
      return { sockets };
    }));
    socket.on('sockets-join', ack((o) => { sel(o).socketsJoin(o.join); return true; }));
    socket.on('sockets-leave', ack((o) => { sel(o).socketsLeave(o.leave); return true; }));
    socket.on('disconnect-sockets', ack((o) => { sel(o).disconnectSockets(!!o.close); return true; }));
    socket.on('all-rooms', ack(async () => [...await nsp.adapter.allRooms()].sort()));
    socket.on('server-count', (cb) => nsp.adapter.serverCount().then((n) => cb(n)));
    socket.on('server-emit', ack(async (o) => {
      if (!o.ack) { nsp.serverSideEmit(o.event, ...(o.args || [])); return true; }
      return new Promise((resolve) => {
        nsp.serverSideEmit(o.event, ...(o.args || []), (err, answers) => {
          if (err) resolve({ error: err.message, answers: (answers || []).sort(byJSON) });
          else resolve({ answers: answers.sort(byJSON) });
        });
      });
    }));
    socket.on('emit-with-ack', ack(async (o) => {
      const answers = await sel(o).timeout(o.timeout || 5000).emitWithAck(o.event, ...(o.args || []));
      return { answers: answers.sort(byJSON) };
    }));
  });

  // Listen once the adapter's subscriptions are active (this process counts itself on top of the others).
  for (;;) {
    if (await nsp.adapter.serverCount() > others) break;
    await new Promise((r) => setTimeout(r, 20)); // polling a condition with a deadline (START_TIMEOUT in server.js)
  }
  await readerReady;
  httpServer.listen(port, host || '127.0.0.1', () => {
    process.stdout.write(`listening on http://${host || '127.0.0.1'}:${httpServer.address().port}\n`);
  });
  const shutdown = () => {
    io.close(() => Promise.allSettled(pub ? [pub.quit(), sub.quit()] : []).then(() => process.exit(0)));
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err) => { console.error(err); process.exit(1); });
