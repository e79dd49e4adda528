// The flighthub web page in a real browser: headless Chromium (Debian's,
// driven by puppeteer-core) books a seat through the page, and a second
// browser context (no shared cookies or cache) loads the flight and sees
// the seat taken. Screenshots of both pages are kept in ARTIFACT_DIR.
//   node flighthub_browser.mjs RUN_SCRIPT ARTIFACT_DIR
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import readline from 'node:readline';
import puppeteer from 'puppeteer-core';

const [runScript, artifacts] = process.argv.slice(2);
if (!runScript || !artifacts) {
  console.error('usage: node flighthub_browser.mjs RUN_SCRIPT ARTIFACT_DIR');
  process.exit(2);
}

// puppeteer-core needs a path: look the name up on PATH.
function executable(name) {
  const candidates = isAbsolute(name) ? [name] : (process.env.PATH || '').split(delimiter).map((d) => join(d, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not there: try the next folder
    }
  }
  console.error(`no ${name} executable found (Debian: apt-get install chromium; or set FLIGHTHUB_CHROMIUM)`);
  process.exit(1);
}
const chromium = executable(process.env.FLIGHTHUB_CHROMIUM || 'chromium');
mkdirSync(artifacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'flighthub-browser-'));

function fail(message) {
  throw new Error(message);
}

function startServer() {
  const server = spawn(runScript, ['--data', data, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: server.stdout });
    lines.once('line', (line) => {
      const match = /listening on (http:\/\/\S+?)\/?$/.exec(line.trim());
      if (match) resolve({ server, url: match[1] });
      else reject(new Error(`the server said ${JSON.stringify(line)} instead of where it listens`));
    });
    server.once('exit', (code) => reject(new Error(`the server exited with ${code} before listening`)));
  });
}

async function seatRow(page, seat) {
  return page.$eval(`#seats tbody tr[data-seat="${seat}"]`, (row) => ({
    status: row.cells[1].textContent,
    passenger: row.cells[2].textContent,
    action: row.cells[4].textContent,
  }));
}

const { server, url } = await startServer();
let browser;
try {
  const created = await fetch(`${url}/flights`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ flight: 'LO123', seats: ['1A', '1B', '2A', '2B'] }),
  });
  if (created.status !== 201) fail(`adding the flight answered ${created.status}`);

  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    // No user namespaces for Chromium's sandbox when the tests run as root.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });

  // Agent 1 books 1B through the page.
  const first = await (await browser.createBrowserContext()).newPage();
  await first.goto(`${url}/`);
  await first.waitForSelector('#seats tbody tr[data-seat="1B"] button.book');
  await first.type('#passenger', 'Ada Lovelace');
  await first.select('#mode', 'optimistic');
  await first.click('#seats tbody tr[data-seat="1B"] button.book');
  await first.waitForFunction(() => document.getElementById('message').textContent.startsWith('Booked seat 1B'));
  await first.waitForSelector('#seats tbody tr[data-seat="1B"] button.cancel');
  await first.screenshot({ path: join(artifacts, 'agent1-booked.png'), fullPage: true });
  const mine = await seatRow(first, '1B');
  if (mine.status !== 'reserved' || mine.passenger !== 'Ada Lovelace') fail(`agent 1 sees ${JSON.stringify(mine)}`);

  // Agent 2, in a context of its own, loads the flight: 1B is taken, 1A free.
  const second = await (await browser.createBrowserContext()).newPage();
  await second.goto(`${url}/`);
  await second.waitForSelector('#seats tbody tr[data-seat="1B"]');
  const taken = await seatRow(second, '1B');
  const free = await seatRow(second, '1A');
  await second.screenshot({ path: join(artifacts, 'agent2-sees-taken.png'), fullPage: true });
  if (taken.status !== 'reserved' || taken.passenger !== 'Ada Lovelace' || taken.action !== 'Cancel') {
    fail(`agent 2 sees seat 1B as ${JSON.stringify(taken)}, expected reserved by Ada Lovelace`);
  }
  if (free.status !== 'free' || free.action !== 'Book') fail(`agent 2 sees seat 1A as ${JSON.stringify(free)}`);

  // Agent 2 saves blocked seats with the version it loaded; agent 1's page
  // is now stale and its save is refused with 412, shown on the page.
  await second.click('#seats tbody tr[data-seat="2B"] input.blocked');
  await second.click('#save');
  await second.waitForFunction(() => document.getElementById('message').textContent.startsWith('Saved blocked seats'));
  await first.click('#seats tbody tr[data-seat="2A"] input.blocked');
  await first.click('#save');
  await first.waitForFunction(() => document.getElementById('message').textContent.startsWith('412:'));
  await first.screenshot({ path: join(artifacts, 'agent1-stale-save-412.png'), fullPage: true });

  const state = await (await fetch(`${url}/flights/LO123`)).json();
  const statuses = Object.fromEntries(state.seats.map((s) => [s.seat, s.status]));
  const expected = { '1A': 'free', '1B': 'reserved', '2A': 'free', '2B': 'blocked' };
  if (JSON.stringify(statuses) !== JSON.stringify(expected)) {
    fail(`the server holds ${JSON.stringify(statuses)}, expected ${JSON.stringify(expected)}`);
  }
  console.log(`flighthub browser test passed; screenshots in ${artifacts}`);
} finally {
  if (browser) await browser.close();
  server.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
