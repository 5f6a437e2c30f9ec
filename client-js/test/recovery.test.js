'use strict';
/*
 * Connection state recovery with the official socket.io-client 4.8.4 in Node, per transport
 * mode, against the server under test run with -recovery (and -test-hooks).
 *
 * The transport under a connected client is killed server-side; while it is away another client
 * sends three events to its room; the client reconnects (socket.connect(), so that the test, not
 * the reconnection delay, decides when): socket.recovered is true, the id is the same, and the
 * three events arrive once each, in order, before "connect". An unknown pid and a client that
 * left the namespace itself (or was made to by the server) get a fresh socket.
 *
 * Every wait is on an event or an ack: the server's `reason` answer tells that it has
 * disconnected the socket (and so kept its session) before the test goes on.
 */

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, once, EventLog, relaxClientPingTimeout } = require('./lib/client');
const { setup } = require('./lib/harness');
const { RECOVERABLE, SERVER_ARGS, killTransport, serverReason, emitToRoom } = require('./lib/recovery');

const ctx = setup(SERVER_ARGS);
const { it } = ctx;
const WS = MODES.find((m) => m.name === 'websocket-only');

/** Reconnects a socket whose connection ended and waits for "connect". */
async function reconnect(socket) {
  const connected = once(socket, 'connect', 'reconnect');
  socket.connect();
  relaxClientPingTimeout(socket.io.engine); // the new engine's
  await connected;
}

for (const mode of MODES) {
  describe(`connection state recovery [${mode.name}]`, () => {
    it('transport killed server-side: recovered, same id, the three missed events once, in order', async (c) => {
      const room = `rec-${mode.name}`;
      const a = await c.connect('/', mode);
      await a.waitAuth(); // an event, hence an offset, has arrived
      assert.equal(a.recovered, false);
      const id = a.id;
      assert.deepEqual(await ack(a, 'join', room), [true]);

      const lost = once(a, 'disconnect', 'disconnect of the killed transport');
      await killTransport(ctx.server, async () => a.emit('close-transport'));
      const [clientReason] = await lost;
      assert.ok(['transport close', 'transport error'].includes(clientReason), clientReason);

      const b = await c.connect('/', WS);
      assert.ok(RECOVERABLE.has(await serverReason(b, id)), 'server-side reason is recoverable');
      await emitToRoom(b, room, 'missed', [1, 2, 3]);

      const log = new EventLog(a, 'recovering client');
      await reconnect(a);
      assert.equal(a.recovered, true, 'socket.recovered');
      assert.equal(a.id, id, 'same socket id');
      // Missed events come before CONNECT: the client has emitted them by "connect".
      const missed = log.events('missed');
      assert.deepEqual(missed.map((e) => e.args[0]), [1, 2, 3]);
      for (const e of missed) {
        assert.equal(e.args.length, 2, 'the event and its offset');
        assert.equal(typeof e.args[1], 'string', 'offset, a string, as the last argument');
      }
      assert.deepEqual(await ack(a, 'recovered'), [true], 'server-side socket.recovered');

      // Still in its room; nothing was delivered twice.
      await emitToRoom(b, room, 'after', ['marker']);
      await log.waitForEvent('after');
      assert.deepEqual(log.events('missed').map((e) => e.args[0]), [1, 2, 3]);
    });
  });
}

describe('connection state recovery: fresh sessions', () => {
  it('an unknown pid gives a fresh socket (recovered false)', async (c) => {
    const a = await c.connect('/', WS, { auth: { pid: 'no-such-session', offset: '1-0' } });
    assert.equal(a.recovered, false);
    assert.deepEqual(await ack(a, 'recovered'), [false]);
    const [auth] = await a.waitAuth();
    assert.equal(auth.pid, 'no-such-session', 'the CONNECT carried the pid');
  });

  it('a client namespace disconnect is not recoverable', async (c) => {
    const room = 'rec-client-disconnect';
    const a = await c.connect('/', WS);
    await a.waitAuth();
    const id = a.id;
    await ack(a, 'join', room);
    const b = await c.connect('/', WS);
    a.disconnect();
    assert.equal(await serverReason(b, id), 'client namespace disconnect');
    await emitToRoom(b, room, 'missed', [1]);
    const log = new EventLog(a, 'reconnecting client');
    await reconnect(a); // sends its pid and offset again
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
    assert.deepEqual(await ack(a, 'recovered'), [false]);
    assert.deepEqual(log.events('missed'), []);
  });

  it('a server namespace disconnect is not recoverable', async (c) => {
    const a = await c.connect('/', WS);
    await a.waitAuth();
    const id = a.id;
    const b = await c.connect('/', WS);
    const gone = once(a, 'disconnect');
    a.emit('kick');
    assert.equal((await gone)[0], 'io server disconnect');
    assert.equal(await serverReason(b, id), 'server namespace disconnect');
    await reconnect(a);
    assert.equal(a.recovered, false);
    assert.notEqual(a.id, id);
  });
});
