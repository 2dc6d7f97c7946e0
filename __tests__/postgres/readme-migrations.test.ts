import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { scratchDatabases } from '../support/scratch-databases';
import { urlOf, workerDatabase } from '../support/server';

/**
 * The README's "Migrations in your app" samples, run as pasted: the JavaScript
 * files written where their first comment says, the TypeScript samples run with
 * `@tbp/models` pointing at src/, the shell lines with `npx tbp-models` pointing
 * at the CLI's source; all in a temporary app folder.
 */
const root = resolve(__dirname, '../..');
const databases = scratchDatabases();
const app = mkdtempSync(join(tmpdir(), 'tbp-mig-readme-'));
afterAll(async () => {
  rmSync(app, { recursive: true, force: true });
  await databases.dropAll();
}, 60_000);

function samples(): { lang: string; code: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('## Migrations in your app');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return [...section.matchAll(/```(\w+)[^\n]*\n([\s\S]*?)```/g)].map((match) => ({
    lang: match[1] as string,
    code: match[2] as string,
  }));
}

function run(command: string, args: string[], env: Record<string, string>) {
  const result = spawnSync(command, args, { cwd: app, env: { ...process.env, ...env }, encoding: 'utf8' });
  return { code: result.status, out: result.stdout, err: result.stderr };
}

test('the samples of "Migrations in your app" run as pasted', async () => {
  await databases.open('readme_app');
  const legacy = await databases.open('readme_legacy');
  await legacy.sequelize.sync();
  const env = {
    TS_NODE_PROJECT: join(root, 'tsconfig.json'),
    DATABASE_URL: urlOf(`${workerDatabase()}_readme_app`),
    LEGACY_DATABASE_URL: urlOf(`${workerDatabase()}_readme_legacy`),
  };
  const register = require.resolve('ts-node/register/transpile-only');
  const entry = join(root, 'src/index.ts');
  const found = samples();
  expect(found.map(({ lang }) => lang)).toEqual(['js', 'ts', 'js', 'sh', 'ts', 'ts']);

  const outputs: string[] = [];
  for (const [i, { lang, code }] of found.entries()) {
    if (lang === 'js') {
      const file = /^\/\/ (\S+)\n/.exec(code)?.[1] as string;
      mkdirSync(join(app, dirname(file)), { recursive: true });
      writeFileSync(join(app, file), code);
    } else if (lang === 'ts') {
      const lines = code.replaceAll("'@tbp/models'", JSON.stringify(entry)).split('\n');
      const imports = lines.filter((line) => line.startsWith('import '));
      const body = lines.filter((line) => !line.startsWith('import '));
      const file = join(app, `sample-${i}.ts`);
      writeFileSync(
        file,
        `${imports.join('\n')}\n(async () => {\n${body.join('\n')}\n})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });\n`,
      );
      const result = run(process.execPath, ['-r', register, file], env);
      expect({ sample: i, code: result.code, err: result.err }).toEqual({ sample: i, code: 0, err: '' });
      outputs.push(result.out);
    } else {
      for (const line of code.split('\n').filter(Boolean)) {
        const words = line.replace(/#.*$/, '').trim().split(/\s+/);
        expect(words.slice(0, 2)).toEqual(['npx', 'tbp-models']);
        const result = run(process.execPath, ['-r', register, join(root, 'src/cli/bin.ts'), ...words.slice(2)], env);
        expect({ line, code: result.code, err: result.err }).toEqual({ line, code: 0, err: '' });
        outputs.push(result.out);
      }
    }
  }
  expect(outputs).toEqual([
    expect.stringContaining("{ name: '20250101-notes', state: 'up' }"),
    'no pending migrations\n',
    expect.stringContaining('up       20250101-notes\n'),
    'no drift\nnot ours (left alone): table notes\n',
    "no drift [ 'table notes' ]\n",
    expect.stringContaining("'0001-initial-schema'"),
  ]);
}, 180_000);
