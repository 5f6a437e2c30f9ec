'use strict';
/*
 * The official Socket.IO Admin UI (@socket.io/admin-ui 0.5.1, its built dashboard as npm ships it)
 * in headless Chromium against examples/chat started with -admin: the chat serves the dashboard at
 * /admin-ui/; the test fills its connection form (server URL, user, password: a wrong password is
 * refused first), and the dashboard lists the sockets of two socket.io-client 4.8.4 clients in
 * Node and the room they joined, and the chat process among its servers; clicking a socket's disconnect button disconnects that client.
 *
 * Screenshots of the sockets, rooms and servers pages are kept in client-js/artifacts/ (gitignored):
 * admin-ui-sockets.png, admin-ui-rooms.png and admin-ui-servers.png.
 *
 * SOCKIO_CHAT_BIN names a built chat binary; without it the test builds one with `go build`
 * (SOCKIO_ROOT, or the folder above client-js, is the module root).
 * SOCKIO_SKIP_BROWSER=1 skips this file; otherwise a missing Chromium is a failure.
 */

const { describe, it, before, after } = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');

const { io } = require('sio-client-4');
const { SKIP, launch } = require('./lib/browser');

const ROOT = process.env.SOCKIO_ROOT || path.resolve(__dirname, '..', '..');
const ARTIFACTS = path.join(__dirname, '..', 'artifacts');
const WAIT_MS = 20000;
const USER = 'admin';
const PASSWORD = 'correct horse';

let tmp;
let chat;
let url;
let browser;
const clients = [];

function startChat(bin) {
  const child = spawn(bin, ['-addr', '127.0.0.1:0', '-node-modules', path.join(ROOT, 'client-js', 'node_modules'),
    '-name', 'chat-admin-test', '-admin', '-admin-user', USER],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SOCKIO_ADMIN_PASSWORD: PASSWORD } });
  const rl = readline.createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('chat server did not start')), WAIT_MS);
    rl.on('line', (line) => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1] });
      }
    });
    child.once('exit', (code) => reject(new Error(`chat server exited with ${code}`)));
  });
}

/** A 4.x client in Node that has joined the chat room as name. */
async function joinChat(name) {
  const socket = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  clients.push(socket);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  await socket.timeout(WAIT_MS).emitWithAck('join', name);
  return socket;
}

describe('Socket.IO Admin UI 0.5.1 against the chat example (headless Chromium)',
  { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
    before(async () => {
      tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-admin-'));
      let bin = process.env.SOCKIO_CHAT_BIN;
      if (!bin) {
        bin = path.join(tmp, 'chat');
        execFileSync('go', ['build', '-o', bin, './examples/chat'], { cwd: ROOT, stdio: 'inherit' });
      }
      ({ child: chat, url } = await startChat(bin));
      browser = await launch();
    });

    after(async () => {
      for (const c of clients) c.close();
      if (browser) await browser.close();
      if (chat) {
        const exited = new Promise((resolve) => chat.once('exit', resolve));
        chat.kill('SIGTERM');
        await exited;
      }
      if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it('logs in, lists the sockets and rooms of 4.x clients, and disconnects one', async () => {
      const alice = await joinChat('alice');
      const bob = await joinChat('bob');

      const page = await browser.context.newPage();
      await page.setViewportSize({ width: 1400, height: 900 });
      // The page asks public CDNs for its fonts and icons: refused here, it works without them.
      const local = new URL(url).host;
      await page.route('**/*', (route) => (new URL(route.request().url()).host === local
        ? route.continue() : route.abort()));
      const problems = [];
      page.on('pageerror', (err) => problems.push(err.message));
      page.on('response', (res) => { if (res.status() >= 400) problems.push(`${res.status()} ${res.url()}`); });

      await page.goto(`${url}/admin-ui/`, { timeout: WAIT_MS });
      const form = page.locator('form');
      await form.getByLabel('Server URL').fill(url, { timeout: WAIT_MS });
      await form.getByLabel('Username').fill(USER);
      await form.getByLabel('Password').fill('wrong');
      await form.getByRole('button', { name: 'Connect' }).click();
      await form.getByText('Invalid credentials').waitFor({ timeout: WAIT_MS });

      await form.getByLabel('Password').fill(PASSWORD);
      await form.getByRole('button', { name: 'Connect' }).click();
      await form.waitFor({ state: 'hidden', timeout: WAIT_MS });

      // Sockets: both clients, by id, with their transport.
      await page.goto(`${url}/admin-ui/#/sockets/`, { timeout: WAIT_MS });
      const row = (id) => page.locator('tbody tr', { hasText: id });
      await row(alice.id).waitFor({ timeout: WAIT_MS });
      await row(bob.id).waitFor({ timeout: WAIT_MS });
      assert.match(await row(alice.id).innerText(), /websocket/i);
      fs.mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'admin-ui-sockets.png'), fullPage: true, animations: 'disabled' });

      // Rooms: the chat room, with both.
      await page.goto(`${url}/admin-ui/#/rooms/`, { timeout: WAIT_MS });
      await page.waitForFunction(() => [...document.querySelectorAll('tbody tr')].some((tr) => {
        const cells = [...tr.querySelectorAll('td')].map((td) => td.textContent.trim());
        return cells[0] === 'chat' && cells.includes('2');
      }), null, { timeout: WAIT_MS });
      await page.screenshot({ path: path.join(ARTIFACTS, 'admin-ui-rooms.png'), fullPage: true, animations: 'disabled' });

      // Servers: this process by its -name, from its server_stats.
      await page.goto(`${url}/admin-ui/#/servers/`, { timeout: WAIT_MS });
      await page.locator('tbody tr', { hasText: 'chat-admin-test' }).waitFor({ timeout: WAIT_MS });
      await page.screenshot({ path: path.join(ARTIFACTS, 'admin-ui-servers.png'), fullPage: true, animations: 'disabled' });

      // The disconnect button of alice's row: alice's client hears it, bob stays.
      await page.goto(`${url}/admin-ui/#/sockets/`, { timeout: WAIT_MS });
      await row(alice.id).waitFor({ timeout: WAIT_MS });
      const reason = new Promise((resolve) => alice.once('disconnect', resolve));
      await row(alice.id).locator('button').click(); // the click reaches the row too: its details open
      assert.equal(await reason, 'io server disconnect');
      await page.goto(`${url}/admin-ui/#/sockets/`, { timeout: WAIT_MS });
      await page.waitForFunction((id) => ![...document.querySelectorAll('tbody tr')]
        .some((tr) => tr.textContent.includes(id)), alice.id, { timeout: WAIT_MS });
      await row(bob.id).waitFor({ timeout: WAIT_MS });
      assert.ok(bob.connected, 'bob stayed connected');

      assert.deepEqual(problems, []);
      await page.close();
    });
  });
