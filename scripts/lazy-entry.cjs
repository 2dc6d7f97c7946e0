// Makes dist/index.js load each of its modules when one of that module's exports is first read, not when the
// package is required: a start-up that only calls createDb loads the models and the database layer, not the
// access reads, imports, publishing, migrations and schema tools (19 modules; about 7% of a cold start, see
// bench/RESULTS.md, "Start-up"). Run by `npm run build`, after tsc.
//
// It rewrites what tsc emits for `export { a, b } from './x'` and `export * from './x'`, and checks its work: the
// entry must end with the same export names, each reading the same value as before (compared against the eager
// entry, in separate processes), or the eager entry is put back and the build fails. It then reports how many
// modules a require of the entry no longer loads (the models' own files are loaded with the models all the
// same). The source (src/index.ts), its declarations and its documentation are tsc's, unchanged; so are the ESM
// entries (which read every export at import).
const { execFileSync } = require('node:child_process');
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const entry = join(dist, 'index.js');
/** Loaded at once all the same: reflect-metadata (a side effect) and the models, which createDb needs. */
const EAGER = new Set(['reflect-metadata', './models']);

function rewrite(source) {
  if (source.includes('function lazy(')) throw new Error('dist/index.js is already lazy: build again');
  const explicit = new Set(
    [...source.matchAll(/exports\.([A-Za-z_$][\w$]*) = /g)]
      .map((match) => match[1])
      .filter((name) => name !== '__esModule'),
  );
  const deferred = [];
  const bindings = [];
  let out = source.replace(/^var (\w+) = require\("(\.[^"]+)"\);$/gm, (line, binding, path) => {
    if (EAGER.has(path)) return line;
    deferred.push(path);
    bindings.push(binding);
    return `var ${binding} = lazy(() => require("${path}"));`;
  });
  // The getters tsc wrote read `binding.name`: with a lazy binding, `binding().name`.
  for (const binding of bindings) out = out.replaceAll(`return ${binding}.`, `return ${binding}().`);
  out = out.replace(/^__exportStar\(require\("(\.[^"]+)"\), exports\);$/gm, (line, path) => {
    if (EAGER.has(path)) return line;
    deferred.push(path);
    // Its names, known now: `export *` leaves out what the entry exports itself.
    const names = Object.keys(require(join(dist, path))).filter(
      (name) => name !== 'default' && name !== '__esModule' && !explicit.has(name),
    );
    const binding = `star_${deferred.length}`;
    return [
      `var ${binding} = lazy(() => require("${path}"));`,
      ...names.map(
        (name) =>
          `Object.defineProperty(exports, ${JSON.stringify(name)}, { enumerable: true, get: function () { return ${binding}()[${JSON.stringify(name)}]; } });`,
      ),
    ].join('\n');
  });
  const helper =
    '/** A module loaded at its first use (scripts/lazy-entry.cjs). */\nfunction lazy(load) { var loaded; return function () { return loaded !== undefined ? loaded : (loaded = load()); }; }\n';
  out = out.replace('Object.defineProperty(exports, "__esModule", { value: true });\n', (line) => line + helper);
  return { out, deferred };
}

/** Every export's name and a description of its value (a function's name, anything else's JSON), in a new process. */
function exportsOf(file) {
  const script = `const m = require(${JSON.stringify(file)}); const names = Object.keys(m).sort();
    process.stdout.write(JSON.stringify({ names, values: names.map((n) => { const v = m[n]; return typeof v === 'function' ? 'function ' + v.name : JSON.stringify(v) ?? String(v); }) }));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const eager = readFileSync(entry, 'utf8');
const before = exportsOf(entry);
const { out, deferred } = rewrite(eager);
writeFileSync(entry, out);
const after = exportsOf(entry);
if (JSON.stringify(after) !== JSON.stringify(before)) {
  writeFileSync(entry, eager);
  throw new Error('lazy-entry: the lazy entry does not export what the eager one did; dist/index.js left eager');
}
const loaded = JSON.parse(
  execFileSync(
    process.execPath,
    ['-e', `require(${JSON.stringify(entry)}); process.stdout.write(JSON.stringify(Object.keys(require.cache)))`],
    {
      encoding: 'utf8',
    },
  ),
);
const early = deferred.filter((path) => loaded.includes(join(dist, `${path}.js`)));
// A deferred module that a module loaded at once needs too (the models' own files) is loaded all the same.
console.log(
  `lazy-entry: dist/index.js loads ${deferred.length - early.length} of its modules at their first use ` +
    `(${early.length} more are loaded with the models all the same)`,
);
