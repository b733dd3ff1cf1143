/**
 * The README's quick start is examples/quick-start.ts (which test/examples.test.ts runs) word for
 * word: its import, then the part between the two marker comments, indented as at the top level;
 * and, standing alone, it compiles: it defines everything it calls.
 */
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { codeBlocks, readPage, root, section } from './markdown';

/** The quick start as the README should show it, built from the example program. */
function quickStartFromExample(): string {
  const source = readPage('examples/quick-start.ts');
  const imports = /^import \{[^}]*\} from 'bulwark';$/m.exec(source)?.[0];
  const region = /\/\/ ---- README quick start: begin ----\n([\s\S]*?)\n\s*\/\/ ---- README quick start: end ----/.exec(source)?.[1];
  if (imports === undefined || region === undefined) throw new Error('examples/quick-start.ts lost its bulwark import or its markers');
  const indent = /^ */.exec(region)?.[0].length ?? 0;
  const body = region
    .split('\n')
    .map((line) => line.slice(Math.min(indent, /^ */.exec(line)?.[0].length ?? 0)))
    .join('\n');
  return `${imports}\n\n${body}\n`;
}

describe('README.md quick start', () => {
  it('is examples/quick-start.ts, word for word', () => {
    const [block] = codeBlocks(section(readPage('README.md'), '## Quick start'), 'ts');
    expect(block).toBe(quickStartFromExample());
  });

  it('compiles on its own: everything it calls is imported or defined in it', () => {
    const configFile = ts.readConfigFile(`${root}tsconfig.json`, (path) => ts.sys.readFile(path));
    const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
    const file = `${root}examples/readme-quick-start.ts`;
    const [block = ''] = codeBlocks(section(readPage('README.md'), '## Quick start'), 'ts');
    const host = ts.createCompilerHost(options);
    const { getSourceFile, fileExists } = host;
    host.fileExists = (path) => path === file || fileExists(path);
    host.getSourceFile = (path, language, ...rest) =>
      path === file ? ts.createSourceFile(path, block, language) : getSourceFile(path, language, ...rest);
    const program = ts.createProgram([file], { ...options, noEmit: true }, host);
    const source = program.getSourceFile(file);
    const unused = new Set([6133, 6196]); // a snippet may declare what it does not use again
    const errors = [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
      .filter((diagnostic) => !unused.has(diagnostic.code))
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(errors).toEqual([]);
  }, 30_000);
});
