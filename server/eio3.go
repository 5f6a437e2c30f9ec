package server

// eio3Dialect is Engine.IO 3 with Socket.IO 4 (socket.io-client 1.x–2.x);
// nil until it is built, so EIO=3 is answered as unsupported.
var eio3Dialect dialect
