import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ApiDocsResult {
  /** Entry points documented (relative to the project root). */
  entryPoints: string[];
  /** Entry points listed in typedoc.json that do not exist yet (modules other engineers are still writing). */
  missing: string[];
}

/**
 * Generates the library's API reference with typedoc into `outDir`. Entry points come from the project's
 * typedoc.json; those not written yet are skipped and reported, so the site builds while the library grows.
 * Undefined where the TypeScript sources or typedoc are absent (the installed package ships neither).
 */
export async function generateApiDocs(root: string, outDir: string): Promise<ApiDocsResult | undefined> {
  if (!existsSync(join(root, 'typedoc.json'))) return undefined;
  let typedoc: typeof import('typedoc');
  try {
    typedoc = await import('typedoc');
  } catch {
    return undefined;
  }
  const { Application, LogLevel } = typedoc;
  const config = JSON.parse(readFileSync(join(root, 'typedoc.json'), 'utf8')) as {
    name: string;
    entryPoints: string[];
  };
  const entryPoints = config.entryPoints.filter((e) => existsSync(join(root, e)));
  const missing = config.entryPoints.filter((e) => !existsSync(join(root, e)));
  const app = await Application.bootstrapWithPlugins(
    {
      name: config.name,
      entryPoints: entryPoints.map((e) => join(root, e)),
      tsconfig: join(root, 'tsconfig.json'),
      readme: 'none',
      // Other areas may have type errors mid-flight; the reference documents what compiles, and tsc reports the rest.
      skipErrorChecking: true,
      hideGenerator: true,
      excludePrivate: true,
      excludeInternal: true,
      logLevel: LogLevel.Error,
      plugin: [],
    },
    [],
  );
  const project = await app.convert();
  if (!project)
    throw new Error('MSE_DOCS_TYPEDOC: typedoc could not convert the library; run npx tsc --noEmit');
  await app.generateDocs(project, outDir);
  return { entryPoints, missing };
}
