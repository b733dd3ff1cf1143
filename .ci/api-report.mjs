// The public API report: every name the built `bulwark` entry exports, value or type, one per
// line. CI compares it with the checked-in api/bulwark.api.txt so that an API change is always a
// visible diff; after an intended change run `node .ci/api-report.mjs --update` and commit.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const declarations = readFileSync(`${root}dist/index.d.ts`, 'utf8');
// The entry's own export list, plus the names it re-exports from shared chunks (`export { q as
// Backpressure, … } from './chunk.js'`: tsup moves there what other entries import too).
const lists = [...declarations.matchAll(/^export \{([^}]*)\}(?: from '[^']+')?;$/gm)].map((match) => match[1]);
if (lists.length === 0) throw new Error('dist/index.d.ts has no export list: run npm run build first');
const exported = lists.flatMap((list) => list.split(',').map((name) => name.trim().replace(/^.* as /, ''))).join(',');
// A name is a value when the built module has it at run time; the declaration bundle alone cannot
// tell (a type re-exported from a shared chunk loses its `type` keyword).
const values = new Set(Object.keys(await import(pathToFileURL(`${root}dist/index.js`).href)));
const report = `${exported
  .split(',')
  .map((name) => name.trim().replace(/^type /, ''))
  .filter(Boolean)
  .map((name) => (values.has(name) ? `value ${name}` : `type  ${name}`))
  .sort((a, b) => a.slice(6).localeCompare(b.slice(6)))
  .join('\n')}\n`;

const reportPath = `${root}api/bulwark.api.txt`;
if (process.argv.includes('--update')) {
  writeFileSync(reportPath, report);
  console.log(`api-report: wrote ${reportPath}`);
} else if (readFileSync(reportPath, 'utf8') !== report) {
  console.error('api-report: the public API differs from api/bulwark.api.txt; if intended, run `node .ci/api-report.mjs --update` and commit');
  process.exit(1);
} else {
  console.log('api-report: the public API matches api/bulwark.api.txt');
}
