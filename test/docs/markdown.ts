/**
 * Reading the Markdown docs as data, for the tests that keep them in step with the code: the
 * pages, their sections, tables, code blocks, links and heading anchors.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** README.md and every page of docs/, as paths relative to the root. */
export function markdownPages(): string[] {
  const docs = readdirSync(`${root}docs`).filter((name) => name.endsWith('.md'));
  return ['README.md', ...docs.sort().map((name) => `docs/${name}`)];
}

/** A file of the repository, by its path relative to the root. */
export function readPage(path: string): string {
  return readFileSync(`${root}${path}`, 'utf8');
}

/** The page's lines outside fenced code blocks (fences included as empty lines, so indexes hold). */
function proseLines(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

/**
 * The part of a page under the heading `heading` (e.g. `## Codes`), up to the next heading of
 * the same or a higher level.
 */
export function section(markdown: string, heading: string): string {
  const level = heading.indexOf(' ');
  const lines = markdown.split('\n');
  const start = lines.indexOf(heading);
  if (start === -1) throw new Error(`no heading "${heading}"`);
  const prose = proseLines(markdown);
  const end = prose.findIndex((line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level);
  return lines.slice(start + 1, end === -1 ? undefined : end).join('\n');
}

/** The cells of every table row in `markdown` (header and separator rows excluded). */
export function tableRows(markdown: string): string[][] {
  const rows: string[][] = [];
  const lines = proseLines(markdown);
  for (const [index, line] of lines.entries()) {
    if (!line.startsWith('|') || /^\|[-| :]+\|$/.test(line)) continue;
    if (/^\|[-| :]+\|$/.test(lines[index + 1] ?? '')) continue;
    rows.push(line.slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
  }
  return rows;
}

/** The contents of the fenced code blocks of `markdown` with the language `lang`. */
export function codeBlocks(markdown: string, lang: string): string[] {
  const blocks: string[] = [];
  const pattern = new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm');
  for (const match of markdown.matchAll(pattern)) blocks.push(match[1] ?? '');
  return blocks;
}

/** The targets of the Markdown links and images of a page, outside code. */
export function linkTargets(markdown: string): string[] {
  const targets: string[] = [];
  for (const line of proseLines(markdown)) {
    const text = line.replace(/`[^`]*`/g, '');
    for (const match of text.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)) targets.push(match[1] ?? '');
  }
  return targets;
}

/**
 * The anchors of a page's headings as GitHub makes them: lower case, punctuation and symbols
 * dropped, spaces as hyphens, a repeated one suffixed `-1`, `-2`, ….
 */
export function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  for (const line of proseLines(markdown)) {
    const heading = /^#{1,6} (.*)$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const text = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1');
    const slug = text
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    let anchor = slug;
    for (let n = 1; anchors.has(anchor); n++) anchor = `${slug}-${n}`;
    anchors.add(anchor);
  }
  return anchors;
}
