import { randomBytes } from 'node:crypto';
import type { Config } from 'jest';
import { postgresReachable, testDatabaseUrl } from './__tests__/support/server';

const transform: Config['transform'] = {
  // Type-checking is `tsc --noEmit` in `npm test`; here files are only transpiled.
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
};

function project(name: 'memory' | 'postgres', testMatch: string[]): NonNullable<Config['projects']>[number] {
  return {
    displayName: name,
    testEnvironment: 'node',
    transform,
    testMatch,
    setupFiles: [`<rootDir>/__tests__/support/backend-${name}.ts`],
    // The timeout per project (jest reads `testTimeout` only from the root configuration).
    setupFilesAfterEnv: ['<rootDir>/__tests__/support/timeouts.ts'],
  };
}

// One id per run, inherited by the workers: every database of this run is named after it (see teardown.ts).
process.env.TBP_TEST_RUN ??= randomBytes(5).toString('hex');

export default async (): Promise<Config> => {
  const shared = ['<rootDir>/__tests__/models/**/*.test.ts'];
  const projects = [project('memory', [...shared, '<rootDir>/__tests__/unit/**/*.test.ts'])];
  if (await postgresReachable()) {
    projects.push(project('postgres', [...shared, '<rootDir>/__tests__/postgres/**/*.test.ts']));
  } else if (process.env.CI) {
    throw new Error(`CI needs PostgreSQL at ${testDatabaseUrl()}, and it is not reachable`);
  } else {
    console.warn(
      `\n*** PostgreSQL is not reachable at ${testDatabaseUrl()}: the postgres project was NOT run. ` +
        'Only the pg-mem project ran. Set TEST_DATABASE_URL or start the server to run both. ***\n',
    );
  }
  return {
    // Tests wait on the database and on hashing threads more than on the CPU: one worker per core.
    maxWorkers: '100%',
    projects,
    collectCoverageFrom: ['<rootDir>/src/**/*.ts'],
    coverageReporters: ['text-summary', 'text'],
    coverageThreshold: { global: { lines: 90 } },
    globalTeardown: '<rootDir>/__tests__/support/teardown.ts',
  };
};
