/**
 * Loads the bulwark code to measure.
 *
 * The bench runs under tsx, whose esbuild transform forces `keepNames`: every named function that
 * is created per call (e.g. `const onRejected = (error) => …` inside `execute`) is wrapped in a
 * `__name(fn, 'onRejected')` call, i.e. an `Object.defineProperty` per call. Peers are measured
 * from their published JavaScript, so measuring bulwark's TypeScript through tsx would charge it
 * a cost its users never pay. By default the bench therefore builds `src/` the way the package is
 * built (tsup, esbuild, target node20, ESM) and measures that.
 *
 * `BENCH_BULWARK` selects the code:
 * - `build` (default): `src/` built with tsup into `node_modules/.cache/bulwark-bench/`
 * - `dist`: the package's own `dist/` (run `npm run build` first; a warning says when it is older than `src/`)
 * - `src`: `src/` as tsx transpiles it (with the `__name` overhead described above)
 * @module
 */
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * The shape of bulwark's root entry, plus its `bulwark/redis` and `bulwark/prometheus` entries when
 * the source has them (`redis`, `prometheus`).
 */
export type BulwarkModule = typeof import('../src/index') & {
  readonly redis?: typeof import('../src/redis/index');
  readonly prometheus?: typeof import('../src/observability/prometheus');
};

/** Where the measured bulwark code comes from; see the module comment. */
export type BulwarkSource = 'build' | 'dist' | 'src';

/** The loaded module and what to say about it in the output. */
export interface LoadedBulwark {
  readonly module: BulwarkModule;
  readonly source: BulwarkSource;
  /** One line for the report header, e.g. `src/ built with tsup (esm, node20)`. */
  readonly description: string;
  /** Set when the measured code may not match `src/` (a stale `dist/`). */
  readonly warning?: string;
}

const root = new URL('../', import.meta.url);

/**
 * Reads `BENCH_BULWARK`.
 * @throws when it is set to something else than `build`, `dist` or `src`
 */
export function bulwarkSourceFromEnv(): BulwarkSource {
  const raw = process.env['BENCH_BULWARK'];
  if (raw === undefined || raw === '') return 'build';
  if (raw === 'build' || raw === 'dist' || raw === 'src') return raw;
  throw new Error(`BENCH_BULWARK must be build, dist or src, got '${raw}'`);
}

/**
 * Loads bulwark from `source`, building it first for `build`.
 * @param source - see {@link BulwarkSource}
 */
export async function loadBulwark(source: BulwarkSource): Promise<LoadedBulwark> {
  if (source === 'src') {
    const module: BulwarkModule = {
      ...(await import('../src/index')),
      redis: await import('../src/redis/index'),
      prometheus: await import('../src/observability/prometheus'),
    };
    return { module, source, description: 'src/ as transpiled by tsx (keepNames: per-call named closures pay __name)' };
  }
  if (source === 'dist') {
    const entry = new URL('dist/index.js', root);
    const redis = (await import(new URL('dist/redis.js', root).href)) as typeof import('../src/redis/index');
    const prometheus = (await import(new URL('dist/prometheus.js', root).href)) as typeof import('../src/observability/prometheus');
    const module: BulwarkModule = { ...((await import(entry.href)) as typeof import('../src/index')), redis, prometheus };
    const built = statSync(entry).mtimeMs;
    const newest = newestMtime(fileURLToPath(new URL('src/', root)));
    const warning =
      newest > built ? 'dist/ is older than src/: run `npm run build` first, or use BENCH_BULWARK=build' : undefined;
    return { module, source, description: 'dist/ (npm run build)', ...(warning === undefined ? {} : { warning }) };
  }
  const outDir = fileURLToPath(new URL('node_modules/.cache/bulwark-bench/', root));
  const { build } = await import('tsup');
  await build({
    // `redis` is bundled on its own (no splitting), so `index.mjs` is the same as without it; the
    // redis entry shares no class with the root entry (only option parsing), so its copy is harmless.
    entry: {
      index: fileURLToPath(new URL('src/index.ts', root)),
      redis: fileURLToPath(new URL('src/redis/index.ts', root)),
      prometheus: fileURLToPath(new URL('src/observability/prometheus.ts', root)),
    },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    outDir,
    target: 'node20',
    platform: 'node',
    tsconfig: fileURLToPath(new URL('tsconfig.json', root)),
    dts: false,
    sourcemap: false,
    splitting: false,
    treeshake: false,
    clean: true,
    silent: true,
    config: false,
  });
  const index = (await import(pathToFileURL(`${outDir}index.mjs`).href)) as typeof import('../src/index');
  const redis = (await import(pathToFileURL(`${outDir}redis.mjs`).href)) as typeof import('../src/redis/index');
  const prometheus = (await import(pathToFileURL(`${outDir}prometheus.mjs`).href)) as typeof import('../src/observability/prometheus');
  const module: BulwarkModule = { ...index, redis, prometheus };
  return { module, source, description: 'src/, src/redis/ and bulwark/prometheus built with tsup (esm, target node20, like the package)' };
}

/** Latest modification time of any file under `dir`, in ms. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const mtime = statSync(`${entry.parentPath}/${entry.name}`).mtimeMs;
    if (mtime > newest) newest = mtime;
  }
  return newest;
}
