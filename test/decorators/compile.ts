import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import * as bulwark from '../../src/index';

const bulwarkEntry = fileURLToPath(new URL('../../src/index.ts', import.meta.url));
/** Where the compiled file pretends to live; it exists only in the compiler host below. */
const virtualFile = fileURLToPath(new URL('./virtual-user-module.ts', import.meta.url));

/** Parsed files, shared by every program: both decorator settings parse the sources alike. */
const sourceFiles = new Map<string, ts.SourceFile | undefined>();

/** The options of a user's project, with `bulwark` resolved to this repository's source. */
function userOptions(experimentalDecorators: boolean): ts.CompilerOptions {
  return {
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    types: ['node'],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    experimentalDecorators,
    // What NestJS and TypeORM projects set along with experimentalDecorators.
    emitDecoratorMetadata: experimentalDecorators,
    paths: { bulwark: [bulwarkEntry] },
  };
}

function compilerHost(options: ts.CompilerOptions, source: string): ts.CompilerHost {
  const host = ts.createCompilerHost(options, true);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, onError) => {
    if (fileName === virtualFile) return ts.createSourceFile(fileName, source, languageVersion, true);
    if (!sourceFiles.has(fileName)) sourceFiles.set(fileName, readSourceFile(fileName, languageVersion, onError));
    return sourceFiles.get(fileName);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (fileName) => fileName === virtualFile || fileExists(fileName);
  return host;
}

/** Type-checks `source` as a user's module importing 'bulwark'; returns each diagnostic as text. */
export function typeCheck(source: string, experimentalDecorators: boolean): string[] {
  const options = userOptions(experimentalDecorators);
  const program = ts.createProgram([virtualFile], options, compilerHost(options, source));
  const file = program.getSourceFile(virtualFile);
  const diagnostics = [
    ...program.getOptionsDiagnostics(),
    ...program.getSyntacticDiagnostics(file),
    ...program.getSemanticDiagnostics(file),
  ];
  return diagnostics.map((diagnostic) => {
    const where =
      diagnostic.file !== undefined && diagnostic.start !== undefined
        ? `line ${diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line + 1}: `
        : '';
    return `${where}TS${diagnostic.code} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`;
  });
}

/**
 * Compiles `source` to CommonJS with the given decorator setting and runs it, with 'bulwark'
 * bound to this repository's source; returns its exports.
 */
export function compileAndRun(source: string, experimentalDecorators: boolean): Record<string, unknown> {
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: {
      ...userOptions(experimentalDecorators),
      module: ts.ModuleKind.CommonJS,
      moduleResolution: ts.ModuleResolutionKind.Node10,
      noEmit: false,
    },
    fileName: virtualFile,
  });
  if (!outputText.includes(experimentalDecorators ? '__decorate(' : '__esDecorate(')) {
    throw new Error(`the output does not use ${experimentalDecorators ? 'legacy' : 'standard'} decorators`);
  }
  const module = { exports: {} as Record<string, unknown> };
  const requireShim = (id: string): unknown => {
    if (id === 'bulwark') return bulwark;
    throw new Error(`unexpected import ${id}`);
  };
  new Function('require', 'module', 'exports', outputText)(requireShim, module, module.exports);
  return module.exports;
}
