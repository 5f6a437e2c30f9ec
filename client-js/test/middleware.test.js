'use strict';
// Per-socket event middleware (socket.use) and outgoing listeners (socket.onAnyOutgoing), seen
// from socket.io-client 4.x: a refused event never reaches its handler, the server-side error
// listener gets the error, the client stays connected with no answer; every emit and broadcast
// to the socket is seen by its outgoing listener, ack replies are not.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, EventLog } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();

for (const mode of MODES) {
  describe(`socket middleware [${mode.name}]`, () => {
    it('a refused event reaches no handler; the error handler gets it; the client stays', async (c) => {
      const s = await c.connect('/', mode);
      const log = new EventLog(s);
      let acked = false;
      s.emit('forbidden', 1, 'two', () => { acked = true; });
      // Events run in order on the server: once "errors" answers, "forbidden" has been handled.
      const [errors] = await ack(s, 'errors');
      assert.deepEqual(errors, ['forbidden']);
      const back = log.waitForEvent('message-back');
      s.emit('message', 'after');
      assert.deepEqual((await back).args, ['after']);
      assert.equal(log.events('reached').length, 0, 'the refused event reached its handler');
      assert.equal(acked, false, 'a refused event was answered');
      assert.equal(s.connected, true);
      assert.equal(s.io.engine.transport.name, mode.expect);
    });

    it('onAnyOutgoing sees every emit and broadcast to the socket, not ack replies', async (c) => {
      const s = await c.connect('/', mode);
      const other = await c.connect('/', mode);
      const log = new EventLog(s);
      await s.waitAuth();
      assert.deepEqual(await ack(s, 'echo', 'x'), ['x']); // an ack reply: not outgoing
      const back = log.waitForEvent('message-back');
      s.emit('message', 1);
      await back;
      const bcast = log.waitForEvent('bcast');
      other.emit('bcast', 'hi');
      assert.deepEqual((await bcast).args, ['hi']);
      const [outgoing] = await ack(s, 'outgoing');
      assert.deepEqual(outgoing, ['auth', 'message-back', 'bcast']);
    });
  });
}
