import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { defaultSpecDir, loadSpec, projectRoot } from '../spec/load.ts';
import { type ApiDocsResult, generateApiDocs } from './api.ts';
import { type Coverage, loadCoverage } from './coverage.ts';
import { layout, type Page, stylesheet } from './html.ts';
import {
  errataPage,
  indexPage,
  interpretingPage,
  mmsMoPage,
  pactPage,
  receiptsPage,
  rulesPage,
  type SiteContext,
  servicePage,
  smsMoPage,
  statusCodesPage,
  ussdEventsPage,
  webhooksIndexPage,
} from './pages.ts';

export { type Coverage, coverageFigure, loadCoverage } from './coverage.ts';

export interface DocsOptions {
  outDir: string;
  specDir?: string;
  fixturesDir?: string;
  /** Generate the typedoc API reference into outDir/api (default true). */
  api?: boolean;
}

export interface DocsResult {
  /** Pages of the site itself, relative to outDir (the API reference's pages are not counted). */
  pages: string[];
  coverage: Coverage;
  api?: ApiDocsResult;
  /** The API reference was asked for but could not be generated: no TypeScript sources or no typedoc here. */
  apiSkipped?: boolean;
}

/**
 * Writes the reference site: plain HTML and one stylesheet, no script and nothing fetched from
 * elsewhere, every link relative, so the folder works offline and from file://.
 */
export async function generateDocs(options: DocsOptions): Promise<DocsResult> {
  const specDir = options.specDir ?? defaultSpecDir;
  const fixturesDir = options.fixturesDir ?? join(dirname(specDir), 'fixtures');
  const spec = loadSpec(specDir, fixturesDir);
  const coverage = await loadCoverage(spec, projectRoot);
  rmSync(options.outDir, { recursive: true, force: true });
  mkdirSync(options.outDir, { recursive: true });

  let api: ApiDocsResult | undefined;
  if (options.api !== false) api = await generateApiDocs(projectRoot, join(options.outDir, 'api'));
  const apiSkipped = options.api !== false && !api;

  const ctx: SiteContext = { spec, fixturesDir, coverage, apiGenerated: api !== undefined };
  const pages: Page[] = [
    indexPage(ctx),
    ...spec.services.map((s) => servicePage(ctx, s)),
    rulesPage(ctx),
    statusCodesPage(ctx),
    errataPage(ctx),
    interpretingPage(ctx),
    pactPage(ctx),
    webhooksIndexPage(ctx),
    receiptsPage(ctx),
    smsMoPage(ctx),
    mmsMoPage(ctx),
    ussdEventsPage(ctx),
  ];
  if (!api) pages.push(apiPlaceholder(ctx, apiSkipped));
  for (const page of pages) {
    const file = join(options.outDir, page.path);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, page.html);
  }
  writeFileSync(join(options.outDir, 'style.css'), stylesheet);
  return {
    pages: pages.map((p) => p.path),
    coverage,
    ...(api ? { api } : {}),
    ...(apiSkipped ? { apiSkipped } : {}),
  };
}

/** Without typedoc (--no-api, or the installed package) the nav link still resolves and says how to get the reference. */
function apiPlaceholder(ctx: SiteContext, noSources: boolean): Page {
  const how = noSources
    ? 'It is generated from the TypeScript sources, which the installed package does not ship: in a checkout of the project, run <code>mse-conformance docs --out DIR</code>.'
    : 'Run <code>mse-conformance docs --out DIR</code> without <code>--no-api</code>.';
  return layout(
    'api/index.html',
    'Library API',
    `<p>The API reference was not generated in this build. ${how}</p>`,
    ctx.spec.hash,
  );
}
