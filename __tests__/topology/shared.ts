import { useSharedTopology } from './support';

// For the pgbouncer project's files: they use the topology's primary, which failures.test.ts freezes and restarts.
useSharedTopology();
