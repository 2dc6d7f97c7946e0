import { inspect } from 'node:util';
import { createDb, type Db } from '../../src';
import { migrate } from '../../src/migrations/runner';
import { backend } from '../support/db';
import { adminClient, urlOf, workerDatabase } from '../support/server';

/** Secret values the security suites plant and then look for everywhere. */
export const PLAIN_PASSWORD = 'Plain-Password-8841';
export const RESET_TOKEN = 'reset-token-4f1c9a77d2e0';
export const VERIFY_TOKEN = 'verify-token-0b6e3d1a99c4';
export const DB_PASSWORD = 'S3cret-Db-Pw-77';
const BCRYPT = /\$2[abxy]\$\d{2}\$[./A-Za-z0-9]{53}/;

/** Every way an error or a value ends up as text: JSON, inspect (to any depth), String, the stack. */
export function renderings(value: unknown): Record<string, string> {
  let json: string;
  try {
    json = JSON.stringify(value) ?? '';
  } catch (error) {
    json = `JSON.stringify threw ${String(error)}`;
  }
  return {
    json,
    inspect: inspect(value, { depth: Number.POSITIVE_INFINITY }),
    string: String(value),
    stack: value instanceof Error ? String(value.stack) : '',
  };
}

/**
 * Fails naming the rendering and the secret's label (never printing the secret) if any secret, or anything
 * shaped like a bcrypt hash, appears in any rendering of `value`.
 */
export function expectNoSecrets(value: unknown, secrets: Record<string, string>): void {
  const leaks: string[] = [];
  for (const [rendering, text] of Object.entries(renderings(value))) {
    for (const [label, secret] of Object.entries(secrets))
      if (text.includes(secret)) leaks.push(`${label} in ${rendering}`);
    if (BCRYPT.test(text)) leaks.push(`a bcrypt hash in ${rendering}`);
  }
  expect(leaks).toEqual([]);
}

/** The secrets of the standard planted user, plus the database password. */
export const SECRETS = {
  'plain password': PLAIN_PASSWORD,
  'reset token': RESET_TOKEN,
  'verification token': VERIFY_TOKEN,
  'database password': DB_PASSWORD,
};

/** The lines logged, searched like errors. */
export function expectNoSecretsInLogs(lines: readonly string[], secrets: Record<string, string>): void {
  expectNoSecrets(lines.join('\n'), secrets);
}

let counter = 0;
/** An address no other test uses. */
export function uniqueEmail(prefix = 'user'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}@example.com`;
}

export interface SecurityDatabase {
  db: Db;
  /** The database's URL (with DB_PASSWORD) on PostgreSQL; undefined in memory. */
  url?: string;
  /** What the database's logger printed (it logs every statement). */
  logs: string[];
  close(): Promise<void>;
}

/**
 * A migrated database of its own whose configuration holds `DB_PASSWORD` (the
 * local server trusts local connections, so the password is carried but not
 * checked) and which logs every statement into `logs`.
 */
export async function openSecurityDatabase(suffix: string): Promise<SecurityDatabase> {
  const logs: string[] = [];
  const logging = (sql: string) => {
    logs.push(sql);
  };
  if (backend === 'memory') {
    const db = createDb({ inMemory: true, url: `postgres://app:${DB_PASSWORD}@localhost/memory`, logging });
    await migrate(db.sequelize);
    return { db, logs, close: () => db.sequelize.close() };
  }
  const name = `${workerDatabase()}_sec_${suffix}`;
  const admin = async (sql: string) => {
    const client = adminClient();
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(urlOf(name));
  url.password = DB_PASSWORD;
  const db = createDb({ url: url.toString(), logging });
  await migrate(db.sequelize);
  return {
    db,
    logs,
    url: url.toString(),
    close: async () => {
      await db.sequelize.close();
      await admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/** Opens a security database before the file's tests and closes it after; read `.db` and `.logs` inside a test. */
export function useSecurityDatabase(suffix: string): {
  readonly db: Db;
  readonly logs: string[];
  readonly url: string | undefined;
} {
  let current: SecurityDatabase | undefined;
  beforeAll(async () => {
    current = await openSecurityDatabase(suffix);
  }, 120_000);
  afterAll(async () => {
    await current?.close();
  }, 60_000);
  const opened = () => {
    if (!current) throw new Error('the security database is not open yet: read it inside a test');
    return current;
  };
  return {
    get db() {
      return opened().db;
    },
    get logs() {
      return opened().logs;
    },
    get url() {
      return opened().url;
    },
  };
}

/** A user with the planted password and tokens, and its stored hash (to look for it too). */
export async function plantedUser(db: Db, overrides: Record<string, unknown> = {}) {
  const user = await db.users.create({
    email: uniqueEmail(),
    password: PLAIN_PASSWORD,
    passwordResetToken: RESET_TOKEN,
    emailVerificationToken: VERIFY_TOKEN,
    ...overrides,
  });
  const stored = await db.users.scope('withSecrets').findByPk(user.id);
  const hash = stored?.getDataValue('password') as string;
  return { user, hash };
}

/** The result of a promise expected to fail: its error (the test fails if it resolves). */
export async function failureOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the operation to fail, and it succeeded');
}
