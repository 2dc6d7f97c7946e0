import type { Sequelize } from 'sequelize';
import { actorOf, runAsActor } from '../models/base/audit';
import { assertUuid } from './ids';

/**
 * Runs `fn` on behalf of `userId`: every write `fn` makes through `sequelize`
 * (create, instance and static update, bulkCreate, upsert, destroy and
 * restore with the soft cascade, importRows, seeding) sets `createdById` on
 * create and `updatedById` on every change, unless the caller set the column
 * itself. The actor follows `fn` across `await`; parallel calls each keep
 * their own. Returns what `fn` returns (a promise stays a promise).
 *
 * Throws `InvalidIdError` when `userId` is not a UUID.
 */
export function withActor<T>(sequelize: Sequelize, userId: string, fn: () => T): T {
  assertUuid('userId', userId);
  return runAsActor(sequelize, userId, fn);
}

/**
 * The actor of `sequelize` in this async context, or `undefined` outside
 * `withActor`: for code that writes through raw SQL and fills the audit
 * columns itself.
 */
export function currentActorId(sequelize: Sequelize): string | undefined {
  return actorOf(sequelize);
}
