'use strict';
/*
 * Headless Chromium (Debian's /usr/bin/chromium through playwright-core) and a tiny static
 * server that serves a blank page plus the official client bundles, from an origin other than
 * the server under test's (so polling exercises CORS too).
 *
 * SOCKIO_SKIP_BROWSER=1 skips browser tests; otherwise a missing Chromium is a failure.
 * SOCKIO_CHROMIUM overrides the executable path.
 */

const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');

const SKIP = process.env.SOCKIO_SKIP_BROWSER === '1';
const CHROMIUM = process.env.SOCKIO_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

/** The browser bundle of an installed client package, e.g. bundle('sio-client-2'). */
function bundle(pkg, file = 'socket.io.js') {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'dist', file);
}

/**
 * Launches Chromium in a fresh profile; close() ends it and removes the profile. extraArgs are
 * added to the command line (e.g. --host-resolver-rules to give a local server another name).
 */
async function launch(extraArgs = []) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: install Debian's chromium package, ` +
      'or set SOCKIO_SKIP_BROWSER=1 to skip the browser tests');
  }
  const { chromium } = require('playwright-core');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs], timeout: 60000,
  });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Serves a blank page and client bundles. bundles is one bundle file, served as `/client.js`,
 * or a map {name: file} served as `/<name>.js`; the page `/?client=<name>` loads `/<name>.js`
 * (`/` loads `/client.js`). Resolves with {url, close()}.
 */
function startStatic(bundles) {
  const files = typeof bundles === 'string' ? { client: bundles } : bundles;
  const page = (name) => '<!doctype html><html><head><meta charset="utf-8"><title>sockio browser test</title>' +
    `<script src="/${encodeURIComponent(name)}.js"></script></head><body>sockio</body></html>`;
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://x');
    const js = /^\/(.+)\.js$/.exec(u.pathname);
    if (u.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(page(u.searchParams.get('client') || 'client'));
    } else if (js && Object.hasOwn(files, decodeURIComponent(js[1]))) {
      res.writeHead(200, { 'content-type': 'application/javascript; charset=utf-8' });
      fs.createReadStream(files[decodeURIComponent(js[1])]).pipe(res);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  return new Promise((resolve) => {
    srv.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${srv.address().port}/`,
      close: () => new Promise((r) => srv.close(r)),
    }));
  });
}

module.exports = { SKIP, CHROMIUM, CHROMIUM_ARGS, bundle, launch, startStatic };
