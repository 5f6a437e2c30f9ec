'use strict';
/*
 * Disconnect reasons on both sides — per transport mode.
 *
 * Server-side reasons are read through the app's `reason` event from a second, healthy socket
 * (the watcher): the server answers once the socket in question has disconnected, so the test
 * waits on that ack (safety timeout), never on a clock.
 */

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, once } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();

/** Asks the server, through `watcher`, for the server-side disconnect reason of socket `id`. */
async function serverReason(watcher, id) {
  const [reason] = await ack(watcher, 'reason', id);
  return reason;
}

/*
 * Making the REAL client stop answering pings.
 * In Engine.IO 4 the server sends "ping" (2) and the client must answer "pong" (3) within
 * pingTimeout. engine.io-client 6.6.x answers in Socket#_onPacket by calling
 * this._sendPacket("pong"); every packet the client sends goes through that one method. Replacing
 * it on this one engine instance with a filter that drops "pong" (and passes everything else on)
 * leaves the client otherwise untouched: it keeps receiving pings and keeps its transport open,
 * so the only thing that can end the connection is the server's heartbeat check.
 */
function stopAnsweringPings(socket) {
  const engine = socket.io.engine;
  assert.equal(typeof engine._sendPacket, 'function',
    'engine.io-client internals changed: Socket#_sendPacket is gone, update stopAnsweringPings()');
  const original = engine._sendPacket;
  let dropped = 0;
  engine._sendPacket = function sendPacketWithoutPong(type, ...rest) {
    if (type === 'pong') {
      dropped++;
      return undefined;
    }
    return original.call(this, type, ...rest);
  };
  socket.__expectPingTimeout = true; // tells the harness this loss is intended
  return () => dropped;
}

for (const mode of MODES) {
  describe(`disconnect [${mode.name}]`, () => {
    it('client disconnect(): client "io client disconnect", server "client namespace disconnect"', async (c) => {
      const w = await c.connect('/', mode);
      const x = await c.connect('/', mode);
      const id = x.id;
      assert.equal(x.io.engine.transport.name, mode.expect);
      const clientSide = once(x, 'disconnect');
      x.disconnect();
      const [reason] = await clientSide;
      assert.equal(reason, 'io client disconnect');
      assert.equal(await serverReason(w, id), 'client namespace disconnect');
      assert.equal(x.active, false);
      w.disconnect();
    });

    it('client leaves one namespace of a shared connection: "client namespace disconnect"', async (c) => {
      const w = await c.connect('/', mode);
      const m = c.manager(mode);
      const root = c.track(m.socket('/'));
      const cust = c.track(m.socket('/custom'));
      await Promise.all([once(root, 'connect'), once(cust, 'connect')]);
      const id = cust.id;
      cust.disconnect();
      assert.equal(await serverReason(w, id), 'client namespace disconnect');
      // The other namespace on the same connection is unaffected.
      assert.deepEqual(await ack(root, 'echo', 'alive'), ['alive']);
      const rootId = root.id;
      root.disconnect();
      assert.equal(await serverReason(w, rootId), 'client namespace disconnect');
      w.disconnect();
    });

    it('client closes the whole connection: server "transport close"', async (c) => {
      const w = await c.connect('/', mode);
      const x = await c.connect('/', mode);
      const id = x.id;
      const clientSide = once(x, 'disconnect');
      x.io.engine.close();
      const [reason] = await clientSide;
      assert.equal(reason, 'forced close', 'engine.close() is reported as "forced close" by the client');
      assert.equal(await serverReason(w, id), 'transport close');
      w.disconnect();
    });

    it('server kick: client "io server disconnect" (no reconnection), server "server namespace disconnect"', async (c) => {
      const w = await c.connect('/', mode);
      const x = await c.connect('/', mode);
      const id = x.id;
      const clientSide = once(x, 'disconnect');
      x.emit('kick');
      const [reason] = await clientSide;
      assert.equal(reason, 'io server disconnect');
      assert.equal(x.active, false, 'no automatic reconnection after a server kick');
      assert.equal(await serverReason(w, id), 'server namespace disconnect');
      w.disconnect();
    });

    it('server kick on /custom leaves "/" of the same connection up', async (c) => {
      const w = await c.connect('/', mode);
      const m = c.manager(mode);
      const root = c.track(m.socket('/'));
      const cust = c.track(m.socket('/custom'));
      await Promise.all([once(root, 'connect'), once(cust, 'connect')]);
      const id = cust.id;
      const clientSide = once(cust, 'disconnect');
      cust.emit('kick');
      const [reason] = await clientSide;
      assert.equal(reason, 'io server disconnect');
      assert.equal(await serverReason(w, id), 'server namespace disconnect');
      assert.deepEqual(await ack(root, 'echo', 'alive'), ['alive']);
      w.disconnect();
    });

    it('server closes the connection (close-transport): client "transport close", server "forced close"', async (c) => {
      const w = await c.connect('/', mode);
      const x = await c.connect('/', mode);
      const id = x.id;
      assert.equal(x.io.engine.transport.name, mode.expect);
      const clientSide = once(x, 'disconnect');
      x.emit('close-transport');
      const [reason] = await clientSide;
      assert.equal(reason, 'transport close');
      assert.equal(await serverReason(w, id), 'forced close');
      w.disconnect();
    });

    it('client stops answering pings: server "ping timeout"', async (c) => {
      const w = await c.connect('/', mode);
      const x = await c.connect('/', mode);
      const id = x.id;
      assert.equal(x.io.engine.transport.name, mode.expect);
      const droppedPongs = stopAnsweringPings(x);
      const clientSide = once(x, 'disconnect', 'the starved client to lose its connection');
      // The server answers once it has dropped x (at most 5 s), which it must do for "ping timeout".
      assert.equal(await serverReason(w, id), 'ping timeout');
      assert.ok(droppedPongs() >= 1, 'the client did receive at least one ping and did not answer it');
      const [clientReason] = await clientSide;
      assert.ok(['transport close', 'ping timeout'].includes(clientReason),
        `client-side reason after the server gave up: ${clientReason}`);
      // The watcher, which answers its pings, is still connected.
      assert.deepEqual(await ack(w, 'echo', 'alive'), ['alive']);
      w.disconnect();
    });
  });
}
