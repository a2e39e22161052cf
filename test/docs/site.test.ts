import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, relative } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { coverageFigure } from '../../src/docs/coverage.ts';
import { type DocsResult, generateDocs } from '../../src/docs/index.ts';
import { loadSpec, projectRoot } from '../../src/spec/load.ts';

const spec = loadSpec();
const outDir = mkdtempSync(join(tmpdir(), 'mse-docs-'));
let result: DocsResult;
let server: Server;
let base: string;
let browser: Browser;

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css',
  '.js': 'text/javascript',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

/** A static server for the generated folder, on 127.0.0.1 only. */
function serve(root: string): Promise<Server> {
  const s = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(
      /^(\.\.[/\\])+/,
      '',
    );
    let file = join(root, path);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(s)));
}

function listHtml(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.html'))
    .map((f) => f.split('\\').join('/'))
    .sort();
}

beforeAll(async () => {
  process.env.PACT_DO_NOT_TRACK = 'true';
  result = await generateDocs({ outDir });
  server = await serve(outDir);
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
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
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  rmSync(outDir, { recursive: true, force: true });
});

describe('generated site content', () => {
  it('has a page for every service, linked from the index', () => {
    const index = readFileSync(join(outDir, 'index.html'), 'utf8');
    for (const s of spec.services) {
      expect(existsSync(join(outDir, 'services', `${s.slug}.html`)), s.id).toBe(true);
      expect(index).toContain(`href="services/${s.slug}.html"`);
    }
  });

  it('lists every rule id in the rules index, each with an anchor', () => {
    const rules = readFileSync(join(outDir, 'rules.html'), 'utf8');
    for (const id of spec.rules.keys()) expect(rules, id).toContain(`id="${id}"`);
  });

  it('shows the coverage figure computed from the check registry', () => {
    const rules = readFileSync(join(outDir, 'rules.html'), 'utf8');
    const figure = coverageFigure(result.coverage);
    expect(figure).toMatch(/^\d+ of \d+ rules covered/);
    expect(result.coverage.total).toBe(spec.rules.size);
    expect(rules).toContain(figure);
    const uncovered = [...spec.rules.keys()].filter((id) => !result.coverage.checksByRule.get(id)?.length);
    expect(uncovered.length).toBe(result.coverage.total - result.coverage.covered);
    if (uncovered.length) expect(rules).toContain('class="uncovered"');
  });

  it('spells the SMS MO encoding byte by byte, in ISO-8859-1', () => {
    const mo = readFileSync(join(outDir, 'webhooks', 'sms-mo.html'), 'utf8');
    expect(mo).toContain('0xE7');
    expect(mo).toContain('%E7');
    const receipts = readFileSync(join(outDir, 'webhooks', 'receipts.html'), 'utf8');
    expect(receipts).toContain('%C3%A7');
  });

  it('escapes everything: no raw markup from fixtures reaches the page', () => {
    for (const s of spec.services) {
      const page = readFileSync(join(outDir, 'services', `${s.slug}.html`), 'utf8');
      expect(page).not.toMatch(/<mse-response>|<ussd_message_request>|<REQUEST /);
    }
  });

  it('references nothing outside the site', () => {
    for (const file of listHtml(outDir).filter((f) => !f.startsWith('api/'))) {
      const html = readFileSync(join(outDir, file), 'utf8');
      expect(html, file).not.toMatch(/(src|href)="(https?:)?\/\//);
    }
  });
});

describe('generated site in Chromium', () => {
  it('renders every page, every internal link resolves, and no request leaves localhost', async () => {
    const context = await browser.newContext();
    const outside: string[] = [];
    const failed: string[] = [];
    await context.route('**/*', (route) => {
      const url = new URL(route.request().url());
      if (url.hostname !== '127.0.0.1') {
        outside.push(url.href);
        return route.abort();
      }
      return route.continue();
    });
    const page = await context.newPage();
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
    });
    const pages = listHtml(outDir);
    const broken: string[] = [];
    const missingAnchors: string[] = [];
    for (const file of pages) {
      const response = await page.goto(base + file, { waitUntil: 'load' });
      expect(response?.status(), file).toBe(200);
      if (!file.startsWith('api/'))
        await expect(page.locator('h1').first().textContent()).resolves.toBeTruthy();
      const links = await page.$$eval('a[href], link[href], script[src], img[src]', (els) =>
        // Resolved URLs (the DOM's href/src properties); the test's tsconfig has no DOM lib.
        els.map((e) => {
          const el = e as unknown as { href?: string; src?: string };
          return el.href || el.src || '';
        }),
      );
      for (const link of links) {
        const url = new URL(link);
        if (url.origin !== new URL(base).origin) continue;
        const target = join(outDir, decodeURIComponent(url.pathname));
        const file2 =
          existsSync(target) && statSync(target).isDirectory() ? join(target, 'index.html') : target;
        if (!existsSync(file2)) {
          broken.push(`${file} → ${url.pathname}`);
          continue;
        }
        // Fragments of our own pages must name an element; typedoc's are checked by typedoc itself.
        if (url.hash && file2.endsWith('.html') && !relative(outDir, file2).startsWith('api')) {
          const id = decodeURIComponent(url.hash.slice(1));
          if (!readFileSync(file2, 'utf8').includes(`id="${id}"`))
            missingAnchors.push(`${file} → ${url.pathname}${url.hash}`);
        }
      }
    }
    await context.close();
    expect(pages.length).toBeGreaterThan(spec.services.length);
    expect(pages.some((p) => p.startsWith('api/'))).toBe(true);
    expect(broken).toEqual([]);
    expect(missingAnchors).toEqual([]);
    expect(failed).toEqual([]);
    expect(outside).toEqual([]);
  }, 300_000);

  it('writes a screenshot of a service page to test-output/', async () => {
    const first = spec.services[0]!;
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    await page.goto(`${base}services/${first.slug}.html`);
    await expect(page.locator('h1').textContent()).resolves.toContain(first.id);
    const rows = await page.locator('table').first().locator('tbody tr').count();
    expect(rows).toBeGreaterThan(0);
    const dir = join(projectRoot, 'test-output');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'docs-service.png');
    await page.screenshot({ path: file, fullPage: false });
    await page.close();
    expect(statSync(file).size).toBeGreaterThan(10_000);
  });
});
