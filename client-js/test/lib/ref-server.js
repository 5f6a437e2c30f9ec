'use strict';
/*
 * Reference conformance app, built on the official Node server (socket.io 4.8.4,
 * installed as the alias "sio-server-4"). The Go example `examples/conformance` must
 * behave the same way: this comment is the contract the tests in ../ are written against.
 *
 * Command line and output
 *   node ref-server.js -addr 127.0.0.1:0 [-per-message-deflate]
 *   Listens on the given host:port (port 0 = any free port) and prints exactly one line
 *     listening on http://127.0.0.1:<port>
 *   on stdout once it accepts connections. SIGTERM (or SIGINT) → close and exit 0.
 *
 * Server options
 *   Socket.IO at path /socket.io/, pingInterval 300 ms, pingTimeout 200 ms,
 *   maxHttpBufferSize 1e6, connectTimeout 1000 ms, CORS any origin
 *   (Access-Control-Allow-Origin: *), transports polling + websocket, no
 *   connection state recovery, EIO4 only (no allowEIO3). Polling answers of 1 KiB and more are
 *   gzip/deflate-encoded for clients that accept it (httpCompression's default); with
 *   -per-message-deflate websocket permessage-deflate is accepted (threshold 1 KiB), else refused.
 *
 * Namespaces
 *   "/", "/custom" and every dynamic namespace matching /^\/dyn-\d+$/ get the handlers
 *   below. "/admin" gets them too, behind a middleware that refuses unless
 *   auth.token === "secret": the refusal is an Error with message "not authorized"
 *   and data {reason: "bad token"}, i.e. the client gets CONNECT_ERROR
 *   {"message":"not authorized","data":{"reason":"bad token"}}.
 *   The dynamic parent also has a middleware that refuses auth {deny: true} with an Error
 *   "dyn denied" (CONNECT_ERROR {"message":"dyn denied"}). A dynamic child is removed once
 *   its last socket has left (cleanupEmptyChildNamespaces); the next CONNECT creates it anew.
 *   Any other namespace is refused by the server itself: CONNECT_ERROR
 *   {"message":"Invalid namespace"} (no data), the engine session stays open.
 *
 * Handlers (per connected socket)
 *   on connection           emit("auth", <CONNECT auth payload, {} if none>)
 *   "message" (...args)     emit("message-back", ...args)
 *   "message-with-ack"      ack(...args)        (same args, same order)
 *   "echo" (...args)        ack(...args)
 *   "bcast" (...args)       socket.broadcast.emit("bcast", ...args)  (every other socket of
 *                           the namespace, sender excluded)
 *   "join" (room)           join room, ack(true)
 *   "leave" (room)          leave room, ack(true)
 *   "to" ({rooms, except, event, args})
 *                           socket.to(rooms).except(except).emit(event, ...args): every socket of
 *                           the namespace in at least one of `rooms` and in none of `except`,
 *                           sender excluded, one copy per socket; then ack(true).
 *                           `except` and `args` may be missing (= []); tests always send a
 *                           non-empty `rooms`.
 *   "ask" ({event, args, timeout})
 *                           socket.timeout(timeout).emit(event, ...args, cb): when the client
 *                           acks, ack({args: [<every argument of the client's ack, in order>]});
 *                           when it does not within `timeout` ms, ack({error: err.message}),
 *                           with the reference's message "operation has timed out".
 *   "kick"                  socket.disconnect(): server-side namespace disconnect; the client
 *                           gets DISCONNECT and reports "io server disconnect"; server-side
 *                           reason "server namespace disconnect".
 *   "close-transport"       socket.conn.close(): closes the whole underlying Engine.IO
 *                           connection at once (no DISCONNECT packet); the client reports
 *                           "transport close"; server-side reason "forced close".
 *   "reason" (socketId)     ack(<the server-side disconnect reason of that socket id>) once that
 *                           socket has disconnected: at once if it already has, else as soon as
 *                           it does, else ack(null) after 5 s. The server records the reason of
 *                           every socket it ever had, keyed by socket id (the id the client sees
 *                           as socket.id; unique across namespaces), whatever its namespace.
 *   "nsp-children"          ack(<sorted array of the names of the dynamic children that exist>)
 *   "recovered"             ack(socket.recovered): whether connection state recovery (on with
 *                           -recovery) restored this socket's session
 *   "forbidden" (...)       refused by a per-socket middleware (socket.use) with an Error
 *                           "forbidden": the handler (which would emit("reached") and ack) never
 *                           runs, the client gets no answer and stays connected; the
 *                           server-side socket's "error" listener records the message.
 *   "errors"                ack(<messages of the errors that refused this socket's events, in order>)
 *   "outgoing"              ack(<names of every event sent to this socket, in order, from "auth"
 *                           on: emits and broadcasts, not ack replies>) (socket.onAnyOutgoing)
 *                           Reasons are the reference's strings: "client namespace disconnect",
 *                           "server namespace disconnect", "transport close", "forced close",
 *                           "ping timeout", "transport error", "parse error", ...
 *
 * Nothing else (no Engine.IO-only echo at /engine.io/ is needed by these tests).
 */

const http = require('node:http');
const { Server } = require('sio-server-4');

const REASON_WAIT_MS = 5000;

function parseAddr(argv) {
  let addr = '127.0.0.1:0';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-addr' || argv[i] === '--addr') addr = argv[++i];
    else if (argv[i].startsWith('-addr=') || argv[i].startsWith('--addr=')) addr = argv[i].split('=')[1];
  }
  const idx = addr.lastIndexOf(':');
  return { host: addr.slice(0, idx) || '127.0.0.1', port: Number(addr.slice(idx + 1)) || 0 };
}

/** Builds the app; returns {httpServer, io}. Not listening yet. */
function createApp() {
  const httpServer = http.createServer((req, res) => {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  const io = new Server(httpServer, {
    path: '/socket.io/',
    pingInterval: 300,
    pingTimeout: 200,
    maxHttpBufferSize: 1e6,
    connectTimeout: 1000,
    cors: { origin: '*' },
    cleanupEmptyChildNamespaces: true,
    perMessageDeflate: process.argv.includes('-per-message-deflate') ? { threshold: 1024 } : false,
    connectionStateRecovery: process.argv.includes('-recovery') ? {} : undefined,
  });

  // socket id -> server-side disconnect reason; socket id -> [resolve fns] waiting for it.
  const reasons = new Map();
  const waiters = new Map();

  function recordReason(id, reason) {
    reasons.set(id, reason);
    const list = waiters.get(id);
    if (list) {
      waiters.delete(id);
      for (const fn of list) fn(reason);
    }
  }

  function waitReason(id, cb) {
    if (reasons.has(id)) return cb(reasons.get(id));
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      cb(r);
    };
    const timer = setTimeout(() => {
      const list = waiters.get(id);
      if (list) {
        const i = list.indexOf(finish);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) waiters.delete(id);
      }
      finish(null);
    }, REASON_WAIT_MS);
    if (!waiters.has(id)) waiters.set(id, []);
    waiters.get(id).push(finish);
  }

  const isFn = (f) => typeof f === 'function';

  function onConnection(socket) {
    socket.on('disconnect', (reason) => recordReason(socket.id, reason));

    const outgoing = [];
    const refusals = [];
    socket.onAnyOutgoing((event) => outgoing.push(event));
    socket.use(([event], next) => next(event === 'forbidden' ? new Error('forbidden') : undefined));
    socket.on('error', (err) => refusals.push(err.message));

    socket.emit('auth', socket.handshake.auth || {});

    socket.on('forbidden', (...args) => {
      socket.emit('reached', 'forbidden');
      const ack = args.pop();
      if (isFn(ack)) ack('reached');
    });
    socket.on('outgoing', (ack) => {
      if (isFn(ack)) ack([...outgoing]);
    });
    socket.on('errors', (ack) => {
      if (isFn(ack)) ack([...refusals]);
    });

    socket.on('message', (...args) => {
      socket.emit('message-back', ...args);
    });
    socket.on('message-with-ack', (...args) => {
      const ack = args.pop();
      if (isFn(ack)) ack(...args);
    });
    socket.on('echo', (...args) => {
      const ack = args.pop();
      if (isFn(ack)) ack(...args);
    });
    socket.on('bcast', (...args) => {
      socket.broadcast.emit('bcast', ...args);
    });
    socket.on('join', (room, ack) => {
      socket.join(room);
      if (isFn(ack)) ack(true);
    });
    socket.on('leave', (room, ack) => {
      socket.leave(room);
      if (isFn(ack)) ack(true);
    });
    socket.on('to', (opts, ack) => {
      const o = opts || {};
      socket.to(o.rooms || []).except(o.except || []).emit(o.event, ...(o.args || []));
      if (isFn(ack)) ack(true);
    });
    socket.on('ask', (opts, ack) => {
      const o = opts || {};
      // Not emitWithAck(): it resolves with the first ack argument only; the contract
      // hands back every argument of the client's ack.
      socket.timeout(o.timeout).emit(o.event, ...(o.args || []), (err, ...ackArgs) => {
        if (!isFn(ack)) return;
        if (err) ack({ error: err.message });
        else ack({ args: ackArgs });
      });
    });
    socket.on('kick', () => {
      socket.disconnect();
    });
    socket.on('recovered', (ack) => {
      if (isFn(ack)) ack(socket.recovered);
    });
    socket.on('close-transport', () => {
      socket.conn.close();
    });
    socket.on('reason', (id, ack) => {
      if (isFn(ack)) waitReason(id, (r) => ack(r === undefined ? null : r));
    });
    socket.on('nsp-children', (ack) => {
      if (isFn(ack)) ack([...dyn.children].map((n) => n.name).sort());
    });
  }

  io.of('/').on('connection', onConnection);
  io.of('/custom').on('connection', onConnection);
  const dyn = io.of(/^\/dyn-\d+$/);
  dyn.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    next(auth.deny === true ? new Error('dyn denied') : undefined);
  });
  dyn.on('connection', onConnection);

  const admin = io.of('/admin');
  admin.use((socket, next) => {
    const auth = socket.handshake.auth || {};
    if (auth.token === 'secret') return next();
    const err = new Error('not authorized');
    err.data = { reason: 'bad token' };
    next(err);
  });
  admin.on('connection', onConnection);

  return { httpServer, io };
}

function main() {
  const { host, port } = parseAddr(process.argv.slice(2));
  const { httpServer, io } = createApp();
  httpServer.listen(port, host, () => {
    const a = httpServer.address();
    process.stdout.write(`listening on http://${host}:${a.port}\n`);
  });
  const shutdown = () => {
    io.close(() => process.exit(0));
    // io.close() waits for open HTTP keep-alive connections; do not hang on them.
    setTimeout(() => process.exit(0), 1000).unref();
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

module.exports = { createApp };

if (require.main === module) main();
