'use strict';
/*
 * A TCP proxy that stands for a load balancer in front of a cluster: each connection goes to the
 * current target, and retarget() sends the next ones to another process. When either side
 * closes, so does the other (a process that drops a connection drops the client's).
 *   startProxy('127.0.0.1:3000') → {url, retarget(hostPort), stop()}
 */

const net = require('node:net');

function startProxy(target) {
  let current = target;
  const open = new Set();
  const server = net.createServer((client) => {
    const i = current.lastIndexOf(':');
    const upstream = net.connect(Number(current.slice(i + 1)), current.slice(0, i));
    const pair = [client, upstream];
    open.add(pair);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(pair);
    };
    for (const s of pair) {
      s.on('error', end);
      s.on('close', end);
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        retarget: (hostPort) => { current = hostPort; },
        stop: () => new Promise((done) => {
          for (const [a, b] of open) { a.destroy(); b.destroy(); }
          server.close(() => done());
        }),
      });
    });
  });
}

/** host:port of a server's URL. */
const hostPort = (url) => new URL(url).host;

module.exports = { startProxy, hostPort };
