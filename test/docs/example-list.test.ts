/**
 * Every program in examples/ is run by test/examples.test.ts and listed in the README, so that an
 * example added is neither untested nor hidden.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readPage, root } from './markdown';

const examples = readdirSync(`${root}examples`)
  .filter((name) => name.endsWith('.ts'))
  .map((name) => name.slice(0, -'.ts'.length));

describe('examples/', () => {
  it('has the examples the docs promise', () => {
    expect(examples).toEqual(
      expect.arrayContaining(['quick-start', 'bulkhead', 'load-shedder', 'backpressure', 'adaptive-concurrency', 'rate-limiter-memory', 'rate-limiter-redis']),
    );
  });

  it('are each run by test/examples.test.ts', () => {
    const runner = readPage('test/examples.test.ts');
    expect(examples.filter((name) => !runner.includes(`'../examples/${name}'`) && !runner.includes(`examples/${name}.ts'`))).toEqual([]);
  });

  it('are each linked from the README', () => {
    const readme = readPage('README.md');
    expect(examples.filter((name) => !readme.includes(`(examples/${name}.ts)`))).toEqual([]);
  });
});
