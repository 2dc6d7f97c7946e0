import { ConnectionError, DatabaseError } from 'sequelize';
import { DbConfigError, parseDatabaseUrl, redactUrl } from '../db/config';
import { createDb, type Db } from '../db/create-db';

/** Where the CLI writes; a test passes its own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether `err` is a terminal: progress is shown only there. */
  interactive: boolean;
  env: Record<string, string | undefined>;
  /** Where relative paths (`--migrations`) and `tbp-models.config.js` are looked up; the process's by default. */
  cwd?: string;
}

/** Raised for a usage mistake: printed with a pointer to the help, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** The command whose help the message points to. */
    readonly command?: string,
  ) {
    super(message);
  }
}

/** The database a command works on: the URL, and which option or variable gave it (for messages). */
export interface Target {
  url: string | undefined;
  source: '--url' | 'DATABASE_URL';
}

export function progress(io: CliIo) {
  let open = false;
  return {
    update(text: string) {
      if (!io.interactive) return;
      io.err(`\r\u001b[2K${text}`);
      open = true;
    },
    done() {
      if (open) io.err('\n');
      open = false;
    },
  };
}

export async function withDb<T>(target: Target, io: CliIo, work: (db: Db) => Promise<T>): Promise<T> {
  // Checked here so that a bad URL is reported under the name the user gave it.
  if (target.url) parseDatabaseUrl(target.url, target.source);
  const db = target.url ? createDb({ url: target.url, logging: false }) : createDb({ inMemory: true, logging: false });
  if (!target.url) io.err('(in-memory database: nothing is kept after this command)\n');
  try {
    return await work(db);
  } finally {
    await db.sequelize.close();
  }
}

/** PostgreSQL's (or the socket's) own words, with the SQLSTATE or errno code. */
function driverReason(error: { parent?: { code?: string; message?: string }; message: string }): string {
  const parent = error.parent;
  const message = parent?.message || error.message;
  return parent?.code && !message.includes(parent.code) ? `${message} (${parent.code})` : message;
}

/** One line that says what went wrong, in words a user can act on, with no password in it. */
export function describeError(error: unknown, target: Target): string {
  if (error instanceof ConnectionError) {
    let where = 'the database';
    if (target.url) {
      const { host, port } = parseDatabaseUrl(target.url, target.source);
      where = `${host}:${port}`;
    }
    return `cannot connect to PostgreSQL at ${where}: ${driverReason(error as never)}`;
  }
  if (error instanceof DbConfigError) return error.message;
  const message =
    error instanceof DatabaseError
      ? driverReason(error as never)
      : error instanceof Error
        ? error.message
        : String(error);
  const line = message.split('\n')[0] ?? message;
  return target.url ? line.replaceAll(target.url, redactUrl(target.url)) : line;
}
