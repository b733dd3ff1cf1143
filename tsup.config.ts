import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    redis: 'src/redis/index.ts',
    middleware: 'src/middleware/index.ts',
    'middleware-node': 'src/middleware/node.ts',
    'middleware-koa': 'src/middleware/koa.ts',
    'middleware-fastify': 'src/middleware/fastify.ts',
    'middleware-fetch': 'src/middleware/fetch.ts',
    sqlite: 'src/sqlite/index.ts',
    prometheus: 'src/observability/prometheus.ts',
    otel: 'src/observability/otel.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  treeshake: true,
  // Shared chunks in CJS too, so that every entry (`bulwark`, `bulwark/redis`, `bulwark/middleware`, …) shares classes.
  splitting: true,
});
