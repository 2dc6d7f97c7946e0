import { AsyncLocalStorage } from 'node:async_hooks';
import type { BulkCreateOptions, Model, ModelStatic, Sequelize, UpdateOptions } from 'sequelize';

/**
 * The audit pair of decision D2, filled from the actor context: inside
 * `withActor(userId, fn)` every write sets `createdById` on create and
 * `updatedById` on every change, unless the caller set the column itself.
 *
 * One store for the process, holding the actor of each Sequelize instance:
 * two databases in one process each have their own actor, and a nested
 * `withActor` on one instance leaves the other's as it was.
 */
const actors = new AsyncLocalStorage<ReadonlyMap<Sequelize, string>>();

/** The user on whose behalf `sequelize` writes in this async context, if any. */
export function actorOf(sequelize: Sequelize | undefined | null): string | undefined {
  if (!sequelize) return undefined;
  return actors.getStore()?.get(sequelize);
}

/** Runs `fn` with `userId` as the actor of `sequelize` (the caller has validated the id). */
export function runAsActor<T>(sequelize: Sequelize, userId: string, fn: () => T): T {
  installAuditHooks(sequelize);
  const outer = actors.getStore();
  const inner = new Map(outer);
  inner.set(sequelize, userId);
  return actors.run(inner, fn);
}

type Row = Model & { constructor: ModelStatic<Model> };

function audited(model: ModelStatic<Model>): boolean {
  return 'createdById' in model.getAttributes();
}

function pushField(fields: string[] | undefined, name: string): void {
  if (fields && !fields.includes(name)) fields.push(name);
}

/**
 * A new row: the actor fills the audit columns the caller left unset (an
 * explicit value, NULL included, stays). Creating a row is its first change,
 * so `updatedById` names the creator too.
 */
export function stampNewRow(row: Model, actor: string, fields?: string[]): void {
  for (const column of ['createdById', 'updatedById'] as const) {
    if (row.getDataValue(column as never) === undefined) {
      row.setDataValue(column as never, actor as never);
      pushField(fields, column);
    }
  }
}

/** A change to a stored row: `updatedById`, unless the caller changed it in the same save. */
function stampChangedRow(row: Model, actor: string, fields?: string[]): void {
  if (row.changed('updatedById' as never)) return;
  row.setDataValue('updatedById' as never, actor as never);
  pushField(fields, 'updatedById');
}

/** The values of a static update (or the columns of one), stamped unless they name `updatedById`. */
export function stampValues<T extends object>(values: T, actor: string): T {
  return (values as { updatedById?: unknown }).updatedById !== undefined ? values : { ...values, updatedById: actor };
}

// hooks: added to each instance once, on every model (Sequelize runs an instance's hooks after the model's own)

const installed = new WeakSet<Sequelize>();

function actorFor(model: ModelStatic<Model>): string | undefined {
  return audited(model) ? actorOf(model.sequelize) : undefined;
}

function stampCreate(row: Row, options: { fields?: string[] }): void {
  const actor = actorFor(row.constructor);
  if (actor) stampNewRow(row, actor, options.fields);
}

function stampBulkCreate(rows: Row[], options: BulkCreateOptions): void {
  const model = rows[0]?.constructor;
  const actor = model && actorFor(model);
  if (!actor) return;
  for (const row of rows) stampNewRow(row, actor, options.fields as string[] | undefined);
  // A row that exists already is changed, not created: it takes the new `updatedById`, keeps its creator.
  if (Array.isArray(options.updateOnDuplicate)) pushField(options.updateOnDuplicate as string[], 'updatedById');
}

function stampUpdate(row: Row, options: { fields?: string[] }): void {
  const actor = actorFor(row.constructor);
  // A save that changes nothing stays a no-op: stamping it would write a row nobody changed.
  if (actor && row.changed()) stampChangedRow(row, actor, options.fields);
}

function stampBulkUpdate(options: UpdateOptions & { attributes?: object; model?: ModelStatic<Model> }): void {
  const actor = options.model && actorFor(options.model);
  if (!actor || !options.attributes) return;
  const changes = Object.keys(options.attributes).filter((name) => name !== 'updatedAt');
  if (changes.length === 0 || (options.attributes as { updatedById?: unknown }).updatedById !== undefined) return;
  options.attributes = stampValues(options.attributes, actor);
  pushField(options.fields as string[] | undefined, 'updatedById');
}

/** A soft delete or a restore of one row is a change: it goes out in the same UPDATE as `deletedAt`. */
function stampSoftChange(row: Row, options: { force?: boolean }): void {
  const actor = actorFor(row.constructor);
  if (actor && !options.force && row.constructor.options.paranoid) stampChangedRow(row, actor);
}

/**
 * Adds the audit hooks to `sequelize`, once. Outside `withActor` they find
 * no actor and return at once. (Upserts, static soft deletes and restores,
 * the soft cascade and imports write columns that hooks cannot reach: the
 * base model and `importRows` stamp those themselves.)
 */
export function installAuditHooks(sequelize: Sequelize): void {
  if (installed.has(sequelize)) return;
  installed.add(sequelize);
  sequelize.addHook('beforeCreate', 'auditCreate', stampCreate as never);
  sequelize.addHook('beforeBulkCreate', 'auditBulkCreate', stampBulkCreate as never);
  sequelize.addHook('beforeUpdate', 'auditUpdate', stampUpdate as never);
  sequelize.addHook('beforeBulkUpdate', 'auditBulkUpdate', stampBulkUpdate as never);
  sequelize.addHook('beforeDestroy', 'auditDestroy', stampSoftChange as never);
  sequelize.addHook('beforeRestore', 'auditRestore', stampSoftChange as never);
}
