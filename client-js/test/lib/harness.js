'use strict';
/*
 * Per-file harness: one server for the file (before/after), and `it(name, fn)` = node:test's
 * test() where fn(c, t) gets a fresh Clients `c` whose sockets are all closed when the attempt
 * ends, pass or fail.
 *
 * Retry rule (the only one): the server under test uses pingTimeout 200 ms, so on a loaded
 * 2-core machine a client process that does not run for ~200 ms around a ping loses its
 * connection to a server-side "ping timeout" through no fault of the server. When an attempt
 * fails, the harness asks the server (app event `reason`) why each of the attempt's dropped
 * connections ended; only if the server says "ping timeout" for one the test did not starve on
 * purpose is the test run again (at most MAX_ATTEMPTS in all), with a diagnostic line in the
 * output. Any other failure fails at once. A server whose heartbeat is broken still fails: every
 * attempt would lose its connections the same way.
 */

const { test, before, after } = require('node:test');
const { startServer } = require('./server');
const { Clients } = require('./client');

const MAX_ATTEMPTS = 3;

/** extraArgs are passed on to startServer() (flags of the server under test, e.g. -recovery). */
function setup(extraArgs = []) {
  const ctx = { server: null };
  before(async () => {
    ctx.server = await startServer(extraArgs);
  });
  after(async () => {
    if (ctx.server) await ctx.server.stop();
  });

  ctx.it = (name, fn, opts = {}) => test(name, opts, async (t) => {
    for (let attempt = 1; ; attempt++) {
      const c = new Clients(ctx.server.url);
      try {
        return await fn(c, t);
      } catch (err) {
        const victims = attempt < MAX_ATTEMPTS ? await c.serverPingTimeouts() : [];
        if (victims.length === 0) throw err;
        t.diagnostic(`attempt ${attempt}: the server dropped ${victims.length} connection(s) for "ping timeout" ` +
          `(machine too busy to answer a ping within 200 ms); retrying. The attempt failed with: ${err.message}`);
      } finally {
        c.closeAll();
      }
    }
  });
  return ctx;
}

module.exports = { setup, MAX_ATTEMPTS };
