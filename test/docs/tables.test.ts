/**
 * docs/errors.md and docs/events.md list every error code and every event the code has: the codes
 * come from the running code (ErrorCode and an instance of every exported error class), the
 * events from the TypeScript compiler (the keys of BulwarkEventMap, which merges every pattern's
 * event map), so that a new code or event fails here until its row is written.
 */
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import * as bulwark from '../../src/index';
import * as bulwarkMiddleware from '../../src/middleware/index';
import * as bulwarkRedis from '../../src/redis/index';
import { readPage, root, section, tableRows } from './markdown';

/** The backticked words of a table cell, e.g. `` `queueFull` `` → `queueFull`. */
function codeSpans(cell: string | undefined): string[] {
  return [...(cell ?? '').matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
}

/** Every exported class whose instances are errors, by export name. */
function exportedErrorClasses(): Map<string, new (...args: unknown[]) => Error> {
  const classes = new Map<string, new (...args: unknown[]) => Error>();
  for (const [name, value] of Object.entries({ ...bulwark, ...bulwarkRedis, ...bulwarkMiddleware })) {
    if (typeof value === 'function' && value.prototype instanceof Error) {
      classes.set(name, value as new (...args: unknown[]) => Error);
    }
  }
  return classes;
}

/**
 * The code an error class always carries, or `undefined` when it carries none or takes its code
 * as an argument (the BulwarkError and RejectedError bases): read from two instances made with
 * different placeholder arguments.
 */
function fixedCode(errorClass: new (...args: unknown[]) => Error): string | undefined {
  const codeOf = (placeholder: unknown[]) => (new errorClass(...Array<unknown>(6).fill(placeholder)) as { code?: unknown }).code;
  const first = codeOf([]);
  return typeof first === 'string' && first === codeOf(['other']) ? first : undefined;
}

/** The keys of `BulwarkEventMap` (`retry:retry`, …), as the compiler resolves the type. */
function busEventTypes(): string[] {
  const configFile = ts.readConfigFile(`${root}tsconfig.json`, (path) => ts.sys.readFile(path));
  const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, root);
  const entry = `${root}src/index.ts`;
  const program = ts.createProgram([entry], { ...options, noEmit: true });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry) as ts.SourceFile) as ts.Symbol;
  const eventMap = checker.getExportsOfModule(moduleSymbol).find((symbol) => symbol.name === 'BulwarkEventMap');
  if (eventMap === undefined) throw new Error('src/index.ts exports no BulwarkEventMap');
  const type = checker.getDeclaredTypeOfSymbol(checker.getAliasedSymbol(eventMap));
  return checker.getPropertiesOfType(type).map((property) => property.name);
}

describe('docs/errors.md', () => {
  const page = readPage('docs/errors.md');
  const codeRows = tableRows(section(page, '## Codes'));
  const documentedCodes = new Map(codeRows.map((row) => [codeSpans(row[0])[0], row]));
  const errorClasses = exportedErrorClasses();

  it('finds the error classes and codes it checks', () => {
    expect(errorClasses.size).toBeGreaterThanOrEqual(11);
    expect(Object.values(bulwark.ErrorCode).length).toBeGreaterThanOrEqual(8);
  });

  it('has a row in its Codes table for every value of ErrorCode', () => {
    const missing = Object.values(bulwark.ErrorCode).filter((code) => !documentedCodes.has(code));
    expect(missing, 'codes without a row in the Codes table of docs/errors.md').toEqual([]);
  });

  it('names, in the row of its code, every exported error class that carries a code', () => {
    const wrong: string[] = [];
    for (const [name, errorClass] of errorClasses) {
      const code = fixedCode(errorClass);
      if (code === undefined) continue;
      const row = documentedCodes.get(code);
      if (row === undefined || !codeSpans(row[1]).includes(name)) wrong.push(`${name} (${code})`);
    }
    expect(wrong, 'error classes missing from the row of their code in docs/errors.md').toEqual([]);
  });

  it('lists only codes that exist', () => {
    const codes = new Set<string>(Object.values(bulwark.ErrorCode));
    for (const errorClass of errorClasses.values()) {
      const code = fixedCode(errorClass);
      if (code !== undefined) codes.add(code);
    }
    expect([...documentedCodes.keys()].filter((code) => !codes.has(code ?? ''))).toEqual([]);
  });

  it('mentions every exported error class, with a code or without', () => {
    const missing = [...errorClasses.keys()].filter((name) => !page.includes(`\`${name}\``));
    expect(missing, 'error classes docs/errors.md never names').toEqual([]);
  });
});

describe('docs/events.md', () => {
  const page = readPage('docs/events.md');
  const eventRows = tableRows(page).filter((row) => /^`\w+:\w+`$/.test(row[0] ?? ''));
  let eventTypes: string[];
  beforeAll(() => {
    eventTypes = busEventTypes();
  }, 30_000);

  it('finds the events it checks', () => {
    expect(eventTypes.length).toBeGreaterThanOrEqual(19);
    expect(eventTypes).toContain('retry:retry');
  });

  it('has a row for every event, by its bus type and its instance event name', () => {
    const rows = new Map(eventRows.map((row) => [codeSpans(row[0])[0], codeSpans(row[1])[0]]));
    const missing = eventTypes.filter((type) => rows.get(type) !== type.split(':')[1]);
    expect(missing, 'events without a correct row in the table of docs/events.md').toEqual([]);
  });

  it('lists only events that exist', () => {
    const stale = eventRows.map((row) => codeSpans(row[0])[0] ?? '').filter((type) => !eventTypes.includes(type));
    expect(stale).toEqual([]);
  });

  it('names every pattern type in the patternType field', () => {
    const row = tableRows(page).find((cells) => cells[0] === '`patternType`');
    const patternTypes = new Set(eventTypes.map((type) => type.split(':')[0] ?? ''));
    const missing = [...patternTypes].filter((patternType) => !row?.[1]?.includes(`'${patternType}'`));
    expect(missing).toEqual([]);
  });
});
