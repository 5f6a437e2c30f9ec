'use strict';
/*
 * The chat example (examples/chat) in headless Chromium: pages load it with the official browser
 * bundle of a client generation (?client=4, 2 or 0.9); a line typed in one appears in the others,
 * and exactly once in the first; the online count of a page follows every join and leave; no page
 * sees a failed request or a console error; a page whose bundle is not installed says so.
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

const { SKIP, launch } = require('./lib/browser');

const ROOT = process.env.SOCKIO_ROOT || path.resolve(__dirname, '..', '..');
const WAIT_MS = 20000;

let bin;
let chat;
let url;
let tmp;
let browser;
let context;
// Failed requests and console errors of the pages openChat opened.
const problems = [];

function startChat(modules = path.join(ROOT, 'client-js', 'node_modules')) {
  const child = spawn(bin, ['-addr', '127.0.0.1:0', '-node-modules', modules],
    { stdio: ['ignore', 'pipe', 'inherit'] });
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

async function stopChat(child) {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function openChat(name, client) {
  const page = await context.newPage();
  page.on('response', (res) => { if (res.status() >= 400) problems.push(`${name}: ${res.status()} ${res.url()}`); });
  page.on('console', (msg) => { if (msg.type() === 'error') problems.push(`${name}: console: ${msg.text()}`); });
  page.on('pageerror', (err) => problems.push(`${name}: ${err.message}`));
  await page.goto(`${url}/?name=${name}${client ? `&client=${client}` : ''}`, { timeout: WAIT_MS });
  await page.waitForSelector('body[data-ready="true"]', { timeout: WAIT_MS });
  return page;
}

/** Waits until page shows n online. */
async function online(page, n) {
  try {
    await page.waitForFunction((want) => document.querySelector('#online').dataset.count === want, String(n),
      { timeout: WAIT_MS });
  } catch (err) {
    const shown = await page.$eval('#online', (el) => el.textContent).catch(() => '?');
    throw new Error(`page shows "${shown}", want ${n} online: ${err.message}`);
  }
}

function lines(page, text) {
  return page.$$eval('#messages li', (lis, t) => lis.filter((li) => li.textContent.includes(t))
    .map((li) => li.className), text);
}

describe('chat example (headless Chromium)', { skip: SKIP ? 'SOCKIO_SKIP_BROWSER=1' : false }, () => {
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sockio-chat-'));
    bin = process.env.SOCKIO_CHAT_BIN;
    if (!bin) {
      bin = path.join(tmp, 'chat');
      execFileSync('go', ['build', '-o', bin, './examples/chat'], { cwd: ROOT, stdio: 'inherit' });
    }
    ({ child: chat, url } = await startChat());
    browser = await launch();
    context = browser.context;
  });

  after(async () => {
    if (browser) await browser.close();
    if (chat) await stopChat(chat);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  // First in the file, so that the room is empty when it starts.
  it('the online count of a page that was there follows every join and leave', async () => {
    const alice = await openChat('alice');
    await online(alice, 1);
    const bob = await openChat('bob', '0.9');
    await online(bob, 2);
    await online(alice, 2);
    const carol = await openChat('carol', '2');
    await online(carol, 3);
    await online(bob, 3);
    await online(alice, 3);
    await bob.close();
    await online(alice, 2);
    await online(carol, 2);
    // A rename is no join: the count stays, the others get a notice.
    await carol.fill('#nick', 'caroline');
    await carol.press('#nick', 'Enter');
    await alice.waitForFunction(() => [...document.querySelectorAll('#messages li.notice')]
      .some((li) => li.textContent === 'carol is now caroline'), null, { timeout: WAIT_MS });
    assert.equal(await alice.$eval('#online', (el) => el.dataset.count), '2');
    await carol.close();
    await online(alice, 1);
    await alice.close();
  });

  it('a line typed in one page appears in the other, and once in the first', async () => {
    const alice = await openChat('alice');
    const bob = await openChat('bob');
    assert.equal(await alice.evaluate(() => window.chatSocket.io.engine.transport.name), 'websocket');

    await alice.fill('#input', 'hello from alice');
    await alice.press('#input', 'Enter');
    await bob.waitForFunction(() => [...document.querySelectorAll('#messages li.theirs')]
      .some((li) => li.textContent === 'alicehello from alice'), null, { timeout: WAIT_MS });

    // A line back from bob, once it reaches alice, proves alice has had time to receive any
    // copy of her own line the server might have echoed.
    await bob.fill('#input', 'hi alice');
    await bob.press('#input', 'Enter');
    await alice.waitForFunction(() => [...document.querySelectorAll('#messages li.theirs')]
      .some((li) => li.textContent === 'bobhi alice'), null, { timeout: WAIT_MS });

    assert.deepEqual(await lines(alice, 'hello from alice'), ['mine']);
    assert.deepEqual(await lines(bob, 'hello from alice'), ['theirs']);
    assert.deepEqual(await lines(bob, 'hi alice'), ['mine']);
  });

  it('a 0.9 page and a 4.x page chat with each other', async () => {
    const carol = await openChat('carol', '0.9');
    const dave = await openChat('dave', '4');
    assert.equal(await carol.evaluate(() => io.version), '0.9.16');
    assert.equal(await carol.evaluate(() => window.chatSocket.socket.transport.name), 'websocket');
    assert.equal(await dave.evaluate(() => window.chatSocket.io.engine.transport.name), 'websocket');

    await carol.fill('#input', 'hello from carol');
    await carol.press('#input', 'Enter');
    await dave.waitForFunction(() => [...document.querySelectorAll('#messages li.theirs')]
      .some((li) => li.textContent === 'carolhello from carol'), null, { timeout: WAIT_MS });
    await dave.fill('#input', 'hi carol');
    await dave.press('#input', 'Enter');
    await carol.waitForFunction(() => [...document.querySelectorAll('#messages li.theirs')]
      .some((li) => li.textContent === 'davehi carol'), null, { timeout: WAIT_MS });

    assert.deepEqual(await lines(carol, 'hello from carol'), ['mine']);
    assert.deepEqual(await lines(dave, 'hello from carol'), ['theirs']);
    assert.deepEqual(await lines(dave, 'hi carol'), ['mine']);
    assert.deepEqual(await lines(carol, 'hi carol'), ['theirs']);
  });

  it('a 2.x, a 0.9 and a 4.x page talk across generations, each line once everywhere', async () => {
    const pages = { erin: await openChat('erin', '2'), frank: await openChat('frank', '0.9'), gina: await openChat('gina', '4') };
    assert.match(await pages.erin.evaluate(() => window.chatSocket.io.engine.transport.name), /^(websocket|polling)$/);
    const names = Object.keys(pages);
    for (const from of names) {
      const text = `line from ${from}`;
      await pages[from].fill('#input', text);
      await pages[from].press('#input', 'Enter');
      for (const to of names.filter((n) => n !== from)) {
        await pages[to].waitForFunction((t) => [...document.querySelectorAll('#messages li.theirs')]
          .some((li) => li.textContent === t), `${from}${text}`, { timeout: WAIT_MS });
      }
    }
    // Closing lines, each awaited where it proves silence: any duplicate came before them.
    const close = async (from, text) => {
      await pages[from].fill('#input', text);
      await pages[from].press('#input', 'Enter');
      for (const to of names.filter((n) => n !== from)) {
        await pages[to].waitForFunction((t) => [...document.querySelectorAll('#messages li.theirs')]
          .some((li) => li.textContent === t), `${from}${text}`, { timeout: WAIT_MS });
      }
    };
    await close('erin', 'closing');
    await close('frank', 'closing too');
    for (const page of names) {
      for (const from of names) {
        assert.deepEqual(await lines(pages[page], `line from ${from}`), [page === from ? 'mine' : 'theirs'],
          `${page}'s copy of ${from}'s line`);
      }
    }
  });

  it('a page whose client bundle is not installed says so, and nothing redirects', async () => {
    const empty = fs.mkdtempSync(path.join(tmp, 'node_modules-'));
    const bare = await startChat(empty);
    try {
      const page = await context.newPage();
      const bundles = [];
      page.on('response', (res) => { if (res.url().includes('/client/')) bundles.push(res.status()); });
      await page.goto(`${bare.url}/?client=2`, { timeout: WAIT_MS });
      await page.waitForSelector('#status.error', { timeout: WAIT_MS });
      assert.deepEqual(bundles, [404]);
      const said = await page.$eval('#messages li.problem', (li) => li.textContent);
      assert.match(said, /socket\.io-client 2\.x browser bundle could not be loaded/);
      assert.match(said, /npm ci/);
      assert.equal(await page.$eval('#send', (b) => b.disabled), true);
      await page.close();
    } finally {
      await stopChat(bare.child);
    }
  });

  it('no page saw a failed request or a console error', () => {
    assert.deepEqual(problems, []);
  });
});
