/**
 * The composition diagram of README.md is the one of docs/composition.md, and the recommended
 * pipeline under it lists the patterns in the diagram's order.
 */
import { describe, expect, it } from 'vitest';
import { codeBlocks, readPage, section } from './markdown';

const readme = section(readPage('README.md'), '## Composition');
const guide = section(readPage('docs/composition.md'), '## The recommended order');

/** The pattern classes named at the start of the diagram's lines, in order. */
function layersOf(diagram: string): string[] {
  return [...diagram.matchAll(/^([A-Z]\w+)/gm)].map((match) => match[1] ?? '');
}

describe('the composition diagram', () => {
  it('is the same in README.md and docs/composition.md', () => {
    expect(codeBlocks(readme, 'text')).toEqual(codeBlocks(guide, 'text'));
    expect(codeBlocks(readme, 'ts')[0]).toBe(codeBlocks(guide, 'ts')[0]);
  });

  it('shows every pattern of the recommended pipeline, in the order the code composes them', () => {
    const [diagram = ''] = codeBlocks(guide, 'text');
    const [pipeline = ''] = codeBlocks(guide, 'ts');
    const composed = [...pipeline.matchAll(/new (\w+)\(/g)].map((match) => match[1] ?? '');
    const layers = layersOf(diagram);
    expect(composed.length).toBeGreaterThanOrEqual(5);
    expect(layers.filter((layer) => composed.includes(layer))).toEqual(composed);
  });
});
