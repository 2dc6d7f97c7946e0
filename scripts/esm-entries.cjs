// Writes an ESM entry beside each CommonJS entry of dist/: `import { createDb } from '@tbp/models'`
// then loads the same CommonJS module as `require` does (one copy of the models, whichever way it is loaded).
const { writeFileSync } = require('node:fs');
const { join, basename } = require('node:path');

const dist = join(__dirname, '..', 'dist');
const ENTRIES = ['index.js', 'testing/index.js', 'migrations/entry.js'];

for (const entry of ENTRIES) {
  const names = Object.keys(require(join(dist, entry))).filter((name) => name !== 'default' && name !== '__esModule');
  const target = join(dist, entry.replace(/\.js$/, '.mjs'));
  const lines = [
    `import cjs from './${basename(entry)}';`,
    '',
    `export const { ${names.join(', ')} } = cjs;`,
    'export default cjs;',
    '',
  ];
  writeFileSync(target, lines.join('\n'));
}
