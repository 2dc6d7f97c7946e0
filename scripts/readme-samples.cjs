// Runs the README's code samples as a newcomer would paste them: in a consumer of the packed tarball,
// compiled by tsc under strict and exactOptionalPropertyTypes, then executed by node.
//
// The fence's info string says what a block is:
//   ```ts / ```js               a program: compiled (TypeScript as CommonJS) and run
//   ```ts esm                  the same as an ES module (top-level await): written to a .mts file
//   ```ts example=PATH         an excerpt of PATH, which has tests of its own: it must appear in it verbatim
//   ```ts run-by=TEST          run by that jest test (it sets up what the sample needs around it): it must name it
// A program that reads DATABASE_URL gets a fresh database of its own on the test server; the others run in memory.
const { execFileSync } = require('node:child_process');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const FENCE = /^```(ts|js|mjs|mts)([^\n]*)\n([\s\S]*?)^```$/gm;

/** The README's samples: `{ line, lang, info, code }`. */
function readmeSamples(readme) {
  const samples = [];
  for (const match of readme.matchAll(FENCE)) {
    const line = readme.slice(0, match.index).split('\n').length;
    samples.push({ line, lang: match[1], info: match[2].trim(), code: match[3] });
  }
  return samples;
}

function exampleOf(info) {
  return /(?:^|\s)example=(\S+)/.exec(info)?.[1];
}

function runnerOf(info) {
  return /(?:^|\s)run-by=(\S+)/.exec(info)?.[1];
}

const TSCONFIG = (root) => ({
  compilerOptions: {
    target: 'ES2022',
    module: 'node16',
    moduleResolution: 'node16',
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [join(root, 'node_modules', '@types')],
    outDir: 'out',
  },
  include: ['*.ts', '*.mts'],
});

/**
 * Checks every sample; `step(name, action)` records each check (and returns a promise when `action`
 * does), `runAside(cwd, command, args, { env, timeout })` runs a program without blocking. `consumer` is a
 * folder whose node_modules has the tarball installed; `databaseUrl()` gives a fresh database URL (or
 * undefined when there is no server).
 */
async function checkReadmeSamples({ root, consumer, step, runAside, databaseUrl }) {
  const samples = readmeSamples(readFileSync(join(root, 'README.md'), 'utf8'));
  const dir = join(consumer, 'readme-samples');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'commonjs', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG(root), null, 2));

  const programs = [];
  for (const sample of samples) {
    const example = exampleOf(sample.info);
    const name = `README line ${sample.line}`;
    if (example) {
      step(`${name}: an excerpt of ${example}`, () => {
        const source = readFileSync(join(root, example), 'utf8');
        if (!source.includes(sample.code.trimEnd())) throw new Error(`it is not in ${example} verbatim`);
      });
      continue;
    }
    const esm = /(?:^|\s)esm(?:\s|$)/.test(sample.info);
    const runner = runnerOf(sample.info);
    if (runner) {
      step(`${name}: run by ${runner}`, () => {
        if (!readFileSync(join(root, runner), 'utf8').includes('README.md'))
          throw new Error(`${runner} reads no README`);
      });
      continue;
    }
    const extension = esm
      ? { ts: 'mts', js: 'mjs' }[sample.lang]
      : { ts: 'ts', mts: 'mts', js: 'cjs', mjs: 'mjs' }[sample.lang];
    const file = `sample-${sample.line}.${extension}`;
    writeFileSync(join(dir, file), sample.code);
    programs.push({ name, file, sample });
  }
  if (programs.some(({ file }) => /\.m?ts$/.test(file))) {
    step('README samples: tsc (strict, exactOptionalPropertyTypes)', () =>
      execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], {
        cwd: dir,
        stdio: 'inherit',
      }),
    );
  }
  // Two at a time: each is mostly Node starting up and waiting on its database.
  const queue = programs.map(({ name, file, sample }) => () => {
    const compiled = file.replace(/\.ts$/, '.js').replace(/\.mts$/, '.mjs');
    const path = /\.m?ts$/.test(file) ? join(dir, 'out', compiled) : join(dir, file);
    return step(`${name}: runs and exits by itself`, () => {
      const env = { ...process.env, BCRYPT_ROUNDS: '10' };
      delete env.DATABASE_URL;
      delete env.NODE_ENV;
      if (sample.code.includes('DATABASE_URL')) {
        const url = databaseUrl();
        if (!url) throw new Error('it needs PostgreSQL (TEST_DATABASE_URL), which is not reachable');
        env.DATABASE_URL = url;
      }
      // A sample that leaves a handle open hangs here instead of exiting: the timeout turns that into a failure.
      return runAside(dir, process.execPath, [path], { env, timeout: 60_000 });
    });
  });
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) await next();
  };
  await Promise.all([worker(), worker()]);
}

/**
 * Fresh databases on the test server (TEST_DATABASE_URL), named after this process so that
 * `dropAll` removes exactly those; `create()` is undefined-valued when there is no server.
 */
function scratchDatabases(root) {
  const server = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const made = [];
  const admin = (sql) =>
    execFileSync(
      process.execPath,
      [
        '-e',
        `const { Client } = require(${JSON.stringify(join(root, 'node_modules', 'pg'))});
         const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
         c.connect().then(() => c.query(process.argv[2])).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); });`,
        server,
        sql,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
  return {
    create() {
      const name = `tbp_readme_${process.pid}_${made.length + 1}`;
      try {
        admin(`CREATE DATABASE "${name}"`);
      } catch {
        return undefined;
      }
      made.push(name);
      const url = new URL(server);
      url.pathname = `/${name}`;
      return url.toString();
    },
    dropAll() {
      for (const name of made.splice(0)) admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

module.exports = { checkReadmeSamples, readmeSamples, scratchDatabases };
