import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/**
 * The compile-time tests in __tests__/types/public-api.ts are checked by `tsc --noEmit` (`npm run typecheck`).
 * This shows they have teeth: the same file with the registry loosened to `any` fails to compile.
 */
const FILE = join(__dirname, '..', 'types', 'public-api.ts');

function diagnostics(source: string): string[] {
  const { config } = ts.readConfigFile(join(__dirname, '..', '..', 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, join(__dirname, '..', '..'));
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === FILE ? source : readFile(name));
  const program = ts.createProgram([FILE], { ...options, noEmit: true }, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === FILE)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

// That they pass as written is `tsc --noEmit`'s to say (npm test runs it first); a second program here would
// type-check the package again for nothing.
test('the type tests fail when the public types are loosened to any', () => {
  const loosened = readFileSync(FILE, 'utf8').replace('declare const db: Db;', 'declare const db: any;');
  const errors = diagnostics(loosened);
  expect(errors.length).toBeGreaterThan(5);
  expect(errors).toContain("Unused '@ts-expect-error' directive.");
}, 60_000);
