'use strict';
// Namespaces: middleware refusal, dynamic namespaces, unknown namespaces, multiplexing — per mode.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, once, waitUpgrade } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();


/** Opens a socket expected to be refused; resolves with the connect_error Error. */
async function refused(c, nsp, mode, extra) {
  const { socket, connected } = c.open(nsp, mode, extra);
  try {
    await connected;
  } catch (err) {
    assert.ok(err.cause, `expected a connect_error on ${nsp}, got: ${err.message}`);
    assert.equal(socket.connected, false);
    return { err: err.cause, socket };
  }
  socket.disconnect();
  throw new Error(`${nsp} connected although it must be refused`);
}

MODES.forEach((mode, modeIndex) => {
  describe(`namespaces [${mode.name}]`, () => {
    it('/admin with a bad token: connect_error "not authorized" with data', async (c) => {
      const { err, socket } = await refused(c, '/admin', mode, { auth: { token: 'wrong' } });
      try {
        assert.ok(err instanceof Error);
        assert.equal(err.message, 'not authorized');
        assert.deepEqual(err.data, { reason: 'bad token' });
        assert.equal(socket.active, false, 'a refused socket does not retry');
      } finally {
        socket.disconnect();
      }
    });

    it('/admin with no auth at all is refused the same way', async (c) => {
      const { err, socket } = await refused(c, '/admin', mode);
      try {
        assert.equal(err.message, 'not authorized');
        assert.deepEqual(err.data, { reason: 'bad token' });
      } finally {
        socket.disconnect();
      }
    });

    it('/admin with the good token connects and works', async (c) => {
      const s = await c.connect('/admin', mode, { auth: { token: 'secret' } });
      try {
        assert.equal(s.connected, true);
        assert.equal(s.io.engine.transport.name, mode.expect);
        assert.deepEqual((await s.waitAuth())[0], { token: 'secret' });
        assert.deepEqual(await ack(s, 'echo', 'admin', 1), ['admin', 1]);
      } finally {
        s.disconnect();
      }
    });

    it('dynamic namespace /dyn-7 connects and works', async (c) => {
      const s = await c.connect('/dyn-7', mode, { auth: { d: 7 } });
      try {
        assert.equal(s.connected, true);
        assert.equal(s.io.engine.transport.name, mode.expect);
        assert.deepEqual((await s.waitAuth())[0], { d: 7 });
        assert.deepEqual(await ack(s, 'echo', 'dyn'), ['dyn']);
        const back = once(s, 'message-back');
        s.emit('message', 'm');
        assert.deepEqual(await back, ['m']);
      } finally {
        s.disconnect();
      }
    });

    it('unknown namespaces get connect_error "Invalid namespace"', async (c) => {
      for (const nsp of ['/nope', '/dyn-x', '/dyn-7/sub']) {
        const { err, socket } = await refused(c, nsp, mode);
        try {
          assert.ok(err instanceof Error);
          assert.equal(err.message, 'Invalid namespace', `message for ${nsp}`);
          assert.equal(err.data, undefined, `no data for ${nsp}`);
        } finally {
          socket.disconnect();
        }
      }
    });

    it('several namespaces multiplexed on one connection', async (c) => {
      const m = c.manager(mode);
      const root = c.track(m.socket('/'));
      const custom = c.track(m.socket('/custom', { auth: { c: 1 } }));
      const admin = c.track(m.socket('/admin', { auth: { token: 'secret' } }));
      const dyn = c.track(m.socket('/dyn-42'));
      // (A Manager keeps one socket per namespace: the refused one must be another namespace.)
      const bad = c.track(m.socket('/nope'));
      try {
        const all = [root, custom, admin, dyn];
        // Listeners first, then connect: the sockets share one engine connection.
        const auths = all.map((s) => once(s, 'auth'));
        const conns = all.map((s) => once(s, 'connect'));
        const badErr = once(bad, 'connect_error');
        await Promise.all([...conns, badErr]);
        if (mode.upgrade) await waitUpgrade(m.engine);
        assert.equal(m.engine.transport.name, mode.expect);
        const [e] = await badErr;
        assert.equal(e.message, 'Invalid namespace');

        assert.deepEqual((await auths[1])[0], { c: 1 });
        assert.deepEqual((await auths[2])[0], { token: 'secret' });
        const ids = new Set(all.map((s) => s.id));
        assert.equal(ids.size, all.length, 'every namespace socket has its own id');
        for (const s of all) assert.equal(s.io, m);

        // Events on each namespace stay on it; the refusal did not close the connection.
        const res = await Promise.all(all.map((s, i) => ack(s, 'echo', 'ns', i)));
        res.forEach((r, i) => assert.deepEqual(r, ['ns', i]));

        // Leaving one namespace keeps the others (and the connection) up.
        custom.disconnect();
        assert.deepEqual(await ack(root, 'echo', 'still'), ['still']);
        assert.deepEqual(await ack(dyn, 'echo', 'still'), ['still']);
      } finally {
        for (const s of [root, custom, admin, dyn, bad]) s.disconnect();
        if (m.engine) m.engine.close();
      }
    });

    it('a middleware refusal on a shared connection leaves the other namespaces up', async (c) => {
      const m = c.manager(mode);
      const root = c.track(m.socket('/'));
      const bad = c.track(m.socket('/admin', { auth: { token: 'wrong' } }));
      try {
        const [errArgs] = await Promise.all([once(bad, 'connect_error'), once(root, 'connect')]);
        assert.equal(errArgs[0].message, 'not authorized');
        assert.deepEqual(errArgs[0].data, { reason: 'bad token' });
        if (mode.upgrade) await waitUpgrade(m.engine);
        assert.equal(m.engine.transport.name, mode.expect);
        assert.deepEqual(await ack(root, 'echo', 'up'), ['up']);
        assert.equal(root.connected, true);
      } finally {
        root.disconnect();
        bad.disconnect();
        if (m.engine) m.engine.close();
      }
    });

    it('an empty dynamic child is removed, and made again with the parent\'s middleware and handlers', async (c) => {
      const name = `/dyn-90${modeIndex}`;
      const m = c.manager(mode);
      const root = c.track(m.socket('/'));
      const dyn = c.track(m.socket(name, { auth: { d: 1 } }));
      try {
        const firstAuth = once(dyn, 'auth');
        await Promise.all([once(root, 'connect'), once(dyn, 'connect')]);
        if (mode.upgrade) await waitUpgrade(m.engine);
        assert.deepEqual((await firstAuth)[0], { d: 1 });
        assert.ok((await ack(root, 'nsp-children'))[0].includes(name), `${name} exists while joined`);

        // Leaving sends DISCONNECT on the shared connection before the next event, so the
        // server has handled it when it answers.
        dyn.disconnect();
        assert.ok(!(await ack(root, 'nsp-children'))[0].includes(name), `${name} removed once empty`);

        // The parent's middleware still guards the name, and a refusal leaves no child.
        const { socket: denied } = await refused(c, name, mode, { auth: { deny: true } });
        denied.disconnect();
        assert.ok(!(await ack(root, 'nsp-children'))[0].includes(name), `${name} not left by a refusal`);

        // Joining again makes the child anew with the parent's handlers.
        const againAuth = once(dyn, 'auth');
        const again = once(dyn, 'connect');
        dyn.connect();
        await again;
        assert.deepEqual((await againAuth)[0], { d: 1 });
        assert.deepEqual(await ack(dyn, 'echo', 'back', 2), ['back', 2]);
        assert.ok((await ack(root, 'nsp-children'))[0].includes(name), `${name} exists again`);
        assert.equal(m.engine.transport.name, mode.expect);
      } finally {
        root.disconnect();
        dyn.disconnect();
        if (m.engine) m.engine.close();
      }
    });
  });
});
