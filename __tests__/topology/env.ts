import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { postgresReachable } from '../support/server';

/** Written by `bash scripts/pg-topology.sh up`, removed by `down`. */
export const TOPOLOGY_ENV_FILE = process.env.TOPOLOGY_ENV_FILE ?? join(__dirname, '..', '..', '.topology.env');

/** The throwaway primary, delayed hot standby and PgBouncer (transaction mode) of scripts/pg-topology.sh. */
export interface Topology {
  pgVersion: string;
  primaryUrl: string;
  primaryCluster: string;
  primaryPort: number;
  /** Its first line is the postmaster's pid; a restart changes it, so read it again after one. */
  primaryPidFile: string;
  replicaUrl: string;
  replicaCluster: string;
  /** The replica applies a commit this long after the primary made it. */
  applyDelayMs: number;
  pgbouncerUrl: string;
  /** PgBouncer's admin console (SHOW POOLS, SHOW CONFIG, RECONNECT, ...). */
  pgbouncerAdminUrl: string;
}

function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match) vars.set(match[1] as string, match[2] as string);
  }
  return vars;
}

/** The topology `up` described, or undefined when .topology.env is absent. */
export function readTopology(file = TOPOLOGY_ENV_FILE): Topology | undefined {
  if (!existsSync(file)) return undefined;
  const vars = parseEnvFile(readFileSync(file, 'utf8'));
  const get = (name: string): string => {
    const value = vars.get(`TOPOLOGY_${name}`);
    if (!value) throw new Error(`${file} lacks TOPOLOGY_${name}: run \`bash scripts/pg-topology.sh up\` again`);
    return value;
  };
  return {
    pgVersion: get('PG_VERSION'),
    primaryUrl: get('PRIMARY_URL'),
    primaryCluster: get('PRIMARY_CLUSTER'),
    primaryPort: Number(get('PRIMARY_PORT')),
    primaryPidFile: get('PRIMARY_PID_FILE'),
    replicaUrl: get('REPLICA_URL'),
    replicaCluster: get('REPLICA_CLUSTER'),
    applyDelayMs: Number(get('REPLICA_APPLY_DELAY_MS')),
    pgbouncerUrl: get('PGBOUNCER_URL'),
    pgbouncerAdminUrl: get('PGBOUNCER_ADMIN_URL'),
  };
}

/** For the topology tests: the topology, or an error that says how to bring it up. */
export function topology(): Topology {
  const found = readTopology();
  if (!found) throw new Error(`${TOPOLOGY_ENV_FILE} is missing: run \`bash scripts/pg-topology.sh up\``);
  return found;
}

const answers = postgresReachable;

/** Whether .topology.env exists and the primary, the replica and PgBouncer all answer. */
export async function topologyReachable(): Promise<boolean> {
  let found: Topology | undefined;
  try {
    found = readTopology();
  } catch {
    return false; // a file from another version of the script: not a topology to test against
  }
  if (!found) return false;
  const reached = await Promise.all([found.primaryUrl, found.replicaUrl, found.pgbouncerUrl].map(answers));
  return reached.every(Boolean);
}
