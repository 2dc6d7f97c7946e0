// Builds the package, packs it, installs the tarball into fresh copies of the example apps and runs
// their HTTP tests: what a consumer gets from `npm install @tbp/models`, not what src/ holds. The two apps,
// and the README's programs two at a time, run side by side; each one's output is printed when it ends.
const { execFile, execFileSync } = require('node:child_process');
const { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { summary } = require('./examples-summary.cjs');

const { checkReadmeSamples, scratchDatabases } = require('./readme-samples.cjs');

const root = join(__dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'tbp-examples-'));
const results = [];

function run(cwd, command, args, options = {}) {
  execFileSync(command, args, {
    cwd,
    stdio: options.quiet ? ['ignore', 'ignore', 'inherit'] : 'inherit',
    env: { ...process.env, ...options.env },
  });
}

/** `run`, without waiting: the output is held and printed in one piece when the command ends. */
function runAside(cwd, command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const env = options.env ?? { ...process.env };
    execFile(
      command,
      args,
      { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: options.timeout ?? 0 },
      (error, stdout, stderr) => {
        if (!options.quiet) process.stdout.write(stdout);
        process.stderr.write(stderr);
        if (error) reject(error);
        else resolve();
      },
    );
  });
}

/** Records a check; `action` may be async. Results keep the order in which the steps began. */
function step(name, action) {
  const started = Date.now();
  const result = { name, ok: true, seconds: 0 };
  results.push(result);
  const done = (error) => {
    result.seconds = (Date.now() - started) / 1000;
    if (error) Object.assign(result, { ok: false, error: error.message.split('\n')[0] });
  };
  try {
    const pending = action();
    if (pending && typeof pending.then === 'function') return pending.then(() => done(), done);
    done();
  } catch (error) {
    done(error);
  }
  return Promise.resolve();
}

async function main() {
  run(root, 'npm', ['pack', '--silent', '--pack-destination', work], { quiet: true });
  const tarball = readdirSync(work).find((file) => file.endsWith('.tgz'));
  renameSync(join(work, tarball), join(work, 'tbp-models.tgz'));
  const npmInstall = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];

  await Promise.all(
    ['express', 'nestjs'].map(async (example) => {
      const dir = join(work, example);
      cpSync(join(root, 'examples', example), dir, {
        recursive: true,
        filter: (source) => !/node_modules|[/\\]dist$/.test(source),
      });
      await step(`${example}: npm install (packed tarball)`, () => runAside(dir, 'npm', npmInstall, { quiet: true }));
      await step(`${example}: HTTP tests`, () =>
        runAside(dir, 'npm', ['test', '--silent'], { env: { ...process.env, BCRYPT_ROUNDS: '10' } }),
      );
    }),
  );

  const consumer = join(work, 'express');
  const smoke = {
    "require('@tbp/models')":
      "const m = require('@tbp/models'); if (typeof m.createDb !== 'function' || m.models.length !== 24) process.exit(1)",
    // The entry loads publishing (and the other modules a start-up does not use) at their first use
    // (scripts/lazy-entry.cjs), and what it then gives is the module's own.
    "require('@tbp/models') loads publishing at its first use":
      "const m = require('@tbp/models'); const own = () => Object.keys(require.cache).find((p) => p.endsWith('/dist/content/publish.js')); if (own()) process.exit(2); const fn = m.publishEnvironment; if (!own() || fn !== require(own()).publishEnvironment) process.exit(3)",
    "require('@tbp/models/testing') and '/migrations'":
      "const t = require('@tbp/models/testing'); const m = require('@tbp/models/migrations'); if (typeof t.createTestDb !== 'function' || m.MIGRATIONS.length < 1) process.exit(1)",
  };
  for (const [name, code] of Object.entries(smoke)) step(name, () => run(consumer, process.execPath, ['-e', code]));
  step("import { createDb } from '@tbp/models' (ESM)", () => {
    writeFileSync(
      join(consumer, 'smoke.mjs'),
      "import { createDb, models } from '@tbp/models';\nimport { migrate } from '@tbp/models/migrations';\n" +
        'const db = createDb({ inMemory: true, logging: false });\nawait migrate(db.sequelize);\n' +
        "await db.projects.create({ name: 'Tour', slug: 'tour' });\n" +
        'if ((await db.projects.count()) !== 1 || models.length !== 24) process.exit(1);\nawait db.sequelize.close();\n',
    );
    run(consumer, process.execPath, ['smoke.mjs']);
  });
  step('npx tbp-models erd (the bin)', () =>
    run(consumer, 'npx', ['--no-install', 'tbp-models', 'erd'], { quiet: true }),
  );
  const databases = scratchDatabases(root);
  try {
    await checkReadmeSamples({ root, consumer, step, runAside, databaseUrl: () => databases.create() });
  } finally {
    databases.dropAll();
  }
}

main()
  .catch((error) => {
    results.push({ name: 'the examples step itself', ok: false, seconds: 0, error: error.message.split('\n')[0] });
  })
  .finally(() => {
    rmSync(work, { recursive: true, force: true });
    const { lines, failed } = summary(results, process.argv, root);
    for (const line of lines) console.log(line);
    process.exitCode = failed > 0 || results.length === 0 ? 1 : 0;
  });
