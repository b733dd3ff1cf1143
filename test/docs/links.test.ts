/**
 * Every relative link of README.md and docs/*.md leads somewhere: to a file of the repository
 * that the npm package also ships (so that the links work for a reader of the installed package,
 * whose README and docs have no other home), and, for a link into a Markdown page, to one of its
 * headings.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { posix } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { headingAnchors, linkTargets, markdownPages, readPage, root } from './markdown';

/** A relative link of a page: the file it leads to (from the root) and its anchor, if any. */
interface RelativeLink {
  readonly page: string;
  readonly target: string;
  readonly file: string;
  readonly anchor: string | undefined;
}

function relativeLinks(): RelativeLink[] {
  const links: RelativeLink[] = [];
  for (const page of markdownPages()) {
    for (const target of linkTargets(readPage(page))) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file = path === '' ? page : posix.normalize(posix.join(posix.dirname(page), decodeURIComponent(path)));
      links.push({ page, target, file, anchor });
    }
  }
  return links;
}

/** The files `npm pack` puts in the tarball, from the root. */
async function packedFiles(): Promise<Set<string>> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root }, (error, out) =>
      error === null ? resolve(out) : reject(error),
    );
  });
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return new Set(pack?.files.map((file) => file.path));
}

describe('relative links in README.md and docs/*.md', () => {
  const links = relativeLinks();
  const describeLink = (link: RelativeLink) => `${link.page}: ${link.target}`;

  it('finds the links it checks', () => {
    expect(links.length).toBeGreaterThan(100);
    expect(links.filter((link) => link.anchor !== undefined).length).toBeGreaterThan(20);
  });

  it('lead to files that exist', () => {
    expect(links.filter((link) => !existsSync(`${root}${link.file}`)).map(describeLink)).toEqual([]);
  });

  it('lead to headings that exist when they name an anchor in a Markdown page', () => {
    const anchors = new Map<string, Set<string>>();
    const broken = links.filter((link) => {
      if (link.anchor === undefined || !link.file.endsWith('.md') || !existsSync(`${root}${link.file}`)) return false;
      let known = anchors.get(link.file);
      if (known === undefined) anchors.set(link.file, (known = headingAnchors(readPage(link.file))));
      return !known.has(link.anchor);
    });
    expect(broken.map(describeLink)).toEqual([]);
  });

  describe('in the npm package', () => {
    let packed: Set<string>;
    beforeAll(async () => {
      packed = await packedFiles();
    }, 30_000);

    it('ships README.md, every page of docs/ and every example', () => {
      expect(packed).toContain('README.md');
      for (const page of markdownPages()) expect(packed).toContain(page);
      expect(packed).toContain('examples/quick-start.ts');
      expect([...packed].filter((file) => file.endsWith('.map') && !file.startsWith('dist/'))).toEqual([]);
    });

    it('lead to files that the package ships', () => {
      expect(links.filter((link) => !packed.has(link.file)).map(describeLink)).toEqual([]);
    });
  });
});
