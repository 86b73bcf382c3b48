// Shared helpers of the browser tests: the server on the demo province, Debian's Chromium driven
// by playwright-core (no browser download), screenshots and axe-core checks.
import { spawn, execSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, '..', '..');
export const shots = join(here, '..', 'screenshots');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** A free TCP port on the loopback interface. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Starts `parindex serve --demo` on a free port with its own data directory. */
export async function startServer() {
  const binary = process.env.PARINDEX_BIN || join(root, 'target', 'debug', 'parindex');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'parindex-e2e-'));
  const child = spawn(binary, ['serve', '--demo', '--bind', `127.0.0.1:${port}`, '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => { log += d; });
  child.stderr.on('data', (d) => { log += d; });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  const fail = (why) => {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    return new Error(`${why} (${binary}):\n${log}`);
  };
  for (;;) {
    if (child.exitCode !== null) throw fail('the server stopped');
    try {
      const res = await fetch(`${base}/xep-hang`);
      if (res.ok) break;
      if (res.status === 404) throw fail('the server has no pages: is the binary up to date?');
    } catch (e) {
      if (e.message.includes('no pages')) throw e;
    }
    if (Date.now() > deadline) throw fail('the server did not start');
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    base,
    log: () => log,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless. */
export async function launchBrowser() {
  const executablePath = process.env.CHROMIUM || execSync('command -v chromium', { shell: '/bin/sh' }).toString().trim();
  mkdirSync(shots, { recursive: true });
  return chromium.launch({
    executablePath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** A new browser context (its own cookies) and page, in Vietnamese unless asked. */
export async function newPage(browser, { locale = 'vi-VN', width = 1280 } = {}) {
  const context = await browser.newContext({ locale, viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

export async function signIn(page, base, username, password) {
  await page.goto(`${base}/dang-nhap`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([page.waitForLoadState('load'), page.click('main button[type=submit]')]);
}

/** Saves a screenshot of the whole page as e2e/screenshots/<name>.png. */
export async function shot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, so the page's CSP stays on)
 * and returns the serious and critical violations.
 */
export async function axe(page) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Every page the tests visit is checked, and the results kept for the summary. */
export const axeLog = [];
export async function checkPage(page, name, assert) {
  await shot(page, name);
  const bad = await axe(page);
  axeLog.push({ name, url: page.url(), violations: bad.length });
  assert.deepEqual(bad, [], `${name}: axe found serious or critical violations:\n${JSON.stringify(bad, null, 2)}`);
}

/** A small valid PDF. */
export function pdf(title) {
  const body = `%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n% ${title}\ntrailer << /Root 1 0 R >>\n%%EOF\n`;
  return Buffer.from(body);
}
