import { randomUUID } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import { currentActorId } from '../db/actor';
import { assertOptionalUuid, assertUuid } from '../db/arguments';
import type { Db } from '../db/create-db';
import { onPrimary } from '../db/primary';
import { withSideConnection } from '../db/side-connection';
import type { Environment } from '../models/base/columns';
import { isInMemory, lockProject, lockSql } from '../models/base/project-lock';
import type { Project } from '../models/projects';
import type { PublishEvent } from '../models/publish_events';
import {
  applyTableRows,
  planTableRows,
  pruneSnapshotRows,
  restoreSnapshotRows,
  takeSnapshotRows,
} from './publish-rows';
import {
  ABANDONED_MESSAGE,
  abandonSql,
  checkProject,
  copyTable,
  pruneSnapshots,
  restoreSnapshot,
  sqlState,
  tableSql,
  takeSnapshot,
} from './publish-sql';
import { copiedTables, PUBLISH_STEPS, PublishError, stepOf, UUID } from './publish-tables';

export { PUBLISH_STEPS, PublishError };

export interface PublishOptions {
  /** Who publishes: the event's `userId` and the copies' `createdById`/`updatedById`. */
  userId?: string | null | undefined;
  /** The event's description. */
  description?: string | undefined;
  /**
   * How long to wait, in milliseconds, for another publish, rollback, delete
   * or restore of the same project to finish (default 10,000); then a
   * `PublishError`, with nothing written.
   */
  lockTimeoutMs?: number | undefined;
  /**
   * How many snapshots (the state before a publish, which a rollback puts
   * back) to keep per project and target environment (default 20). 0 keeps
   * none: no rollback is possible.
   */
  keepSnapshots?: number | undefined;
}

export const PUBLISH_DEFAULTS = { lockTimeoutMs: 10_000, keepSnapshots: 20 } as const;

export interface PublishResult {
  event: PublishEvent;
  pagesCopied: number;
  transitionsCopied: number;
  audiosCopied: number;
}

/**
 * What a failed publish throws: the original error, unchanged, with
 * `recordingError` set when writing `failed` on its event failed too (the
 * database gone, say); the event then stays `running` until `publishStatus`
 * or the next publish finds it abandoned.
 */
export type PublishFailure = Error & { recordingError?: unknown };

type Counts = Omit<PublishResult, 'event'>;

/**
 * Who the copies' `createdById` / `updatedById` name. One place, so that an
 * actor taken from the request's context can be wired in here.
 */
/** Who publishes: the `userId` given, else the actor of `db.withActor`, else nobody. */
function actorId(db: Db, options: PublishOptions): string | null {
  return options.userId ?? currentActorId(db.sequelize) ?? null;
}

function settings(options: PublishOptions): { lockTimeoutMs: number; keepSnapshots: number } {
  const lockTimeoutMs = options.lockTimeoutMs ?? PUBLISH_DEFAULTS.lockTimeoutMs;
  const keepSnapshots = options.keepSnapshots ?? PUBLISH_DEFAULTS.keepSnapshots;
  // 0 would mean "wait forever" to PostgreSQL.
  if (!Number.isInteger(lockTimeoutMs) || lockTimeoutMs < 1 || lockTimeoutMs > 2_147_483_647) {
    throw new PublishError(`lockTimeoutMs must be a whole number of milliseconds from 1, got ${lockTimeoutMs}`);
  }
  if (!Number.isInteger(keepSnapshots) || keepSnapshots < 0) {
    throw new PublishError(`keepSnapshots must be a whole number from 0, got ${keepSnapshots}`);
  }
  return { lockTimeoutMs, keepSnapshots };
}

function lockTimeout(projectId: string, waitedMs: number): PublishError {
  return new PublishError(
    `Project ${projectId} is being published, rolled back, deleted or restored by someone else, who still held it ` +
      `after ${waitedMs} ms: nothing was written; try again when that is done`,
  );
}

// ------------------------------------------------------------------------------------------------ the run

interface Operation {
  projectId: string;
  event: {
    title: string;
    description: string | null;
    from_environment: Environment;
    to_environment: Environment;
    rollbackOfId: string | null;
  };
  options: PublishOptions;
  /** Inside the lock, before the event is written: a refusal here leaves no trace. */
  prepare?(transaction: Transaction | undefined): Promise<void>;
  /** The change itself, in the locked transaction that also records its success. */
  work(context: { transaction: Transaction; eventId: string; now: Date; actorId: string | null }): Promise<Counts>;
}

/** The database's default isolation, unless the app chose another: the lock only helps statements that start after it. */
function readCommitted(db: Db): { isolationLevel?: Transaction.ISOLATION_LEVELS } {
  const level = (db.sequelize as unknown as { options: { isolationLevel?: string | null } }).options.isolationLevel;
  return level && level !== 'READ COMMITTED'
    ? { isolationLevel: 'READ COMMITTED' as Transaction.ISOLATION_LEVELS }
    : {};
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Writes `failed` on a started event, in its own statement after the copy's
 * rollback. Whatever happens here, the caller rethrows the original error;
 * a failure to record is attached to it.
 */
async function recordFailure(db: Db, eventId: string, error: unknown): Promise<void> {
  try {
    await db.publish_events.update(
      { status: 'failed', finished_at: new Date(), error_message: describeError(error) },
      // `abandoned` too: between the rollback and this update, publishStatus may have found the event unattended.
      { where: { id: eventId, status: ['running', 'abandoned'] } },
    );
  } catch (recordingError) {
    if (error instanceof Error) {
      Object.defineProperty(error, 'recordingError', { value: recordingError, configurable: true, writable: true });
    }
  }
}

function eventRow(db: Db, operation: Operation, eventId: string, now: Date, actor: string | null) {
  return db.publish_events.build({
    id: eventId,
    ...operation.event,
    status: 'running',
    started_at: now,
    projectId: operation.projectId,
    userId: actor,
    createdById: actor,
    updatedById: actor,
    createdAt: now,
    updatedAt: now,
  });
}

/**
 * PostgreSQL. One transaction holds, in this order: the project's lock
 * (waiting at most `lockTimeoutMs`), the lock of the event about to be
 * written, then does the checks, the copy and the event's success. The
 * `running` event is committed on a side connection while that transaction
 * holds both locks, so that at every moment the event says `running`, its
 * lock is held by a live publisher; when the lock can be taken by someone
 * else, the publisher is gone (see `abandonSql`).
 */
async function runOnPostgres(db: Db, operation: Operation): Promise<PublishResult> {
  const { sequelize } = db;
  const { lockTimeoutMs, keepSnapshots } = settings(operation.options);
  const { projectId } = operation;
  const eventId = randomUUID();
  const actor = actorId(db, operation.options);
  await eventRow(db, operation, eventId, new Date(), actor).validate();

  const transaction = await sequelize.transaction(readCommitted(db));
  let started = false;
  try {
    await sequelize.query(`SET LOCAL lock_timeout = ${lockTimeoutMs}`, { transaction });
    try {
      await lockProject(sequelize, projectId, transaction);
    } catch (error) {
      if (sqlState(error) === '55P03') throw lockTimeout(projectId, lockTimeoutMs);
      throw error;
    }
    await sequelize.query(`SELECT ${lockSql('publishEvent', ':eventId')}`, {
      replacements: { eventId },
      transaction,
    });
    const project = await checkProject(db, { projectId, now: new Date() }, transaction);
    if (!project.exists) throw new PublishError(`No project with id ${projectId}`);
    if (project.deleted) throw new PublishError(`Project ${projectId} is deleted: restore it before publishing`);
    await operation.prepare?.(transaction);

    const now = new Date();
    const event = eventRow(db, operation, eventId, now, actor);
    await withSideConnection(sequelize, (side) => {
      const columns = Object.keys(event.dataValues);
      return sequelize.query(
        `INSERT INTO ${tableSql(db.publish_events as never)} (${columns.map((c) => `"${c}"`).join(', ')})
         VALUES (${columns.map((c) => `:${c}`).join(', ')})`,
        { ...side, replacements: event.dataValues },
      );
    });
    started = true;

    const counts = await operation.work({ transaction, eventId, now, actorId: actor });
    await pruneSnapshots(
      db,
      { projectId, environment: operation.event.to_environment, keep: keepSnapshots },
      transaction,
    );
    const [, [finished]] = await db.publish_events.update(
      {
        status: 'success',
        finished_at: new Date(),
        pages_copied: counts.pagesCopied,
        transitions_copied: counts.transitionsCopied,
        audios_copied: counts.audiosCopied,
      },
      { where: { id: eventId }, transaction, returning: true },
    );
    await transaction.commit();
    return { event: finished as PublishEvent, ...counts };
  } catch (error) {
    await transaction.rollback().catch(() => undefined);
    // Whether or not a failed COMMIT committed, the update below only touches an event still unfinished.
    if (started) await recordFailure(db, eventId, error);
    throw error;
  }
}

// pg-mem runs one statement at a time but a process can interleave two publishes between awaits:
// the same serialisation, in process.
const memoryLocks = new WeakMap<object, Map<string, Promise<void>>>();
const memoryRunning = new WeakMap<object, Set<string>>();

function runningIn(db: Db): Set<string> {
  let running = memoryRunning.get(db.sequelize);
  if (!running) {
    running = new Set();
    memoryRunning.set(db.sequelize, running);
  }
  return running;
}

async function memoryLock(db: Db, projectId: string, timeoutMs: number): Promise<() => void> {
  let locks = memoryLocks.get(db.sequelize);
  if (!locks) {
    locks = new Map();
    memoryLocks.set(db.sequelize, locks);
  }
  const previous = locks.get(projectId) ?? Promise.resolve();
  let release: () => void = () => undefined;
  const mine = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tail = previous.then(() => mine);
  locks.set(projectId, tail);
  void tail.then(() => {
    if (locks.get(projectId) === tail) locks.delete(projectId);
  });
  let timer: NodeJS.Timeout | undefined;
  const acquired = await Promise.race([
    previous.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!acquired) {
    release();
    throw lockTimeout(projectId, timeoutMs);
  }
  return release;
}

/** In memory, a `running` event is abandoned when no publish of this process is running it. */
async function abandonInMemory(db: Db, projectId: string): Promise<string[]> {
  const running = runningIn(db);
  const events = await db.publish_events.findAll({ where: { projectId, status: 'running' }, attributes: ['id'] });
  const gone = events.map((event) => event.id).filter((id) => !running.has(id));
  if (gone.length > 0) {
    const now = new Date();
    await db.publish_events.update(
      { status: 'abandoned', finished_at: now, error_message: ABANDONED_MESSAGE },
      { where: { id: gone, status: 'running' } },
    );
  }
  return gone;
}

/** pg-mem: the same steps, in process; its transactions do not roll back (see the README). */
async function runInMemory(db: Db, operation: Operation): Promise<PublishResult> {
  const { lockTimeoutMs, keepSnapshots } = settings(operation.options);
  const { projectId } = operation;
  const eventId = randomUUID();
  const actor = actorId(db, operation.options);
  await eventRow(db, operation, eventId, new Date(), actor).validate();
  const release = await memoryLock(db, projectId, lockTimeoutMs);
  const running = runningIn(db);
  try {
    const project = await db.projects.findByPk(projectId, { paranoid: false, attributes: ['id', 'deletedAt'] });
    await abandonInMemory(db, projectId);
    if (!project) throw new PublishError(`No project with id ${projectId}`);
    if (project.deletedAt) throw new PublishError(`Project ${projectId} is deleted: restore it before publishing`);
    await operation.prepare?.(undefined);
    const now = new Date();
    await eventRow(db, operation, eventId, now, actor).save();
    running.add(eventId);
    try {
      return await db.sequelize.transaction(async (transaction) => {
        const counts = await operation.work({ transaction, eventId, now, actorId: actor });
        const environment = operation.event.to_environment;
        await pruneSnapshotRows(db, { projectId, environment, keep: keepSnapshots }, transaction);
        const [, [finished]] = await db.publish_events.update(
          {
            status: 'success',
            finished_at: new Date(),
            pages_copied: counts.pagesCopied,
            transitions_copied: counts.transitionsCopied,
            audios_copied: counts.audiosCopied,
          },
          { where: { id: eventId }, transaction, returning: true },
        );
        return { event: finished as PublishEvent, ...counts };
      });
    } catch (error) {
      await recordFailure(db, eventId, error);
      throw error;
    }
  } finally {
    running.delete(eventId);
    release();
  }
}

function run(db: Db, operation: Operation): Promise<PublishResult> {
  if (!UUID.test(operation.projectId)) {
    return Promise.reject(new PublishError(`No project with id ${operation.projectId}`));
  }
  // Every read on the primary (see `db.onPrimary`): a replica may not have the project or the last publish yet.
  return onPrimary(db.sequelize, () =>
    isInMemory(db.sequelize) ? runInMemory(db, operation) : runOnPostgres(db, operation),
  );
}

// ------------------------------------------------------------------------------------------------ the API

/**
 * Copies a project's pages, transition settings and audio tracks from one
 * environment to the next (dev -> stage, stage -> production), keeping
 * `source_key` lineage: the target ends up holding exactly one copy of each
 * live source row (updated in place when it already had one, removed when
 * its original is gone). Publishes, rollbacks, soft deletes and restores of
 * one project take turns (a transaction-scoped advisory lock); a second one
 * waits up to `lockTimeoutMs`, then gets a `PublishError`.
 *
 * Records a `publish_events` row: `running` while it works, `success` with
 * the counts in the same transaction as the copy, or `failed` with the error
 * after a rollback (the error is rethrown). What the target held before is
 * kept as a snapshot for `rollbackPublish`.
 *
 * On PostgreSQL the copy is set-based: the number of statements does not
 * grow with the rows (about 16 per publish).
 */
export async function publishEnvironment(
  db: Db,
  projectId: string,
  from: Environment,
  to: Environment,
  options: PublishOptions = {},
): Promise<PublishResult> {
  assertUuid(projectId, 'projectId');
  assertOptionalUuid(options.userId, 'options.userId');
  const step = stepOf(from, to);
  const { keepSnapshots } = settings(options);
  const memory = isInMemory(db.sequelize);
  return run(db, {
    projectId,
    options,
    event: {
      title: step.title,
      description: options.description ?? null,
      from_environment: from,
      to_environment: to,
      rollbackOfId: null,
    },
    async work({ transaction, eventId, now, actorId: actor }) {
      const context = { projectId, from, to, actorId: actor, now, transaction };
      const tables = copiedTables(db);
      // pg-mem cannot roll back: every table is planned, and any refusal raised, before the first write.
      const plans = [];
      if (memory) for (const table of tables) plans.push(await planTableRows(table, context));
      if (keepSnapshots > 0) {
        const snapshot = { id: randomUUID(), projectId, environment: to, eventId, actorId: actor };
        await (memory ? takeSnapshotRows : takeSnapshot)(db, snapshot, transaction);
      }
      const counts: Counts = { pagesCopied: 0, transitionsCopied: 0, audiosCopied: 0 };
      for (const [index, table] of tables.entries()) {
        const plan = plans[index];
        counts[table.counter] = plan ? await applyTableRows(table, plan, context) : await copyTable(db, table, context);
      }
      return counts;
    },
  });
}

/**
 * Puts the environment a successful publish (or rollback) went into back to
 * what it held just before, from that publish's snapshot: pages, transition
 * settings and audio tracks, with their ids, lineage and every column (only
 * `updatedAt` changes). Recorded as a publish event of its own (title
 * `Rollback`, `rollbackOfId` the publish), with a snapshot of its own, so a
 * rollback can be rolled back. Only the newest `keepSnapshots` publishes of a
 * project's environment can be rolled back.
 */
export async function rollbackPublish(db: Db, eventId: string, options: PublishOptions = {}): Promise<PublishResult> {
  const { keepSnapshots } = settings(options);
  const target = UUID.test(eventId) ? await db.publish_events.findByPk(eventId, { useMaster: true }) : null;
  if (!target?.projectId) throw new PublishError(`No publish event with id ${eventId}`);
  const environment = target.to_environment;
  const memory = isInMemory(db.sequelize);
  let snapshotId = '';
  return run(db, {
    projectId: target.projectId,
    options,
    event: {
      title: 'Rollback',
      description:
        options.description ??
        `Rollback of “${target.title ?? 'a publish'}” (${target.from_environment} -> ${target.to_environment}) ` +
          `of ${target.started_at?.toISOString() ?? 'unknown time'}`,
      from_environment: environment,
      to_environment: environment,
      rollbackOfId: target.id,
    },
    async prepare(transaction) {
      const event = await db.publish_events.findByPk(eventId, { transaction: transaction ?? null });
      if (event?.status !== 'success') {
        throw new PublishError(
          `Publish event ${eventId} is ${event?.status ?? 'gone'}, not success: there is nothing to roll back`,
        );
      }
      const snapshot = await db.publish_snapshots.findOne({
        where: { publishEventId: eventId },
        attributes: ['id'],
        transaction: transaction ?? null,
      });
      if (!snapshot) {
        throw new PublishError(
          `No snapshot is kept for publish event ${eventId}: only the newest publishes of each environment keep ` +
            'one (keepSnapshots)',
        );
      }
      snapshotId = snapshot.id;
    },
    async work({ transaction, eventId: rollbackId, now, actorId: actor }) {
      const projectId = target.projectId as string;
      if (keepSnapshots > 0) {
        const snapshot = { id: randomUUID(), projectId, environment, eventId: rollbackId, actorId: actor };
        await (memory ? takeSnapshotRows : takeSnapshot)(db, snapshot, transaction);
      }
      return (memory ? restoreSnapshotRows : restoreSnapshot)(
        db,
        { snapshotId, projectId, environment, now },
        transaction,
      );
    },
  });
}

export interface PublishHistoryEntry {
  event: PublishEvent;
  /** The snapshot of what the target held before this event; null when none is kept (then no rollback). */
  snapshotId: string | null;
}

/**
 * The project's publish events, newest first (optionally only those into one
 * environment, at most `limit`), each with whether it can be rolled back.
 */
export async function publishHistory(
  db: Db,
  projectId: string,
  options: { environment?: Environment | undefined; limit?: number | undefined } = {},
): Promise<PublishHistoryEntry[]> {
  if (!UUID.test(projectId)) throw new PublishError(`No project with id ${projectId}`);
  // In a transaction: with read replicas, a history read right after a publish must see it.
  return db.sequelize.transaction(async (transaction) => {
    const events = await db.publish_events.findAll({
      where: { projectId, ...(options.environment ? { to_environment: options.environment } : {}) },
      order: [
        ['started_at', 'DESC'],
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      transaction,
    });
    const snapshots =
      events.length === 0
        ? []
        : await db.publish_snapshots.findAll({
            where: { publishEventId: events.map((event) => event.id) },
            attributes: ['id', 'publishEventId'],
            transaction,
          });
    const byEvent = new Map(snapshots.map((snapshot) => [snapshot.publishEventId, snapshot.id]));
    return events.map((event) => ({ event, snapshotId: byEvent.get(event.id) ?? null }));
  });
}

export interface PublishStatusReport {
  /** Events of publishes at work right now. */
  running: PublishEvent[];
  /** Events that said `running` with nobody behind them, marked `abandoned` by this call. */
  abandoned: PublishEvent[];
  /** The newest event of the project, whatever its status. */
  latest: PublishEvent | null;
}

/**
 * Where a project's publishing stands. A `running` event whose publisher is
 * gone (process killed, connection lost) is marked `abandoned` here, as the
 * next publish also does: on PostgreSQL a live publisher holds its event's
 * lock, so an event whose lock is free has none.
 */
export async function publishStatus(db: Db, projectId: string): Promise<PublishStatusReport> {
  if (!UUID.test(projectId)) throw new PublishError(`No project with id ${projectId}`);
  const abandonedIds = isInMemory(db.sequelize)
    ? await abandonInMemory(db, projectId)
    : await db.sequelize.transaction(async (transaction) => {
        const rows = (await db.sequelize.query(abandonSql(db), {
          type: QueryTypes.SELECT,
          replacements: { projectId, now: new Date(), abandonedMessage: ABANDONED_MESSAGE },
          transaction,
        })) as { id: string }[];
        return rows.map((row) => row.id);
      });
  return db.sequelize.transaction(async (transaction) => {
    const running = await db.publish_events.findAll({
      where: { projectId, status: 'running' },
      order: [['started_at', 'ASC']],
      transaction,
    });
    const abandoned =
      abandonedIds.length === 0
        ? []
        : await db.publish_events.findAll({ where: { id: abandonedIds }, order: [['started_at', 'ASC']], transaction });
    const latest = await db.publish_events.findOne({
      where: { projectId },
      order: [
        ['started_at', 'DESC'],
        ['createdAt', 'DESC'],
        ['id', 'DESC'],
      ],
      transaction,
    });
    return { running, abandoned, latest };
  });
}

/**
 * The live project with this id or slug (`tbp-models publish --project`), or
 * a `PublishError` naming what was looked for.
 */
export async function resolveProject(db: Db, idOrSlug: string): Promise<Project> {
  const key = idOrSlug.trim();
  if (key === '') throw new PublishError('No project given: pass its id or its slug');
  const byId = UUID.test(key) ? await db.projects.findByPk(key, { useMaster: true }) : null;
  const project = byId ?? (await db.projects.findOne({ where: { slug: key }, useMaster: true }));
  if (!project) throw new PublishError(`No project with id or slug "${key}"`);
  return project;
}
