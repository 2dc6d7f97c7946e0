import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const { summary } = require('../../scripts/examples-summary.cjs') as {
  summary(
    results: { name: string; ok: boolean; seconds: number; error?: string }[],
    argv: string[],
    root: string,
  ): { lines: string[]; failed: number };
};

describe('the closing lines of `npm run test:examples`', () => {
  const root = mkdtempSync(join(tmpdir(), 'tbp-summary-'));
  // An earlier run's jest results, still on disk.
  writeFileSync(join(root, '.test-results.json'), JSON.stringify({ numPassedTests: 640, numFailedTests: 3 }));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const results = [
    { name: 'express: HTTP tests', ok: true, seconds: 2 },
    { name: 'nestjs: HTTP tests', ok: false, seconds: 3, error: 'exit 1' },
  ];

  test('run alone, it counts only its own steps, whatever results file lies around', () => {
    const { lines, failed } = summary(results, ['node', 'test-examples.cjs'], root);
    expect(failed).toBe(1);
    expect(lines).toEqual([
      'ok   express: HTTP tests (2.0 s)',
      'FAIL nestjs: HTTP tests (3.0 s): exit 1',
      'examples: 1 ok, 1 not ok',
    ]);
  });

  test('from `npm test`, it adds the jest results that run has just written', () => {
    const { lines } = summary(results, ['node', 'test-examples.cjs', '--jest-results', '.test-results.json'], root);
    expect(lines.at(-1)).toBe('\ntests: 641 passed, 4 failed');
  });
});
