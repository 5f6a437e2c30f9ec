// The bench app on Node socket.io, as bench/compare/app serves it on
// sockio: "echo" acks with the same arguments, "bcast" goes to every other
// socket of the namespace.
//
//   node server.js 4 127.0.0.1 3101    socket.io 4.8 (Engine.IO 4, and 3 for 2.x clients)
//   node server.js 09 127.0.0.1 3102   socket.io 0.9 (protocol 1)
'use strict';
const http = require('http');

const [gen = '4', host = '127.0.0.1', port = '3101'] = process.argv.slice(2);
const httpServer = http.createServer();

if (gen === '09') {
  // socket.io 0.9's Flash policy module reads process.EventEmitter, which
  // Node removed long ago.
  process.EventEmitter = process.EventEmitter || require('events').EventEmitter;
  const io = require('sio-server-09').listen(httpServer, { log: false });
  io.set('flash policy port', 10843);
  io.set('transports', ['websocket', 'htmlfile', 'xhr-polling', 'jsonp-polling', 'flashsocket']);
  io.sockets.on('connection', (socket) => {
    socket.on('echo', (...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      if (ack) ack(...args);
    });
    socket.on('bcast', (...args) => socket.broadcast.emit('bcast', ...args));
  });
} else {
  const { Server } = require('socket.io');
  const io = new Server(httpServer, { allowEIO3: true });
  io.on('connection', (socket) => {
    socket.on('echo', (...args) => {
      const ack = typeof args[args.length - 1] === 'function' ? args.pop() : null;
      if (ack) ack(...args);
    });
    socket.on('bcast', (...args) => socket.broadcast.emit('bcast', ...args));
  });
}
httpServer.listen(Number(port), host, () => console.log(`listening on ${host}:${port}`));
