import { topology } from '../topology/env';

// The postgres project's suites, with their worker databases made and used through PgBouncer (transaction mode).
process.env.TEST_DATABASE_URL = topology().pgbouncerUrl;
