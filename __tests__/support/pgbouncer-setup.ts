import { useSharedTopology } from '../topology/support';

// The pgbouncer project's files use the topology's primary, which failures.test.ts freezes and restarts.
useSharedTopology();
// One more hop per statement, on a machine that may be busy: more than jest's 5 s per test (a project's
// `testTimeout` is not read by jest-circus, which takes the global one).
jest.setTimeout(30_000);
