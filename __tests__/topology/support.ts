import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { type CreateDbOptions, createDb, type Db } from '../../src';
import { testRunDatabases } from '../support/server';
import { type Topology, topology } from './env';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'pg-topology.sh');

/** `url` with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Polls `check` every 50 ms until it returns true; fails after `timeoutMs`. */
export async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not so after ${timeoutMs} ms (last error: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A database of this test run on the topology, the same one on the primary, the replica and behind PgBouncer. */
export interface TopologyDatabase {
  name: string;
  primaryUrl: string;
  replicaUrl: string;
  pgbouncerUrl: string;
  drop(): Promise<void>;
}

/**
 * Creates an empty database on the topology primary, named after this run (the
 * global teardown drops what a failed run leaves), and waits until the replica
 * has it too.
 */
export async function topologyDatabase(suffix: string): Promise<TopologyDatabase> {
  const topo = topology();
  const name = `${testRunDatabases()}topo_${suffix}_${process.env.JEST_WORKER_ID ?? '0'}`;
  await withClient(topo.primaryUrl, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${name}"`);
  });
  const replicaUrl = withDatabase(topo.replicaUrl, name);
  await eventually(`the replica has ${name}`, () => withClient(replicaUrl, async () => true));
  return {
    name,
    primaryUrl: withDatabase(topo.primaryUrl, name),
    replicaUrl,
    pgbouncerUrl: withDatabase(topo.pgbouncerUrl, name),
    drop: () =>
      withClient(topo.primaryUrl, async (client) => {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

/** Waits until the replica has replayed everything the primary has written so far. */
export async function replicaCaughtUp(database: TopologyDatabase): Promise<void> {
  const lsn = await withClient(database.primaryUrl, async (client) => {
    const { rows } = await client.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn');
    return rows[0]?.lsn;
  });
  await withClient(database.replicaUrl, (client) =>
    eventually('the replica replays up to the primary', async () => {
      const { rows } = await client.query<{ done: boolean }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS done', [
        lsn,
      ]);
      return rows[0]?.done === true;
    }),
  );
}

/** `createDb` writing to the primary and reading from the replica, which applies each commit 500 ms late. */
export function replicatedDb(database: TopologyDatabase, options: CreateDbOptions = {}): Db {
  return createDb({ url: database.primaryUrl, readUrls: [database.replicaUrl], logging: false, ...options });
}

/** Runs `command` as the postgres user (the tests run as root in CI, or as postgres). */
function asPostgres(command: string, args: string[]): string {
  const root = process.getuid?.() === 0;
  const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
}

/** The primary's postmaster, from its pid file (a restart changes it). */
export function postmasterPid(topo: Topology = topology()): number {
  return Number(readFileSync(topo.primaryPidFile, 'utf8').split('\n')[0]);
}

/** Every process of the primary: the postmaster and its children (backends, walsender, checkpointer, ...). */
export function primaryProcesses(topo: Topology = topology()): number[] {
  const postmaster = postmasterPid(topo);
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => parentOf(pid) === postmaster);
  return [postmaster, ...children];
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis.
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined; // gone meanwhile
  }
}

/** The state letter of a process (`S` sleeping, `T` stopped, ...), or undefined once it is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/**
 * Freezes (`SIGSTOP`) or thaws (`SIGCONT`) the whole primary: the postmaster
 * and every backend. Stopping the postmaster alone leaves running backends
 * answering. The postmaster leads its own process group (pg_ctl starts it with
 * setsid); its children are signalled one by one as well, in case one left it.
 */
export function signalPrimary(signal: 'SIGSTOP' | 'SIGCONT', topo: Topology = topology()): number[] {
  const pids = primaryProcesses(topo);
  const [postmaster] = pids as [number];
  const name = signal.replace('SIG', '');
  try {
    process.kill(-postmaster, signal);
    for (const pid of pids) process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    asPostgres('kill', [`-${name}`, '--', `-${postmaster}`, ...pids.map(String)]);
  }
  return pids;
}

/** Restarts the primary as an operator would (`pg_ctlcluster ... restart`, fast shutdown). */
export function restartPrimary(topo: Topology = topology()): void {
  const root = process.getuid?.() === 0;
  const args = ['--skip-systemctl-redirect', topo.pgVersion, topo.primaryCluster, 'restart'];
  execFileSync(root ? 'pg_ctlcluster' : 'sudo', root ? args : ['-n', 'pg_ctlcluster', ...args], {
    stdio: 'ignore',
    timeout: 120_000,
  });
}

/** Brings the topology back (after a test that froze or restarted the primary): `pg-topology.sh up` unless all answers. */
export function ensureTopologyUp(): void {
  try {
    execFileSync('bash', [SCRIPT, 'status'], { stdio: 'ignore', timeout: 60_000 });
  } catch {
    execFileSync('bash', [SCRIPT, 'up'], { stdio: 'ignore', timeout: 300_000 });
  }
}

/**
 * Test files share the topology, except one that freezes or restarts the
 * primary: it takes it exclusively, so that jest's parallel workers never run
 * another topology test (or the PgBouncer project) into a stopped server. The
 * lock is a session advisory lock on the replica, which those tests leave
 * running (advisory locks work on a hot standby); a crashed worker's session
 * ends, and its lock with it.
 */
function useTopologyLock(mode: 'shared' | 'exclusive'): void {
  const LOCK_KEY = 71_130_913;
  let client: Client | undefined;
  beforeAll(async () => {
    client = new Client({ connectionString: topology().replicaUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    await client.query(mode === 'shared' ? 'SELECT pg_advisory_lock_shared($1)' : 'SELECT pg_advisory_lock($1)', [
      LOCK_KEY,
    ]);
  }, 600_000);
  afterAll(async () => {
    await client?.end().catch(() => undefined);
  }, 60_000);
}

/** For a test file that uses the topology as it is. */
export function useSharedTopology(): void {
  useTopologyLock('shared');
}

/** For a test file that freezes or restarts the primary. */
export function useExclusiveTopology(): void {
  useTopologyLock('exclusive');
}
