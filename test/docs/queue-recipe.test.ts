/**
 * docs/queue.md's recipe for protecting a BullMQ processor is examples/bullmq-processor.ts (which
 * tsc checks and test/examples.test.ts runs against Redis) word for word: the part between its
 * two marker comments.
 */
import { describe, expect, it } from 'vitest';
import { codeBlocks, readPage, section } from './markdown';

describe('docs/queue.md BullMQ recipe', () => {
  it('is examples/bullmq-processor.ts, word for word', () => {
    const source = readPage('examples/bullmq-processor.ts');
    const region = /\/\/ ---- docs\/queue\.md BullMQ recipe: begin ----\n([\s\S]*?\n)\/\/ ---- docs\/queue\.md BullMQ recipe: end ----/.exec(source)?.[1];
    const [block] = codeBlocks(section(readPage('docs/queue.md'), '## Protecting a BullMQ processor with bulwark policies'), 'ts');
    expect(region).toBeDefined();
    expect(block).toBe(region);
  });
});
