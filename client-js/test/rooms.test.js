'use strict';
/*
 * Rooms — per transport mode.
 *
 * Proving that something did NOT arrive, without sleeping: every socket keeps an ordered log of
 * what it receives. After the broadcast under test, the same sender broadcasts a marker to a
 * room every socket is in ("all-<n>"). The server handles the sender's packets in order, and one
 * connection delivers in order, so once a socket has the marker, anything the server sent it for
 * the earlier broadcast is already in its log. The sender itself is checked the same way with
 * the ack of its own `to` request (written after any copy the server would have sent it).
 */

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, EventLog } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();
let seq = 0;


/** Connects n sockets on nsp, each logging its events; all join a fresh common room. */
async function group(c, mode, names, nsp = '/') {
  const all = `all-${++seq}`;
  const out = {};
  for (const name of names) {
    const s = await c.connect(nsp, mode);
    const log = new EventLog(s, name);
    assert.deepEqual(await ack(s, 'join', all), [true]);
    out[name] = { s, log };
  }
  return { all, ...out, close: () => names.forEach((n) => out[n].s.disconnect()) };
}

async function join(member, room) {
  assert.deepEqual(await ack(member.s, 'join', room), [true]);
}

async function leave(member, room) {
  assert.deepEqual(await ack(member.s, 'leave', room), [true]);
}

/** sender.to(rooms).except(except).emit(event, ...args), waiting for the server's ack. */
async function to(sender, rooms, event, args, except) {
  const req = { rooms, event, args };
  if (except) req.except = except;
  assert.deepEqual(await ack(sender.s, 'to', req), [true]);
}

/** Sends a marker from `sender` to the group's common room; waits until each of `receivers` has it. */
async function marker(g, sender, receivers) {
  const id = `m${++seq}`;
  await to(sender, [g.all], 'marker', [id]);
  await Promise.all(receivers.map((r) => r.log.waitForEvent('marker', (x) => x === id)));
}

for (const mode of MODES) {
  describe(`rooms [${mode.name}]`, () => {
    it('volatile.to(room) reaches the room\'s other members, not the sender', async (c) => {
      const g = await group(c, mode, ['A', 'B', 'C']);
      try {
        const r = `r-${++seq}`;
        await join(g.A, r);
        await join(g.B, r);
        // C is not in the room.
        const req = { rooms: [r], event: 'vnote', args: ['v'], volatile: true };
        assert.deepEqual(await ack(g.A.s, 'to', req), [true]);
        const b = await g.B.log.waitForEvent('vnote');
        assert.deepEqual(b.args, ['v']);
        // The ack of A's request came after anything sent to A for it.
        assert.equal(g.A.log.events('vnote').length, 0, 'sender must not get its own volatile room broadcast');
        await marker(g, g.B, [g.A, g.C]);
        assert.equal(g.C.log.events('vnote').length, 0, 'non-member must not get the room broadcast');
        assert.equal(g.B.log.events('vnote').length, 1);
      } finally {
        g.close();
      }
    });

    it('to(room) reaches the room\'s other members, not the sender', async (c) => {
      const g = await group(c, mode, ['A', 'B', 'C', 'D']);
      try {
        const r = `r-${++seq}`;
        await join(g.A, r);
        await join(g.B, r);
        await join(g.C, r);
        // D is not in the room.
        await to(g.A, [r], 'note', ['hi', { n: 1 }]);
        const [b, c] = await Promise.all([
          g.B.log.waitForEvent('note'),
          g.C.log.waitForEvent('note'),
        ]);
        assert.deepEqual(b.args, ['hi', { n: 1 }]);
        assert.deepEqual(c.args, ['hi', { n: 1 }]);
        // The ack of A's request came after anything sent to A for it.
        assert.equal(g.A.log.events('note').length, 0, 'sender must not get its own room broadcast');
        await marker(g, g.B, [g.A, g.C, g.D]);
        assert.equal(g.D.log.events('note').length, 0, 'non-member must not get the room broadcast');
        assert.equal(g.B.log.events('note').length, 1);
        assert.equal(g.C.log.events('note').length, 1);
        for (const m of [g.A, g.B, g.C, g.D]) assert.equal(m.s.io.engine.transport.name, mode.expect);
      } finally {
        g.close();
      }
    });

    it('except excludes the members of a room', async (c) => {
      const g = await group(c, mode, ['A', 'B', 'C']);
      try {
        const r = `r-${++seq}`;
        const x = `x-${++seq}`;
        await join(g.A, r);
        await join(g.B, r);
        await join(g.C, r);
        await join(g.C, x);
        await to(g.A, [r], 'note', ['not for x'], [x]);
        await g.B.log.waitForEvent('note');
        await marker(g, g.A, [g.B, g.C]);
        assert.equal(g.C.log.events('note').length, 0, 'a member of the excepted room must not get it');
        assert.equal(g.B.log.events('note').length, 1);
        assert.equal(g.A.log.events('note').length, 0);
      } finally {
        g.close();
      }
    });

    it('after leave, room broadcasts no longer arrive', async (c) => {
      const g = await group(c, mode, ['A', 'B', 'C']);
      try {
        const r = `r-${++seq}`;
        await join(g.A, r);
        await join(g.B, r);
        await join(g.C, r);
        await to(g.A, [r], 'note', ['before']);
        await Promise.all([g.B.log.waitForEvent('note'), g.C.log.waitForEvent('note')]);

        await leave(g.B, r);
        await to(g.A, [r], 'note', ['after']);
        await g.C.log.waitForEvent('note', (v) => v === 'after');
        await marker(g, g.A, [g.B, g.C]);
        assert.deepEqual(g.B.log.events('note').map((e) => e.args[0]), ['before'],
          'the socket that left must not get the second broadcast');
        assert.deepEqual(g.C.log.events('note').map((e) => e.args[0]), ['before', 'after']);
      } finally {
        g.close();
      }
    });

    it('a socket in two rooms gets one copy of a broadcast to both', async (c) => {
      const g = await group(c, mode, ['A', 'B', 'C']);
      try {
        const r1 = `r-${++seq}`;
        const r2 = `r-${++seq}`;
        await join(g.B, r1);
        await join(g.B, r2);
        await join(g.C, r2);
        await to(g.A, [r1, r2], 'dup', [1]);
        await marker(g, g.A, [g.B, g.C]);
        assert.equal(g.B.log.events('dup').length, 1, 'exactly one copy for a member of both rooms');
        assert.equal(g.C.log.events('dup').length, 1);
        // And the copy came before the marker.
        const idxDup = g.B.log.entries.findIndex((e) => e.event === 'dup');
        const idxMarker = g.B.log.entries.findIndex((e) => e.event === 'marker');
        assert.ok(idxDup < idxMarker, 'broadcasts from one sender arrive in order');
      } finally {
        g.close();
      }
    });

    it('rooms are per namespace', async (c) => {
      const g = await group(c, mode, ['A', 'B']);
      const h = await group(c, mode, ['C'], '/custom');
      try {
        const r = `r-${++seq}`;
        await join(g.B, r);
        await join(h.C, r); // same room name, other namespace
        await to(g.A, [r], 'note', ['slash']);
        await g.B.log.waitForEvent('note');
        // C is on another connection: A's `to` was acked (so the server had handed the
        // broadcast to every target) before C's echo was even sent; C's echo reply therefore
        // comes after any copy the server would have written to C.
        assert.deepEqual(await ack(h.C.s, 'echo', 'sync'), ['sync']);
        assert.equal(h.C.log.events('note').length, 0, 'a room of /custom must not get a broadcast on /');
      } finally {
        g.close();
        h.close();
      }
    });
  });
}
