import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The modules a fresh process has loaded after `code`, as package names (and our own src/ files). */
function loadedAfter(code: string): string[] {
  const script = `${code}; console.log(JSON.stringify(Object.keys(require.cache)))`;
  const output = execFileSync(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
    cwd: resolve(__dirname, '../..'),
    encoding: 'utf8',
  });
  return (JSON.parse(output) as string[]).map((path) =>
    path.includes('node_modules/') ? (path.split('node_modules/').pop()?.split('/')[0] ?? path) : path,
  );
}

describe('what loading the package costs', () => {
  it('loads neither pg-mem nor its glue, umzug, bcryptjs, the pg driver nor pg-copy-streams until they are used', () => {
    const loaded = loadedAfter("require('./src')");
    expect(loaded).toContain('sequelize');
    // pg comes with the first createDb of a server (Sequelize's dialect), pg-copy-streams with the first import;
    // the in-memory mode's error class (src/memory/errors.ts) is public API and loads nothing else.
    expect(
      loaded.filter((name) => /^(pg-mem|umzug|bcryptjs|pg|pg-copy-streams)$|src\/memory\/(?!errors\.ts$)/.test(name)),
    ).toEqual([]);
  }, 60_000);

  it('loads the glue with the first in-memory database', () => {
    const loaded = loadedAfter("require('./src').createDb({ inMemory: true })");
    expect(loaded).toContain('pg-mem');
    expect(loaded.some((name) => name.includes('src/memory/'))).toBe(true);
  }, 60_000);
});
