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
import { type CheckResult, summarize, type Verdict } from '../../src/core/model.ts';
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
    expect(await sync.textContent()).toBe('1 non-strict · 1 pass');
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

/** Checks of one service × mode cell: `counts` of each verdict. */
function cell(service: string, mode: string, counts: Partial<Record<Verdict, number>>): CheckResult[] {
  return Object.entries(counts).flatMap(([verdict, n]) =>
    Array.from({ length: n }, (_, i) => ({
      id: `gateway.params.${service}.${mode}.${verdict}.${i}`,
      rule: 'sms-text.text.max-length',
      section: '6.4.1',
      level: 'MUST' as const,
      family: 'params',
      requirement: 'The gateway refuses a TEXT longer than the service allows.',
      verdict: verdict as Verdict,
      durationMs: 1,
      exchanges: [],
      service,
      mode,
      ...(verdict === 'skip' ? { message: 'not provisioned' } : {}),
    })),
  );
}

/**
 * What a reader sees in the service × mode matrix, from the pixels Chromium draws: each cell is
 * screenshot and its background read back (the PNG decoded by the browser itself, on a blank page).
 */
describe.skipIf(!haveChromium)('HTML report matrix cells, as drawn', () => {
  let browser: Browser;
  let dir: string;
  let page: Page;
  let decoder: Page;
  const cases: {
    service: string;
    mode: string;
    counts: Partial<Record<Verdict, number>>;
    colour: string;
    text: string;
  }[] = [
    {
      service: 'SMS_TEXT',
      mode: 'sync',
      counts: { pass: 58, skip: 1 },
      colour: 'pass',
      text: '58 pass · 1 skip',
    },
    {
      service: 'SMS_TEXT',
      mode: 'async-oneway',
      counts: { pass: 3, fail: 1, skip: 1 },
      colour: 'fail',
      text: '1 fail · 3 pass · 1 skip',
    },
    { service: 'SMS_TEXT', mode: 'async-delivery', counts: { skip: 4 }, colour: 'skip', text: '4 skip' },
    {
      service: 'MMS_MT',
      mode: 'sync',
      counts: { pass: 2, informational: 1 },
      colour: 'pass',
      text: '2 pass · 1 info',
    },
    {
      service: 'MMS_MT',
      mode: 'async-oneway',
      counts: { pass: 5, 'non-strict': 1, skip: 2 },
      colour: 'non-strict',
      text: '1 non-strict · 5 pass · 2 skip',
    },
    {
      service: 'MMS_MT',
      mode: 'async-delivery',
      counts: { 'known-failure': 1, fail: 2 },
      colour: 'fail',
      text: '2 fail · 1 known',
    },
  ];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mse-html-matrix-'));
    const checks = cases.flatMap((c) => cell(c.service, c.mode, c.counts));
    const report = { ...buildFixtureReport(), checks, summary: summarize(checks) };
    const [file] = await writeReports(report, ['html'], dir, SECRETS);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
      ],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    await page.goto(pathToFileURL(file!).href, { waitUntil: 'load' });
    decoder = await context.newPage();
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** The colour of one pixel of a PNG, decoded by Chromium on a blank page (no PNG library needed). */
  async function pixel(png: Buffer, x: number, y: number): Promise<number[]> {
    return (await decoder.evaluate(`(async () => {
      const img = new Image();
      img.src = 'data:image/png;base64,${png.toString('base64')}';
      await img.decode();
      const canvas = document.createElement('canvas');
      canvas.width = img.width;
      canvas.height = img.height;
      const g = canvas.getContext('2d');
      g.drawImage(img, 0, 0);
      return Array.from(g.getImageData(${x}, ${y}, 1, 1).data.slice(0, 3));
    })()`)) as number[];
  }

  const rgb = (hex: string) => [1, 3, 5].map((i) => Number.parseInt(hex.trim().slice(i, i + 2), 16));

  it('counts every verdict in each cell and takes the colour of the worst verdict that matters', async () => {
    for (const c of cases) {
      const button = page.locator(
        `table.matrix td button[data-service="${c.service}"][data-mode="${c.mode}"]`,
      );
      expect(await button.textContent(), `${c.service} × ${c.mode}`).toBe(c.text);
      const td = button.locator('xpath=..');
      expect(await td.getAttribute('class'), `${c.service} × ${c.mode}`).toBe(`v-${c.colour}`);
      const expected = rgb(
        await page.evaluate(
          `getComputedStyle(document.documentElement).getPropertyValue('--${c.colour}-bg')`,
        ),
      );
      // Inside the cell's padding, clear of the border and the text: the background the reader sees.
      const drawn = await pixel(await td.screenshot(), 3, 3);
      for (const [i, channel] of drawn.entries())
        expect(
          Math.abs(channel - expected[i]!),
          `${c.service} × ${c.mode}: drawn ${drawn}, want ${expected}`,
        ).toBeLessThanOrEqual(3);
    }
    // Green, red and grey are different colours on screen, not only different class names.
    const [green, red, grey] = ['sync', 'async-oneway', 'async-delivery'].map((m) =>
      page.locator(`table.matrix td button[data-service="SMS_TEXT"][data-mode="${m}"]`).locator('xpath=..'),
    );
    const colours = await Promise.all(
      [green!, red!, grey!].map(async (td) => (await pixel(await td.screenshot(), 3, 3)).join()),
    );
    expect(new Set(colours).size).toBe(3);
    const out = join(projectRoot, 'test-output');
    await mkdir(out, { recursive: true });
    await page
      .locator('table.matrix')
      .first()
      .screenshot({ path: join(out, 'report-matrix.png') });
  });
});
