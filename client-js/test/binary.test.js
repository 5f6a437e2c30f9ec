'use strict';
// Binary payloads (BINARY_EVENT / BINARY_ACK with attachments) both ways — per transport mode.

const { describe } = require('node:test');
const assert = require('node:assert/strict');
const { MODES, ack, once } = require('./lib/client');
const { setup } = require('./lib/harness');

const { it } = setup();


/** Deterministic bytes covering every byte value, plus edge cases. */
function bytes(n, seed) {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

const isBinary = (v) => Buffer.isBuffer(v) || v instanceof ArrayBuffer || ArrayBuffer.isView(v);

/** Replaces every binary leaf by {bin: <hex>} so deepEqual compares bytes exactly. */
function normalize(v) {
  if (isBinary(v)) {
    const buf = Buffer.isBuffer(v) ? v
      : v instanceof ArrayBuffer ? Buffer.from(v)
        : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
    return { bin: buf.toString('hex') };
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = normalize(v[k]);
    return o;
  }
  return v;
}

/** Counts binary leaves (to make sure binaries did not arrive as JSON objects). */
function countBinary(v) {
  if (isBinary(v)) return 1;
  if (Array.isArray(v)) return v.reduce((n, x) => n + countBinary(x), 0);
  if (v && typeof v === 'object') return Object.values(v).reduce((n, x) => n + countBinary(x), 0);
  return 0;
}

function payload() {
  return [
    'bin',
    bytes(256, 0),
    {
      nested: { deep: [1, bytes(3, 7), { x: bytes(1, 255) }] },
      empty: Buffer.alloc(0),
      text: 'not binary',
      list: [bytes(1000, 3), null, 'mid', bytes(17, 99)],
    },
    [[bytes(64 * 1024, 5)]],
    // Plain JSON after the binaries: must survive untouched.
    { note: 'plain', num: 0 },
  ];
}

for (const mode of MODES) {
  describe(`binary [${mode.name}]`, () => {
    it('binary in an event: message → message-back is byte-exact', async (c) => {
      const s = await c.connect('/', mode);
      try {
        const args = payload();
        const back = once(s, 'message-back');
        s.emit('message', ...args);
        const got = await back;
        assert.equal(countBinary(got), countBinary(args));
        assert.deepEqual(normalize(got), normalize(args));
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.disconnect();
      }
    });

    it('binary in an ack: echo is byte-exact', async (c) => {
      const s = await c.connect('/', mode);
      try {
        const args = payload();
        const got = await ack(s, 'echo', ...args);
        assert.equal(countBinary(got), countBinary(args));
        assert.deepEqual(normalize(got), normalize(args));
        // A lone buffer as the only argument.
        const one = bytes(5, 1);
        const gotOne = await ack(s, 'echo', one);
        assert.deepEqual(normalize(gotOne), normalize([one]));
        assert.equal(s.io.engine.transport.name, mode.expect);
      } finally {
        s.disconnect();
      }
    });

    it('server → client binary event, and binary in the client\'s ack back', async (c) => {
      const s = await c.connect('/', mode);
      try {
        const args = payload();
        let received;
        s.on('bin-question', (...a) => {
          const cb = a.pop();
          received = a;
          // Answer with binaries of our own, plus what we received.
          cb(bytes(9, 42), { again: a[1] });
        });
        const [res] = await ack(s, 'ask', { event: 'bin-question', args, timeout: 5000 });
        assert.ok(received, 'client got the server\'s event');
        assert.equal(countBinary(received), countBinary(args));
        assert.deepEqual(normalize(received), normalize(args));
        assert.ok(res && Array.isArray(res.args), `ask answered ${JSON.stringify(res)}`);
        assert.equal(countBinary(res.args), 2);
        assert.deepEqual(normalize(res.args), normalize([bytes(9, 42), { again: args[1] }]));
      } finally {
        s.disconnect();
      }
    });

    it('typed arrays and ArrayBuffers are sent as binary', async (c) => {
      const s = await c.connect('/', mode);
      try {
        const ab = new Uint8Array([0, 1, 2, 253, 254, 255]).buffer;
        const u16 = new Uint16Array([1, 0xffff]);
        const got = await ack(s, 'echo', ab, { u16 });
        assert.equal(countBinary(got), 2);
        assert.deepEqual(normalize(got), normalize([ab, { u16 }]));
      } finally {
        s.disconnect();
      }
    });
  });
}
