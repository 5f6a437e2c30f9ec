'use strict';
/*
 * Helpers around the REAL official client socket.io-client 4.8.4 (alias "sio-client-4").
 * Nothing here speaks the protocol itself: every byte on the wire is the official client's.
 *
 * Rules kept by every helper: no sleep is ever used to synchronise; every wait is on an
 * event or an ack and carries a safety timeout that fails with a message saying what was
 * awaited; every client made through a Clients instance is closed by closeAll().
 */

const { io, Manager } = require('sio-client-4');

/** Safety timeout for one awaited event/ack (generous: the machine may be loaded). */
const WAIT_MS = Number(process.env.SOCKIO_WAIT_MS || 8000);

/**
 * The three ways the client can reach the server. `expect` is the transport that must be in
 * use once connected (socket.io.engine.transport.name); `upgrade` = wait for the engine's
 * 'upgrade' event (polling first, then the websocket probe and upgrade).
 */
const MODES = [
  { name: 'websocket-only', opts: { transports: ['websocket'] }, expect: 'websocket', upgrade: false },
  { name: 'polling-only', opts: { transports: ['polling'] }, expect: 'polling', upgrade: false },
  { name: 'polling+upgrade', opts: { transports: ['polling', 'websocket'] }, expect: 'websocket', upgrade: true },
];

function withTimeout(promise, ms, label) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${label}`)), ms);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(timer));
}

/** Resolves with the args array of the next `event` on emitter; rejects after ms. */
function once(emitter, event, label, ms = WAIT_MS) {
  let handler;
  const p = new Promise((resolve) => {
    handler = (...args) => resolve(args);
    emitter.once(event, handler);
  });
  return withTimeout(p, ms, label || `event "${event}"`).catch((err) => {
    emitter.off(event, handler);
    throw err;
  });
}

/**
 * Emits with an ack and resolves with every argument of the ack (array).
 * Uses the client's own ack timeout (socket.timeout) as the safety timeout.
 */
function ack(socket, event, ...args) {
  return new Promise((resolve, reject) => {
    socket.timeout(WAIT_MS).emit(event, ...args, (err, ...res) => {
      if (err) reject(new Error(`no ack for "${event}" within ${WAIT_MS} ms (${err.message})`));
      else resolve(res);
    });
  });
}

/**
 * Ordered log of every event a socket receives (via onAny), so a test can wait for a later
 * marker and then assert what did or did not arrive before it. Messages on one connection
 * arrive in the order the server sent them, so "marker arrived, X did not" proves X was never
 * sent before the marker.
 */
class EventLog {
  constructor(socket, name) {
    this.name = name || socket.id;
    this.entries = [];
    this.waiters = [];
    socket.onAny((event, ...args) => {
      this.entries.push({ event, args });
      for (const w of [...this.waiters]) w();
    });
  }

  events(name) {
    return this.entries.filter((e) => e.event === name);
  }

  /** Resolves with the first entry matching pred (already logged or future). */
  waitFor(pred, label, ms = WAIT_MS) {
    const found = this.entries.find(pred);
    if (found) return Promise.resolve(found);
    let w;
    const p = new Promise((resolve) => {
      w = () => {
        const e = this.entries.find(pred);
        if (e) resolve(e);
      };
      this.waiters.push(w);
    });
    return withTimeout(p, ms, `${label} on ${this.name}`).finally(() => {
      const i = this.waiters.indexOf(w);
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }

  waitForEvent(event, pred = () => true, ms = WAIT_MS) {
    return this.waitFor((e) => e.event === event && pred(...e.args), `event "${event}"`, ms);
  }
}

/** Waits until the engine runs on websocket after polling (resolves at once if it already does). */
function waitUpgrade(engine, ms = WAIT_MS) {
  if (engine.transport && engine.transport.name === 'websocket') return Promise.resolve();
  let onUp, onErr;
  const p = new Promise((resolve, reject) => {
    onUp = () => resolve();
    onErr = (err) => reject(new Error(`upgrade to websocket failed: ${err && err.message}`));
    engine.on('upgrade', onUp);
    engine.on('upgradeError', onErr);
  });
  return withTimeout(p, ms, 'engine "upgrade" (polling → websocket)').finally(() => {
    engine.off('upgrade', onUp);
    engine.off('upgradeError', onErr);
  });
}

/*
 * Heartbeat tolerance on the CLIENT side only.
 *
 * The server under test announces pingInterval 300 / pingTimeout 200, so the real client would
 * give up on the server ("ping timeout") when its own process does not get to run for ~200 ms
 * around an expected ping — which happens on a loaded 2-core machine and has nothing to do with
 * the server. engine.io-client emits "handshake" with the very object it then reads
 * pingInterval/pingTimeout from (Socket#onHandshake), so a listener can record the announced
 * values (engine.announced) and widen the client's own patience before the client uses them.
 * Nothing on the wire changes: EIO4 clients never send pings, they only answer the server's.
 * Set SOCKIO_STRICT_CLIENT_PING=1 to leave the client's timer as announced.
 */
const CLIENT_PING_PATIENCE_MS = 10000;

function relaxClientPingTimeout(engine) {
  engine.once('handshake', (data) => {
    engine.announced = { ...data };
    if (!process.env.SOCKIO_STRICT_CLIENT_PING && typeof data.pingTimeout === 'number') {
      data.pingTimeout = Math.max(data.pingTimeout, CLIENT_PING_PATIENCE_MS);
    }
  });
}

/** Client-side reasons after which it is worth asking the server why the connection ended. */
const UNEXPECTED_CLIENT_REASONS = new Set(['transport close', 'transport error', 'ping timeout', 'parse error']);

/**
 * Tracks every socket/manager one test attempt creates; closeAll() closes them.
 * Records each socket's id (on connect) and client-side disconnect reasons, so that after a
 * failure serverPingTimeouts() can ask the server which of them it dropped for "ping timeout".
 */
class Clients {
  constructor(url) {
    this.url = url;
    this.sockets = new Set();
    this.managers = new Set();
    // Ids of connections made elsewhere (e.g. in a browser page) that ended unexpectedly.
    this.extraSuspects = [];
  }

  _watch(socket) {
    if (socket.__watched) return;
    socket.__watched = true;
    socket.__ids = [];
    socket.__reasons = [];
    socket.on('connect', () => socket.__ids.push(socket.id));
    socket.on('disconnect', (reason) => socket.__reasons.push(reason));
  }

  /**
   * Ids of sockets the SERVER dropped for "ping timeout" although the test did not starve them
   * on purpose (socket.__expectPingTimeout). A server-side ping timeout of an innocent socket
   * means the machine was too loaded to answer a ping within the server's 200 ms, not that the
   * server is wrong. Asked through the app's `reason` event on a fresh connection.
   */
  async serverPingTimeouts() {
    const suspects = [...this.extraSuspects];
    for (const s of this.sockets) {
      if (s.__expectPingTimeout || !s.__ids) continue;
      if (s.__reasons.some((r) => UNEXPECTED_CLIENT_REASONS.has(r))) suspects.push(...s.__ids);
    }
    if (suspects.length === 0) return [];
    const probe = io(this.url + '/', { forceNew: true, reconnection: false, transports: ['websocket'], timeout: WAIT_MS });
    relaxClientPingTimeout(probe.io.engine);
    try {
      await withTimeout(new Promise((resolve, reject) => {
        probe.once('connect', resolve);
        probe.once('connect_error', reject);
      }), WAIT_MS, 'probe connection');
      const out = [];
      for (const id of suspects) {
        const [reason] = await ack(probe, 'reason', id);
        if (reason === 'ping timeout') out.push(id);
      }
      return out;
    } catch (_) {
      return [];
    } finally {
      probe.disconnect();
    }
  }

  /**
   * Creates a socket (own Manager, no reconnection) and starts connecting.
   * Returns {socket, waitAuth, connected} where waitAuth() resolves with the args of the first
   * `auth` event and connected resolves once 'connect' fired (and, in an upgrade
   * mode, once the engine upgraded) or rejects on 'connect_error'.
   */
  open(nsp, mode, extra = {}) {
    const socket = io(this.url + nsp, {
      forceNew: true,
      reconnection: false,
      timeout: WAIT_MS,
      ...mode.opts,
      ...extra,
    });
    this.sockets.add(socket);
    this.managers.add(socket.io);
    this._watch(socket);
    relaxClientPingTimeout(socket.io.engine);
    // Record the first `auth` event from the start; waitAuth() only arms a timer when called
    // (a pending timer would keep the process alive after the tests).
    let authArgs = null;
    const authWaiters = [];
    socket.once('auth', (...args) => {
      authArgs = args;
      authWaiters.splice(0).forEach((fn) => fn(args));
    });
    const waitAuth = () => (authArgs ? Promise.resolve(authArgs)
      : withTimeout(new Promise((resolve) => authWaiters.push(resolve)), WAIT_MS, `"auth" event on ${nsp}`));
    const connected = this._connected(socket, nsp, mode);
    return { socket, waitAuth, connected };
  }

  async _connected(socket, nsp, mode) {
    const upgraded = mode.upgrade ? waitUpgrade(socket.io.engine) : Promise.resolve();
    upgraded.catch(() => {});
    let onConnect, onError;
    const p = new Promise((resolve, reject) => {
      onConnect = () => resolve();
      onError = (err) => reject(Object.assign(new Error(`connect_error on ${nsp}: ${err.message}`), { cause: err }));
      socket.once('connect', onConnect);
      socket.once('connect_error', onError);
    });
    try {
      await withTimeout(p, WAIT_MS, `"connect" on ${nsp} (${mode.name})`);
    } finally {
      socket.off('connect', onConnect);
      socket.off('connect_error', onError);
    }
    await upgraded;
    return socket;
  }

  /** Opens and waits for the connection; returns the socket, with socket.waitAuth(). */
  async connect(nsp, mode, extra = {}) {
    const { socket, waitAuth, connected } = this.open(nsp, mode, extra);
    await connected;
    socket.waitAuth = waitAuth;
    return socket;
  }

  /** A Manager (one engine connection) for multiplexing several namespaces. */
  manager(mode, extra = {}) {
    const m = new Manager(this.url, {
      reconnection: false,
      timeout: WAIT_MS,
      ...mode.opts,
      ...extra,
    });
    this.managers.add(m);
    relaxClientPingTimeout(m.engine);
    return m;
  }

  /** Registers a socket made from manager() (m.socket(nsp)) for cleanup and diagnosis. */
  track(socket) {
    this.sockets.add(socket);
    this.managers.add(socket.io);
    this._watch(socket);
    return socket;
  }

  closeAll() {
    for (const s of this.sockets) {
      try { s.disconnect(); } catch (_) { /* already gone */ }
    }
    for (const m of this.managers) {
      try { if (m.engine) m.engine.close(); } catch (_) { /* already gone */ }
    }
    this.sockets.clear();
    this.managers.clear();
  }
}

module.exports = {
  MODES, WAIT_MS, withTimeout, once, ack, EventLog, waitUpgrade, Clients, relaxClientPingTimeout,
};
