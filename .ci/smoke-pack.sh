#!/usr/bin/env bash
# Smoke test of the published artifact: packs the built package, installs the tarball into a fresh
# CommonJS project, and calls wrap(new Retry(...), fn) from an ESM (.mjs) and a CJS (.cjs) file.
# Requires a build (dist/) first: npm run build. Set KEEP_SMOKE_DIR=1 to keep the temp dirs.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

for f in dist/index.js dist/index.cjs; do
  if [[ ! -f "$f" ]]; then
    echo "smoke-pack: $f is missing; run npm run build first" >&2
    exit 1
  fi
done

WORK="$(mktemp -d -t bulwark-smoke.XXXXXX)"
cleanup() {
  if [[ "${KEEP_SMOKE_DIR:-0}" == "1" ]]; then
    echo "smoke-pack: kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

PACK_DIR="$WORK/pack"
APP_DIR="$WORK/app"
mkdir -p "$PACK_DIR" "$APP_DIR"

echo "smoke-pack: npm pack"
npm pack --json --pack-destination "$PACK_DIR" >"$WORK/pack.json"
TARBALL_NAME="$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0].filename)' "$WORK/pack.json")"
TARBALL="$PACK_DIR/$TARBALL_NAME"
if [[ ! -f "$TARBALL" ]]; then
  echo "smoke-pack: npm pack did not produce a tarball (expected $TARBALL)" >&2
  exit 1
fi
echo "smoke-pack: packed $(basename "$TARBALL") ($(wc -c <"$TARBALL") bytes)"

cd "$APP_DIR"
npm init -y >/dev/null # package.json without "type": the project is CommonJS
echo "smoke-pack: npm install $(basename "$TARBALL")"
npm install --no-audit --no-fund --prefer-offline --loglevel=error "$TARBALL"

cat >esm.mjs <<'JS'
import assert from 'node:assert/strict';
import { wrap, Retry } from 'bulwark';

const call = wrap(new Retry({ maxAttempts: 2 }), async (x) => x * 2);
const result = await call(21);
assert.strictEqual(result, 42, `ESM: expected 42, got ${result}`);
console.log('smoke-pack: ESM import ok (call(21) === 42)');
JS

cat >cjs.cjs <<'JS'
const assert = require('node:assert/strict');
const { wrap, Retry } = require('bulwark');

(async () => {
  const call = wrap(new Retry({ maxAttempts: 2 }), async (x) => x * 2);
  const result = await call(21);
  assert.strictEqual(result, 42, `CJS: expected 42, got ${result}`);
  console.log('smoke-pack: CJS require ok (call(21) === 42)');
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
JS

# The middleware entries load without any framework installed (the adapters name framework types only).
cat >middleware.mjs <<'JS'
import assert from 'node:assert/strict';
import { createGuard } from 'bulwark/middleware';
import { guardMiddleware } from 'bulwark/middleware/node';
import { guardMiddleware as koaMiddleware } from 'bulwark/middleware/koa';
import { guardPlugin } from 'bulwark/middleware/fastify';
import { guardFetch, guardHono } from 'bulwark/middleware/fetch';

const guard = createGuard();
for (const made of [guardMiddleware(guard), koaMiddleware(guard), guardPlugin, guardFetch(guard, () => new Response('ok')), guardHono(guard)]) {
  assert.strictEqual(typeof made, 'function');
}
console.log('smoke-pack: ESM import of every middleware entry ok');
JS

cat >middleware.cjs <<'JS'
const assert = require('node:assert/strict');
const { createGuard } = require('bulwark/middleware');
const entries = ['node', 'koa', 'fastify', 'fetch'].map((name) => require(`bulwark/middleware/${name}`));
const guard = createGuard();
assert.strictEqual(typeof entries[0].guardMiddleware(guard), 'function');
assert.strictEqual(typeof entries[1].guardMiddleware(guard), 'function');
assert.strictEqual(typeof entries[2].guardPlugin, 'function');
assert.strictEqual(typeof entries[3].guardHono(guard), 'function');
console.log('smoke-pack: CJS require of every middleware entry ok');
JS

# bulwark/sqlite loads without better-sqlite3 installed (it is required when a sink is made).
cat >sqlite.mjs <<'JS'
import assert from 'node:assert/strict';
import { SqliteMetricsSink, collectFromSqlite } from 'bulwark/sqlite';
assert.strictEqual(typeof SqliteMetricsSink, 'function');
assert.strictEqual(typeof collectFromSqlite, 'function');
console.log('smoke-pack: ESM import of bulwark/sqlite ok');
JS

cat >sqlite.cjs <<'JS'
const assert = require('node:assert/strict');
const { SqliteMetricsSink } = require('bulwark/sqlite');
assert.strictEqual(typeof SqliteMetricsSink, 'function');
console.log('smoke-pack: CJS require of bulwark/sqlite ok');
JS

# The exporter entries load without their peers (prom-client, @opentelemetry/api), which this app
# does not install: they write into the registry or meter the user passes.
cat >exporters.mjs <<'JS'
import assert from 'node:assert/strict';
import { registerMetrics, METRIC_SET } from 'bulwark/prometheus';
import { registerOtelMetrics } from 'bulwark/otel';
import { healthHandler, metricsHandler } from 'bulwark/middleware';

assert.strictEqual(typeof registerMetrics, 'function');
assert.strictEqual(typeof registerOtelMetrics, 'function');
assert.ok(METRIC_SET.some((metric) => metric.name === 'bulwark_calls_total'));
assert.strictEqual(healthHandler()().status, 200);
assert.strictEqual(typeof metricsHandler({ contentType: 'text/plain', metrics: () => '' }), 'function');
console.log('smoke-pack: ESM import of bulwark/prometheus and bulwark/otel ok, without their peers');
JS

cat >exporters.cjs <<'JS'
const assert = require('node:assert/strict');
const { registerMetrics } = require('bulwark/prometheus');
const { registerOtelMetrics } = require('bulwark/otel');
assert.strictEqual(typeof registerMetrics, 'function');
assert.strictEqual(typeof registerOtelMetrics, 'function');
console.log('smoke-pack: CJS require of bulwark/prometheus and bulwark/otel ok, without their peers');
JS

# Run from the app dir with a clean NODE_OPTIONS/NODE_PATH so only the installed tarball resolves.
env -u NODE_PATH -u NODE_OPTIONS node esm.mjs
env -u NODE_PATH -u NODE_OPTIONS node cjs.cjs
env -u NODE_PATH -u NODE_OPTIONS node middleware.mjs
env -u NODE_PATH -u NODE_OPTIONS node middleware.cjs
env -u NODE_PATH -u NODE_OPTIONS node sqlite.mjs
env -u NODE_PATH -u NODE_OPTIONS node sqlite.cjs
env -u NODE_PATH -u NODE_OPTIONS node exporters.mjs
env -u NODE_PATH -u NODE_OPTIONS node exporters.cjs
echo "smoke-pack: ok ($ROOT)"
