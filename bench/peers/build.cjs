// Gets the peer benchmark ready to run: its own dependencies (installed once, from its lock file,
// without install scripts: Prisma's would download engines), Prisma's client generated offline,
// and the TypeScript compiled to build/, so that cold starts time JavaScript, not a transpiler.
const { execFileSync } = require('node:child_process');
const { existsSync, rmSync } = require('node:fs');
const { join } = require('node:path');

const here = __dirname;
const root = join(here, '..', '..');
const run = (command, args, env = process.env) => execFileSync(command, args, { cwd: here, stdio: 'inherit', env });

if (!existsSync(join(here, 'node_modules', '.package-lock.json'))) {
  run('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund']);
}
if (!existsSync(join(root, 'dist', 'index.js'))) throw new Error('build the package first: npm run build');
run(join(here, 'node_modules', '.bin', 'prisma'), ['generate', '--schema', 'schema.prisma'], {
  ...process.env,
  // generate needs no schema engine; this stands in for it, so that nothing is downloaded.
  PRISMA_SCHEMA_ENGINE_BINARY: join(here, 'no-schema-engine.sh'),
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
});
rmSync(join(here, 'build'), { recursive: true, force: true });
run(join(root, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.json']);
