/**
 * Read by ts-node without type-checking it (`npm run typecheck` does that): some 2.5 s less for every run.
 * @jest-config-loader-options {"transpileOnly": true}
 */
import { randomBytes } from 'node:crypto';
import type { Config } from 'jest';
import { postgresReachable, testDatabaseUrl } from './__tests__/support/server';
import { TOPOLOGY_ENV_FILE, topologyReachable } from './__tests__/topology/env';

const transform: Config['transform'] = {
  // Type-checking is `tsc --noEmit` in `npm test`; here files are only transpiled.
  '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
};

type Project = Exclude<NonNullable<Config['projects']>[number], string>;

/**
 * The breadth suites: the same few code paths, thousands of times over (random programs, every hostile
 * value into every column). What they reach, the other suites reach too, so coverage is not counted in
 * them: instrumented, they cost a sixth more and add nothing to the report.
 */
const BREADTH_SUITES = [
  '<rootDir>/__tests__/security/hostile-values.test.ts',
  '<rootDir>/__tests__/security/passwords.test.ts',
  '<rootDir>/__tests__/models/properties.test.ts',
  '<rootDir>/__tests__/models/presentation.test.ts',
  '<rootDir>/__tests__/access/properties.test.ts',
  '<rootDir>/__tests__/postgres/differential.test.ts',
];

/**
 * A backend's project: two in jest's eyes, under one name (`--selectProjects memory` takes both), the
 * breadth suites apart with no coverage instrumentation.
 */
function project(name: 'memory' | 'postgres', testMatch: string[]): Project[] {
  const escaped = BREADTH_SUITES.map((file) => file.replace('<rootDir>/', '').replace(/[.]/g, '\\.'));
  return [
    { ...backendProject(name, testMatch), testPathIgnorePatterns: ['/node_modules/', ...escaped] },
    {
      ...backendProject(name, testMatch),
      testMatch: BREADTH_SUITES,
      // Only those of this backend's testMatch: the PostgreSQL-only suite stays out of the memory project.
      testPathIgnorePatterns: ['/node_modules/', ...(name === 'memory' ? ['__tests__/postgres/'] : [])],
      coveragePathIgnorePatterns: ['.*'],
    },
  ];
}

function backendProject(name: 'memory' | 'postgres', testMatch: string[]): Project {
  return {
    displayName: name,
    testEnvironment: 'node',
    transform,
    testMatch,
    setupFiles: [`<rootDir>/__tests__/support/backend-${name}.ts`],
    // The package's own name, as the README's samples import it.
    moduleNameMapper: {
      '^@tbp/models$': '<rootDir>/src',
      '^@tbp/models/testing$': '<rootDir>/src/testing',
      '^@tbp/models/migrations$': '<rootDir>/src/migrations/entry',
    },
    // The timeout per project (jest reads `testTimeout` only from the root configuration).
    setupFilesAfterEnv: ['<rootDir>/__tests__/support/timeouts.ts'],
  };
}

/** The PostgreSQL suites the `pgbouncer` project runs: the constraints and the migrations, the schema's heart. */
const PGBOUNCER_SUITES = [
  '<rootDir>/__tests__/postgres/integrity.test.ts',
  '<rootDir>/__tests__/postgres/migrations.test.ts',
];

// One id per run, inherited by the workers: every database of this run is named after it (see teardown.ts).
process.env.TBP_TEST_RUN ??= randomBytes(5).toString('hex');

export default async (): Promise<Config> => {
  const shared = [
    '<rootDir>/__tests__/models/**/*.test.ts',
    '<rootDir>/__tests__/access/**/*.test.ts',
    '<rootDir>/__tests__/security/**/*.test.ts',
  ];
  const projects = [
    ...project('memory', [
      ...shared,
      '<rootDir>/__tests__/unit/**/*.test.ts',
      '<rootDir>/__tests__/readme/**/*.test.ts',
    ]),
  ];
  if (await postgresReachable()) {
    projects.push(...project('postgres', [...shared, '<rootDir>/__tests__/postgres/**/*.test.ts']));
  } else if (process.env.CI) {
    throw new Error(`CI needs PostgreSQL at ${testDatabaseUrl()}, and it is not reachable`);
  } else {
    console.warn(
      `\n*** PostgreSQL is not reachable at ${testDatabaseUrl()}: the postgres project was NOT run. ` +
        'Only the pg-mem project ran. Set TEST_DATABASE_URL or start the server to run both. ***\n',
    );
  }
  if (await topologyReachable()) {
    projects.push({
      displayName: 'topology',
      testEnvironment: 'node',
      transform,
      testMatch: ['<rootDir>/__tests__/topology/**/*.test.ts'],
    });
    // A part of the PostgreSQL suites again, through PgBouncer in transaction mode in front of the topology's primary.
    projects.push({
      ...backendProject('postgres', PGBOUNCER_SUITES),
      displayName: 'pgbouncer',
      setupFiles: [
        '<rootDir>/__tests__/support/backend-postgres.ts',
        '<rootDir>/__tests__/support/backend-pgbouncer.ts',
      ],
      setupFilesAfterEnv: ['<rootDir>/__tests__/support/pgbouncer-setup.ts'],
    });
  } else if (process.env.CI) {
    throw new Error(
      `CI needs the test topology (bash scripts/pg-topology.sh up), and ${TOPOLOGY_ENV_FILE} does not lead to it`,
    );
  } else {
    console.warn(
      '\n*** The test topology (primary, delayed replica, PgBouncer) is not up: the topology project was NOT run. ' +
        'Start it with `bash scripts/pg-topology.sh up` (root or sudo) to run it. ***\n',
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
