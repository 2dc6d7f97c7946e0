// The closing lines of scripts/test-examples.cjs, apart so that a unit test can hold them.
const { existsSync, readFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * The lines that close the examples' run: each step, the examples' count and, when `npm test` passes the file
 * its jest step has just written (`--jest-results FILE`), one line for the whole of `npm test`. Run alone, the
 * script reports only itself: a results file left by an earlier run says nothing about this one.
 */
function summary(results, argv, root) {
  const lines = results.map(
    (result) =>
      `${result.ok ? 'ok  ' : 'FAIL'} ${result.name} (${result.seconds.toFixed(1)} s)${result.ok ? '' : `: ${result.error}`}`,
  );
  const failed = results.filter((result) => !result.ok).length;
  lines.push(`examples: ${results.length - failed} ok, ${failed} not ok`);
  const flag = argv.indexOf('--jest-results');
  const jestResults = flag >= 0 && argv[flag + 1] ? join(root, argv[flag + 1]) : undefined;
  if (jestResults && existsSync(jestResults)) {
    const jest = JSON.parse(readFileSync(jestResults, 'utf8'));
    lines.push(
      `\ntests: ${jest.numPassedTests + results.length - failed} passed, ${jest.numFailedTests + failed} failed`,
    );
  }
  return { lines, failed };
}

module.exports = { summary };
