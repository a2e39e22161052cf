/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core (never a downloaded
 * browser). Skipped, with the reason, where /usr/bin/chromium is missing; CI installs it.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../reporters/index.ts';
import { projectRoot } from '../../src/spec/load.ts';
import { buildFixtureReport, SECRETS } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium)
  console.warn(`HTML report browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium)`);

describe.skipIf(!haveChromium)('HTML report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;
  let file: string;
  let page: Page;
  const requests: string[] = [];
  const blocked: string[] = [];
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mse-html-'));
    [file] = await writeReports(buildFixtureReport(), ['html'], dir, SECRETS);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    // Every request the page makes is seen here; anything but the file itself is refused and recorded.
    await context.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      blocked.push(url);
      return route.abort();
    });
    page = await context.newPage();
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await page.goto(pathToFileURL(file!).href, { waitUntil: 'load' });
  });

  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes no request beyond its own file, and its own script runs without errors', async () => {
    expect(blocked).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    expect(pageErrors).toEqual([]);
    // A CSP refusal of the report's own script would show up here and leave the filters hidden.
    expect(consoleErrors).toEqual([]);
    expect(await page.locator('#filters').isVisible()).toBe(true);
  });

  it('the hostile body did not run', async () => {
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    // It is shown as text instead.
    const row = page.locator('details.check[data-verdict="fail"]').first();
    await row.locator(':scope > summary').click();
    await expect.poll(() => row.locator('pre').first().isVisible()).toBe(true);
    expect(await row.textContent()).toContain('<script>window.__pwned = 1</script>');
    // Control characters from the target are shown, not passed through raw.
    expect(await row.textContent()).toContain('&amp;\\x01\\x1b[31m');
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
    await row.locator(':scope > summary').click();
  });

  it('renders the service × mode matrix, coloured by the worst verdict', async () => {
    const cells = page.locator('table.matrix td button[data-service]');
    expect(await cells.count()).toBe(4);
    const outside = page.locator(
      'table.matrix td button[data-service="sms-text"][data-mode="assync-oneway"]',
    );
    expect(await outside.locator('xpath=..').getAttribute('class')).toContain('v-fail');
    const sync = page.locator('table.matrix td button[data-service="sms-text"][data-mode="sync"]');
    expect(await sync.locator('xpath=..').getAttribute('class')).toContain('v-non-strict');
    expect(await sync.textContent()).toContain('1/2');
  });

  it('clicking a verdict filter hides the other rows; reset shows them all again', async () => {
    const rows = page.locator('details.check');
    const total = await rows.count();
    expect(total).toBe(9);
    await page.locator('button.chip[data-verdict="fail"]').click();
    expect(await page.locator('details.check:visible').count()).toBe(2);
    for (const v of await page
      .locator('details.check:visible')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-verdict')))) {
      expect(v).toBe('fail');
    }
    expect(await page.locator('#shown').textContent()).toBe(`2 of ${total} checks shown`);
    await page.locator('#reset').click();
    expect(await page.locator('details.check:visible').count()).toBe(total);
  });

  it('a matrix cell, the family filter and the text search filter the rows', async () => {
    await page.locator('table.matrix td button[data-service="sms-text"][data-mode="sync"]').click();
    expect(await page.locator('details.check:visible').count()).toBe(2);
    await page.locator('#reset').click();
    await page.selectOption('#family', 'smtp');
    expect(await page.locator('details.check:visible').count()).toBe(2);
    await page.locator('#reset').click();
    await page
      .locator('table.families td button[data-family="envelope"][data-verdict="known-failure"]')
      .click();
    expect(await page.locator('details.check:visible').count()).toBe(1);
    expect(await page.locator('details.check:visible').getAttribute('data-verdict')).toBe('known-failure');
    await page.locator('#reset').click();
    await page.fill('#search', 'ISO-8859-1');
    expect(await page.locator('details.check:visible').count()).toBe(1);
    await page.locator('#reset').click();
  });

  it('expanding a failure shows its exchange, Latin-1 bytes as hex', async () => {
    const row = page
      .locator('details.check[id] >> text=gateway.mo.sms.latin1')
      .locator('xpath=ancestor::details[1]');
    expect(await row.locator('.exchange').first().isVisible()).toBe(false);
    await row.locator(':scope > summary').click();
    const exchange = row.locator('.exchange').first();
    expect(await exchange.isVisible()).toBe(true);
    const text = await exchange.textContent();
    expect(text).toContain('POST http://127.0.0.1:9000/mo');
    expect(text).toContain('content-type');
    expect(text).toContain('not valid UTF-8 text; hex');
    // ç in ISO-8859-1 is the single byte e7.
    expect(text).toMatch(/54 45 58 54 3d 41 e7 e3 6f/);
    expect(await row.locator('.exchange').nth(1).textContent()).toContain('timeout after 5000 ms');
  });

  it('shows no password', async () => {
    const html = await readFile(file!, 'utf8');
    for (const s of SECRETS) expect(html).not.toContain(s);
    expect(await page.locator('body').textContent()).not.toContain(SECRETS[0]);
  });

  it('reads well: screenshot to test-output/report.png', async () => {
    await page.locator('#reset').click();
    const out = join(projectRoot, 'test-output');
    await mkdir(out, { recursive: true });
    const row = page.locator('details.check[data-verdict="fail"]').first();
    await row.locator(':scope > summary').click();
    await page.screenshot({ path: join(out, 'report.png'), fullPage: true });
    expect(existsSync(join(out, 'report.png'))).toBe(true);
  });
});

describe.skipIf(!haveChromium)('HTML report with JavaScript disabled', () => {
  it('still lists the failures and opens them to their exchanges', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mse-html-nojs-'));
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    try {
      const [file] = await writeReports(buildFixtureReport(), ['html'], dir, SECRETS);
      const context = await browser.newContext({ javaScriptEnabled: false });
      const page = await context.newPage();
      await page.goto(pathToFileURL(file!).href);
      expect(await page.locator('#filters').isVisible()).toBe(false);
      expect(await page.locator('ul.failures li').count()).toBe(3);
      const row = page.locator('details.check[data-verdict="fail"]').first();
      await row.locator(':scope > summary').click();
      expect(await row.locator('.exchange').first().isVisible()).toBe(true);
    } finally {
      await browser.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
