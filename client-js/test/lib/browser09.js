'use strict';
/*
 * Shared by the 0.9 browser tests: a page directory the Go conformance server serves on its own
 * origin (-page-dir), holding the 0.9 and 4.x browser bundles, and headless Chromium.
 *
 * The page comes from the server's origin because the 0.9 htmlfile transport only works same-origin.
 * Chromium is lib/browser.js's (SOCKIO_SKIP_BROWSER=1 skips these files; SOCKIO_CHROMIUM overrides
 * the executable path).
 */

const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { SKIP, bundle, launch } = require('./browser');

/** Writes the pages: /v09.html (0.9 bundle) and /v4.html (4.x bundle). Returns the directory. */
function makePageDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-pages-'));
  fs.copyFileSync(bundle('sio-client-09'), path.join(dir, 'socket.io.09.js'));
  fs.copyFileSync(bundle('sio-client-4'), path.join(dir, 'socket.io.4.js'));
  const page = (src) => '<!doctype html><html><head><meta charset="utf-8"><title>sockio</title>' +
    `<script src="/${src}"></script></head><body>sockio</body></html>`;
  fs.writeFileSync(path.join(dir, 'v09.html'), page('socket.io.09.js'));
  fs.writeFileSync(path.join(dir, 'v4.html'), page('socket.io.4.js'));
  return dir;
}

/*
 * Runs in a 0.9 page: installs the shims protocol testing.md describes for htmlfile (IE's
 * ActiveXObject('htmlfile') as a hidden same-origin iframe document) and flashsocket (the Flash
 * bridge replaced by the browser's WebSocket), forces the transport, and connects.
 * Sets window.sock (the "/" socket) and counts its connects and disconnects in window.conn;
 * resolves with the transport name in use. reconnect turns the client's reconnection on.
 */
async function connect09({ transport, waitMs, nsp, reconnect }) {
  if (transport === 'htmlfile') {
    window.ActiveXObject = function () {
      const iframe = document.createElement('iframe');
      iframe.style.display = 'none';
      document.body.appendChild(iframe);
      const doc = iframe.contentDocument;
      doc.parentWindow = iframe.contentWindow;
      return doc;
    };
    window.CollectGarbage = () => {};
  }
  if (transport === 'flashsocket') {
    WebSocket.__initialize = () => {};
    WebSocket.__addTask = (t) => t();
    WebSocket.loadFlashPolicyFile = () => {};
    io.Transport.flashsocket.check = () => true;
  }
  io.transports = [transport];
  const s = io.connect(location.origin + (nsp || ''), {
    transports: [transport], 'try multiple transports': false, 'force new connection': true, reconnect: !!reconnect,
  });
  window.sock = s;
  window.conn = { connects: 0, disconnects: 0 };
  s.on('connect', () => { window.conn.connects++; });
  s.on('disconnect', () => { window.conn.disconnects++; });
  window.got = {};
  s.on('news', (...a) => { (window.got.news = window.got.news || []).push(a); });
  s.on('end', (...a) => { (window.got.end = window.got.end || []).push(a); });
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no connect over ${transport} within ${waitMs} ms`)), waitMs);
    s.on('connect', () => { clearTimeout(t); resolve(); });
    s.on('error', (e) => { clearTimeout(t); reject(new Error(`error: ${e}`)); });
  });
  return s.socket.transport.name;
}

module.exports = { SKIP, makePageDir, launch, connect09 };
