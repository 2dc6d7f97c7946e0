#!/usr/bin/env node
// The `tbp-models` executable. Node 22.1+ keeps the compiled code of every module it loads in a cache between
// runs (module.enableCompileCache), which cuts the command's start-up; on older Node the function is absent.
// It is enabled before anything else is loaded, so that the package and its dependencies are all cached.
(require('node:module') as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const { main } = require('./index') as typeof import('./index');

main(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  interactive: Boolean(process.stderr.isTTY),
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
