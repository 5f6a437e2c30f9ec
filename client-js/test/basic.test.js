'use strict';
// Connect, auth, events both ways, acks both ways, server ack timeout — per transport mode.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, once } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();


for (const mode of MODES) {
  describe(`basic [${mode.name}]`, () => {
    it('connects; auth arrives; transport in use is the expected one', async (c) => {
      const auth = { token: 'abc', n: 1, nested: { list: [1, 'two', null] } };
      const s = await c.connect('/', mode, { auth });
      try {
        assert.equal(s.connected, true);
        assert.equal(typeof s.id, 'string');
        assert.ok(s.id.length > 0);
        assert.notEqual(s.id, s.io.engine.id, 'socket id must not be the engine sid');
        assert.equal(s.io.engine.transport.name, mode.expect);
        // What the server announced in the Engine.IO handshake (the contract's timings).
        const hs = s.io.engine.announced;
        assert.equal(hs.pingInterval, 300);
        assert.equal(hs.pingTimeout, 200);
        assert.equal(hs.maxPayload, 1000000);
        assert.equal(hs.sid, s.io.engine.id);
        assert.deepEqual(hs.upgrades, mode.name === 'websocket-only' ? [] : ['websocket']);
        const [payload] = await s.waitAuth();
        assert.deepEqual(payload, auth);
      } finally {
        s.disconnect();
      }
    });

    it('auth is {} when the client sends none; /custom also emits auth', async (c) => {
      const s = await c.connect('/', mode);
      const cu = await c.connect('/custom', mode, { auth: { who: 'custom' } });
      try {
        assert.deepEqual((await s.waitAuth())[0], {});
        assert.deepEqual((await cu.waitAuth())[0], { who: 'custom' });
        assert.equal(cu.io.engine.transport.name, mode.expect);
      } finally {
        s.disconnect();
        cu.disconnect();
      }
    });

    it('events both ways: message → message-back with the same args', async (c) => {
      const s = await c.connect('/', mode);
      try {
        const args = ['text', 42, 1.5, true, null, { a: [1, { b: 'c' }] }, ['x', ['y']], 'ünïcödé ☃ 𝄞'];
        const back = once(s, 'message-back');
        s.emit('message', ...args);
        assert.deepEqual(await back, args);

        const back0 = once(s, 'message-back', 'message-back with no args');
        s.emit('message');
        assert.deepEqual(await back0, []);
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.disconnect();
      }
    });

    it('client → server acks: echo and message-with-ack return the same args', async (c) => {
      const s = await c.connect('/', mode);
      try {
        assert.deepEqual(await ack(s, 'echo', 'a', 1, { k: ['v'] }), ['a', 1, { k: ['v'] }]);
        assert.deepEqual(await ack(s, 'echo'), []);
        assert.deepEqual(await ack(s, 'message-with-ack', { x: null }, [1, 2]), [{ x: null }, [1, 2]]);
        // Many acks in flight at once, each answered with its own id.
        const many = await Promise.all(Array.from({ length: 20 }, (_, i) => ack(s, 'echo', i, `n${i}`)));
        many.forEach((res, i) => assert.deepEqual(res, [i, `n${i}`]));
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.disconnect();
      }
    });

    it('server → client ack: ask makes the server emit with an ack the client answers', async (c) => {
      const s = await c.connect('/', mode);
      try {
        s.on('question', (a, b, cb) => {
          cb(`${a}!`, b * 2, { got: [a, b] });
        });
        const [res] = await ack(s, 'ask', { event: 'question', args: ['hi', 21], timeout: 5000 });
        assert.deepEqual(res, { args: ['hi!', 42, { got: ['hi', 21] }] });

        // An ack with no arguments.
        s.on('noargs', (cb) => cb());
        const [res0] = await ack(s, 'ask', { event: 'noargs', args: [], timeout: 5000 });
        assert.deepEqual(res0, { args: [] });
      } finally {
        s.disconnect();
      }
    });

    it('server ack with timeout fails cleanly when the client never answers', async (c) => {
      const s = await c.connect('/', mode);
      try {
        // The client has no handler for "unanswered": the server's ack times out after 200 ms.
        const [res] = await ack(s, 'ask', { event: 'unanswered', args: [1], timeout: 200 });
        assert.equal(typeof res, 'object');
        assert.deepEqual(Object.keys(res), ['error']);
        assert.equal(res.error, 'operation has timed out');
        // The connection is still fine afterwards.
        assert.deepEqual(await ack(s, 'echo', 'still here'), ['still here']);
        assert.equal(s.connected, true);
      } finally {
        s.disconnect();
      }
    });

    it('bcast reaches every other socket of the namespace, not the sender', async (c) => {
      const a = await c.connect('/', mode);
      const b = await c.connect('/', mode);
      const other = await c.connect('/custom', mode);
      try {
        let aGot = 0;
        let otherGot = 0;
        a.on('bcast', () => { aGot++; });
        other.on('bcast', () => { otherGot++; });
        const got = once(b, 'bcast');
        a.emit('bcast', 'hello', { n: 1 });
        assert.deepEqual(await got, ['hello', { n: 1 }]);
        // A's echo reply is written after anything the server sent A while handling bcast.
        await ack(a, 'echo', 'marker');
        await ack(other, 'echo', 'marker');
        assert.equal(aGot, 0, 'sender must not get its own bcast');
        assert.equal(otherGot, 0, 'other namespace must not get the bcast');
      } finally {
        a.disconnect();
        b.disconnect();
        other.disconnect();
      }
    });
  });
}
