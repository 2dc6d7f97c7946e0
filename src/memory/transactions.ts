import type { IBackup, IMemoryDb } from 'pg-mem';
import { InMemoryUnsupportedError } from './errors';
import { tokenize } from './sql-tokens';

/*
 * pg-mem commits every query on its own, so BEGIN ... ROLLBACK left the
 * writes in place, and SAVEPOINT does not parse. The statements that open
 * and end transactions are answered here instead, per connection:
 *
 * - BEGIN backs the database up, ROLLBACK restores the backup, COMMIT drops it;
 *   SAVEPOINT backs up again, ROLLBACK TO SAVEPOINT restores that backup,
 *   RELEASE SAVEPOINT drops it. A backup is a pointer to pg-mem's immutable
 *   data, taken in constant time.
 * - One transaction at a time: a BEGIN, or a write, from another connection
 *   waits until the open transaction ends (PostgreSQL would make a conflicting
 *   write wait too). A read from another connection sees the data as it was
 *   before the open transaction began, as PostgreSQL's READ COMMITTED would.
 * - A failed statement aborts the transaction: later statements fail with
 *   25P02 until ROLLBACK (or ROLLBACK TO SAVEPOINT), and COMMIT rolls back,
 *   as on PostgreSQL.
 */

/** How long a BEGIN or a write waits for another connection's transaction before it gives up. */
export const TRANSACTION_WAIT_MS = 2_000;

type Statement =
  | { kind: 'begin' | 'commit' | 'rollback' | 'isolation' | 'session' | 'read' | 'write' }
  | { kind: 'savepoint' | 'rollback-to' | 'release'; name: string };

const NAME = `("(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_$]*)`;
const CONTROL: [RegExp, Statement['kind']][] = [
  [/^\s*(?:BEGIN|START\s+TRANSACTION)\b/i, 'begin'],
  [/^\s*(?:COMMIT|END)\b/i, 'commit'],
  [new RegExp(String.raw`^\s*ROLLBACK\s+(?:WORK\s+|TRANSACTION\s+)?TO\s+(?:SAVEPOINT\s+)?${NAME}`, 'i'), 'rollback-to'],
  [/^\s*(?:ROLLBACK|ABORT)\b/i, 'rollback'],
  [new RegExp(String.raw`^\s*SAVEPOINT\s+${NAME}`, 'i'), 'savepoint'],
  [new RegExp(String.raw`^\s*RELEASE\s+(?:SAVEPOINT\s+)?${NAME}`, 'i'), 'release'],
  [/^\s*SET\s+TRANSACTION\b/i, 'isolation'],
  [/^\s*(?:SET|SHOW|RESET)\b/i, 'session'],
];
const QUERY = /^\s*(?:SELECT|WITH)\b/i;
// Words that make a SELECT more than a read: a write in a WITH, SELECT INTO, row locks, sequences.
const NOT_ONLY_READ = new Set(['INSERT', 'UPDATE', 'DELETE', 'INTO', 'FOR', 'NEXTVAL', 'SETVAL']);

/** Whether a SELECT only reads, judged on its words outside strings and quoted names. */
function onlyReads(sql: string): boolean {
  return !tokenize(sql).some((token) => token.kind === 'word' && NOT_ONLY_READ.has(token.text.toUpperCase()));
}

function savepointName(raw: string): string {
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/""/g, '"') : raw.toLowerCase();
}

export function classify(sql: string): Statement {
  for (const [pattern, kind] of CONTROL) {
    const match = pattern.exec(sql);
    if (!match) continue;
    if (kind === 'savepoint' || kind === 'rollback-to' || kind === 'release') {
      return { kind, name: savepointName(match[1] as string) };
    }
    return { kind };
  }
  return { kind: QUERY.test(sql) ? 'read' : 'write' };
}

/** What pg's client resolves a query with: the parts Sequelize reads. */
export interface QueryResult {
  command: string;
  rowCount: number;
  rows: Record<string, unknown>[];
  fields: unknown[];
}

function noData(command: string): QueryResult {
  return { command, rowCount: 0, rows: [], fields: [] };
}

/** An error as PostgreSQL reports it, with its SQLSTATE code (Sequelize maps errors by code). */
function postgresError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

const abortedError = () =>
  postgresError('25P02', 'current transaction is aborted, commands ignored until end of transaction block');

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** The transaction state of one in-memory database, shared by all its connections. */
export class TransactionGate {
  private owner: object | undefined;
  /** The backup taken at BEGIN, then one per open savepoint. */
  private backups: { name: string | null; backup: IBackup }[] = [];
  private aborted = false;
  /** Set once a rollback could not be made: the data no longer is what PostgreSQL would hold. */
  private broken: InMemoryUnsupportedError | undefined;
  private released: Deferred | undefined;

  constructor(
    private readonly memory: IMemoryDb,
    /** How long a BEGIN or a write of another connection waits for the open transaction. */
    public waitMs = TRANSACTION_WAIT_MS,
  ) {}

  /** Runs one query of `connection`, answering transaction statements itself. */
  async run(connection: object, sql: string, execute: () => QueryResult): Promise<QueryResult> {
    if (this.broken) throw this.broken;
    const statement = classify(sql);
    if (statement.kind === 'session') return this.owner === connection ? this.inTransaction(execute) : execute();
    // Another connection's transaction is open: a read sees what it left committed, a BEGIN or a write waits
    // for it. Other statements of a connection without a transaction (COMMIT, ROLLBACK, SAVEPOINT) do not
    // touch data and are answered at once, as PostgreSQL would.
    const waits = statement.kind === 'begin' || statement.kind === 'read' || statement.kind === 'write';
    if (waits && this.owner !== undefined && this.owner !== connection) {
      if (statement.kind === 'read' && onlyReads(sql)) {
        const committed = this.readCommitted(execute);
        if (committed) return committed;
      }
      await this.waitForTurn(connection, statement.kind === 'begin' ? 'a second transaction' : 'a write');
    }
    const inOwnTransaction = this.owner === connection;
    switch (statement.kind) {
      case 'begin':
        // PostgreSQL only warns about a BEGIN inside a transaction.
        if (!inOwnTransaction) this.open(connection);
        return noData('BEGIN');
      case 'commit':
        if (!inOwnTransaction) return noData('COMMIT');
        // PostgreSQL ends an aborted transaction with a rollback, whatever the client asked for.
        if (this.aborted) return this.rollback();
        this.close();
        return noData('COMMIT');
      case 'rollback':
        return inOwnTransaction ? this.rollback() : noData('ROLLBACK');
      case 'savepoint':
        this.requireTransaction(inOwnTransaction, 'SAVEPOINT');
        this.backups.push({ name: statement.name, backup: this.memory.backup() });
        return noData('SAVEPOINT');
      case 'rollback-to': {
        this.requireTransaction(inOwnTransaction, 'ROLLBACK TO SAVEPOINT');
        const index = this.savepoint(statement.name);
        this.restore(index);
        // The savepoint stays, later ones go; the transaction is usable again.
        this.backups.length = index + 1;
        this.aborted = false;
        return noData('ROLLBACK');
      }
      case 'isolation':
        // One transaction at a time is serial execution, which every isolation level allows.
        return noData('SET');
      case 'release':
        this.requireTransaction(inOwnTransaction, 'RELEASE SAVEPOINT');
        this.backups.length = this.savepoint(statement.name);
        return noData('RELEASE');
      default:
        return inOwnTransaction ? this.inTransaction(execute) : execute();
    }
  }

  /** Forgets an open transaction without restoring anything (the database is being reset). */
  abandon(): void {
    this.close();
  }

  private open(connection: object): void {
    this.owner = connection;
    this.backups = [{ name: null, backup: this.memory.backup() }];
    this.aborted = false;
  }

  private close(): void {
    this.owner = undefined;
    this.backups = [];
    this.aborted = false;
    const released = this.released;
    this.released = undefined;
    released?.resolve();
  }

  private inTransaction(execute: () => QueryResult): QueryResult {
    if (this.aborted) throw abortedError();
    try {
      return execute();
    } catch (error) {
      this.aborted = true;
      throw error;
    }
  }

  private requireTransaction(inTransaction: boolean, statement: string): void {
    if (!inTransaction) throw postgresError('25P01', `${statement} can only be used in transaction blocks`);
    if (this.aborted && statement !== 'ROLLBACK TO SAVEPOINT') throw abortedError();
  }

  private savepoint(name: string): number {
    for (let i = this.backups.length - 1; i > 0; i--) if (this.backups[i]?.name === name) return i;
    this.aborted = true;
    throw postgresError('3B001', `savepoint "${name}" does not exist`);
  }

  private rollback(): QueryResult {
    try {
      this.restore(0);
    } finally {
      this.close();
    }
    return noData('ROLLBACK');
  }

  private restore(index: number): void {
    try {
      this.backups[index]?.backup.restore();
    } catch (error) {
      // pg-mem refuses to restore data across a change of schema: the transaction's DDL stays.
      this.broken = new InMemoryUnsupportedError(
        'rolling back a transaction that changed the schema',
        `the schema change stays, so this in-memory database no longer holds what PostgreSQL would; create a new one (${
          error instanceof Error ? error.message : String(error)
        })`,
      );
      throw this.broken;
    }
  }

  /** Runs a read against the data as it was before the open transaction; undefined when that cannot be done. */
  private readCommitted(execute: () => QueryResult): QueryResult | undefined {
    const live = this.memory.backup();
    try {
      this.backups[0]?.backup.restore();
    } catch {
      // The open transaction changed the schema: the read waits for it instead.
      return undefined;
    }
    try {
      return execute();
    } finally {
      live.restore();
    }
  }

  private async waitForTurn(connection: object, what: string): Promise<void> {
    const deadline = Date.now() + this.waitMs;
    while (this.owner !== undefined && this.owner !== connection) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new InMemoryUnsupportedError(
          `${what} while another connection's transaction is open`,
          `pg-mem runs one transaction at a time, so it waited ${this.waitMs} ms for the open one to end. ` +
            "If the same code opened both (a query or a transaction inside a transaction's callback " +
            'without { transaction }), pass the open transaction to it',
        );
      }
      this.released ??= deferred();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.released.promise,
        new Promise<void>((done) => {
          timer = setTimeout(done, remaining);
        }),
      ]);
      clearTimeout(timer);
    }
  }
}

const gates = new WeakMap<IMemoryDb, TransactionGate>();

/** The transaction state of `memory` (one per database, whichever Sequelize instance drives it). */
export function transactionGate(memory: IMemoryDb): TransactionGate {
  let gate = gates.get(memory);
  if (!gate) {
    gate = new TransactionGate(memory);
    gates.set(memory, gate);
  }
  return gate;
}
