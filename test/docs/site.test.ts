import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
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

/** Resolves every href/src of every page in a folder against the files: broken targets and missing anchors. */
function checkLinks(root: string): { broken: string[]; missingAnchors: string[] } {
  const broken: string[] = [];
  const missingAnchors: string[] = [];
  for (const file of listHtml(root)) {
    const html = readFileSync(join(root, file), 'utf8');
    for (const m of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
      const raw = m[1]!.replace(/&amp;/g, '&');
      if (/^[a-z][a-z0-9+.-]*:/i.test(raw)) continue; // external (http:, mailto:, data:): not ours to resolve
      const url = new URL(raw, `http://site/${file}`);
      const target = join(root, decodeURIComponent(url.pathname));
      const resolved =
        existsSync(target) && statSync(target).isDirectory() ? join(target, 'index.html') : target;
      if (!existsSync(resolved)) {
        broken.push(`${file} → ${raw}`);
        continue;
      }
      // Fragments of our own pages must name an element; typedoc's are typedoc's business.
      if (url.hash && resolved.endsWith('.html') && !relative(root, resolved).startsWith('api')) {
        const id = decodeURIComponent(url.hash.slice(1));
        if (!readFileSync(resolved, 'utf8').includes(`id="${id}"`)) missingAnchors.push(`${file} → ${raw}`);
      }
    }
  }
  return { broken, missingAnchors };
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
  it('the link checker itself reports a missing page and a missing anchor', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mse-links-'));
    try {
      mkdirSync(join(dir, 'sub'));
      writeFileSync(join(dir, 'index.html'), '<a href="sub/a.html#here">a</a> <a href="gone.html">x</a>');
      writeFileSync(join(dir, 'sub', 'a.html'), '<p id="elsewhere"></p><a href="../index.html">back</a>');
      expect(checkLinks(dir)).toEqual({
        broken: ['index.html → gone.html'],
        missingAnchors: ['index.html → sub/a.html#here'],
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every internal link of every page resolves, anchors of our own pages included', () => {
    const pages = listHtml(outDir);
    const { broken, missingAnchors } = checkLinks(outDir);
    expect(pages.length).toBeGreaterThan(spec.services.length);
    expect(pages.some((p) => p.startsWith('api/'))).toBe(true);
    expect(broken).toEqual([]);
    expect(missingAnchors).toEqual([]);
  });

  it('renders the pages in Chromium with nothing failing and no request leaving localhost', async () => {
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
    page.on('requestfailed', (r) => failed.push(`failed ${r.url()}`));
    // Every page of the site itself; of typedoc's pages, the index and a sample (they share one template).
    const all = listHtml(outDir);
    const api = all.filter((p) => p.startsWith('api/'));
    const pages = [...all.filter((p) => !p.startsWith('api/')), ...api.slice(0, 8)];
    for (const file of pages) {
      const response = await page.goto(base + file, { waitUntil: 'load' });
      expect(response?.status(), file).toBe(200);
      await expect(page.locator('h1').first().textContent(), file).resolves.toBeTruthy();
      // Links as the browser resolves them must stay on this server.
      const links = await page.$$eval('a[href], link[href], script[src], img[src]', (els) =>
        // The DOM's resolved href/src; the test's tsconfig has no DOM lib.
        els.map((e) => {
          const el = e as unknown as { href?: string; src?: string };
          return el.href || el.src || '';
        }),
      );
      const origin = new URL(base).origin;
      for (const link of links)
        if (!file.startsWith('api/') && new URL(link).origin !== origin)
          outside.push(`${file} links ${link}`);
    }
    await context.close();
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
