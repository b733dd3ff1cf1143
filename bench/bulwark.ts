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
 * - `build` (default): `src/` built with tsup into `node_modules/.cache/bulwark-bench/<checkout>/`, a
 *   folder of its own for each checkout (worktrees that share one `node_modules` must not measure,
 *   or delete, each other's build)
 * - `dist`: the package's own `dist/` (run `npm run build` first; a warning says when it is older than `src/`)
 * - `src`: `src/` as tsx transpiles it (with the `__name` overhead described above)
 * @module
 */
import { createHash } from 'node:crypto';
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The shape of bulwark's root entry, plus, when the source has them, its `bulwark/redis` entry
 * (`redis`), its `bulwark/middleware` and `bulwark/middleware/node` entries (`middleware`,
 * `middlewareNode`) and its `bulwark/prometheus` entry (`prometheus`).
 */
export type BulwarkModule = typeof import('../src/index') & {
  readonly redis?: typeof import('../src/redis/index');
  readonly middleware?: typeof import('../src/middleware/index');
  readonly middlewareNode?: typeof import('../src/middleware/node');
  readonly prometheus?: typeof import('../src/observability/prometheus');
};

/** Where the measured bulwark code comes from; see the module comment. */
export type BulwarkSource = 'build' | 'dist' | 'src';

/** The loaded module and what to say about it in the output. */
export interface LoadedBulwark {
  readonly module: BulwarkModule;
  /** Where each entry of `module` was loaded from. */
  readonly entries: BulwarkEntries;
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

/** The file URL of each entry the bench loads, by its name in {@link BulwarkModule} (`index`: the root). */
export interface BulwarkEntries {
  readonly index: string;
  readonly redis: string;
  readonly middleware: string;
  readonly middlewareNode: string;
  readonly prometheus: string;
}

/** Imports `entries` into one {@link BulwarkModule}. */
export async function importBulwark(entries: BulwarkEntries): Promise<BulwarkModule> {
  const [index, redis, middleware, middlewareNode, prometheus] = await Promise.all([
    import(entries.index) as Promise<typeof import('../src/index')>,
    import(entries.redis) as Promise<typeof import('../src/redis/index')>,
    import(entries.middleware) as Promise<typeof import('../src/middleware/index')>,
    import(entries.middlewareNode) as Promise<typeof import('../src/middleware/node')>,
    import(entries.prometheus) as Promise<typeof import('../src/observability/prometheus')>,
  ]);
  return { ...index, redis, middleware, middlewareNode, prometheus };
}

/** The entries under `dir` (a URL relative to `base`), named `<name><extension>`. */
function entriesIn(base: URL, dir: string, names: Readonly<Record<keyof BulwarkEntries, string>>, extension: string): BulwarkEntries {
  const url = (name: string): string => new URL(`${dir}${name}${extension}`, base).href;
  return {
    index: url(names.index),
    redis: url(names.redis),
    middleware: url(names.middleware),
    middlewareNode: url(names.middlewareNode),
    prometheus: url(names.prometheus),
  };
}

/** The names of the entries as the package (and the bench's build) names its files. */
const BUILT_NAMES = {
  index: 'index',
  redis: 'redis',
  middleware: 'middleware',
  middlewareNode: 'middleware-node',
  prometheus: 'prometheus',
} as const;

/**
 * Loads bulwark from `source`, building it first for `build`. The result's `entries` let another
 * process (e.g. a server of `bench/http.ts`) load the same code.
 * @param source - see {@link BulwarkSource}
 * @param checkout - the bulwark checkout to load, by default this one (another one, e.g. a worktree
 *   of an older commit, measures a baseline in the same run)
 */
export async function loadBulwark(source: BulwarkSource, checkout: URL = root): Promise<LoadedBulwark> {
  if (source === 'src') {
    const sources = {
      index: 'index',
      redis: 'redis/index',
      middleware: 'middleware/index',
      middlewareNode: 'middleware/node',
      prometheus: 'observability/prometheus',
    };
    const entries = entriesIn(checkout, 'src/', sources, '.ts');
    const module = await importBulwark(entries);
    return { module, entries, source, description: 'src/ as transpiled by tsx (keepNames: per-call named closures pay __name)' };
  }
  if (source === 'dist') {
    const entries = entriesIn(checkout, 'dist/', BUILT_NAMES, '.js');
    const module = await importBulwark(entries);
    const built = statSync(new URL(entries.index)).mtimeMs;
    const newest = newestMtime(fileURLToPath(new URL('src/', checkout)));
    const warning =
      newest > built ? 'dist/ is older than src/: run `npm run build` first, or use BENCH_BULWARK=build' : undefined;
    return { module, entries, source, description: 'dist/ (npm run build)', ...(warning === undefined ? {} : { warning }) };
  }
  const outDir = `node_modules/.cache/bulwark-bench/${checkoutId(checkout)}/`;
  const { build } = await import('tsup');
  await build({
    // Shared chunks, as in the package (tsup.config.ts): `bulwark/middleware` then runs the root
    // entry's policies through the internal entry they share (`runInContext`), as it does for
    // users; entries bundled on their own would each hold a copy of it, and the guard would take
    // the slower path it keeps for policies of another loaded copy of bulwark.
    entry: {
      index: fileURLToPath(new URL('src/index.ts', checkout)),
      redis: fileURLToPath(new URL('src/redis/index.ts', checkout)),
      middleware: fileURLToPath(new URL('src/middleware/index.ts', checkout)),
      'middleware-node': fileURLToPath(new URL('src/middleware/node.ts', checkout)),
      prometheus: fileURLToPath(new URL('src/observability/prometheus.ts', checkout)),
    },
    format: ['esm'],
    outExtension: () => ({ js: '.mjs' }),
    outDir: fileURLToPath(new URL(outDir, checkout)),
    target: 'node20',
    platform: 'node',
    tsconfig: fileURLToPath(new URL('tsconfig.json', checkout)),
    dts: false,
    sourcemap: false,
    splitting: true,
    treeshake: false,
    clean: true,
    silent: true,
    config: false,
  });
  const entries = entriesIn(checkout, outDir, BUILT_NAMES, '.mjs');
  const module = await importBulwark(entries);
  return { module, entries, source, description: 'src/, src/redis/, src/middleware/ and bulwark/prometheus built with tsup (esm, target node20, like the package)' };
}

/** A short name of `checkout` for its build folder: the hash of its real path. */
function checkoutId(checkout: URL): string {
  return createHash('sha256').update(realpathSync(fileURLToPath(checkout))).digest('hex').slice(0, 12);
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
