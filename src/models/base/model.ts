import type {
  BulkCreateOptions,
  CreationOptional,
  DestroyOptions,
  FindOptions,
  Identifier,
  InferAttributes,
  InferCreationAttributes,
  InstanceDestroyOptions,
  InstanceRestoreOptions,
  Attributes as ModelAttributes,
  CreationAttributes as ModelCreationAttributes,
  ModelStatic,
  NonAttribute,
  NonNullFindOptions,
  RestoreOptions,
  CreationAttributes as SequelizeCreationAttributes,
  Model as SequelizeModel,
  Transaction,
  UpsertOptions,
} from 'sequelize';
import { Op } from 'sequelize';
import type { User } from '../users';
import { actorOf, stampValues } from './audit';
import { foreignKey, text, uuid } from './columns';
import {
  AfterDestroy,
  AfterRestore,
  BeforeBulkDestroy,
  BeforeBulkRestore,
  BeforeBulkUpdate,
  BeforeCount,
  BeforeFind,
  BeforeRestore,
  BelongsTo,
  Column,
  DataType,
  Default,
  Model,
  type ModelCtor,
  PrimaryKey,
  ValidationFailed,
} from './decorators';
import { type FastFindOptions, fastFindByPk, NOT_FAST } from './fast-find';
import { certainlyValid, type ValidationOptions } from './fast-validate';
import { hideSecretsOfValidation, plainWithOwnJson } from './secrets';
import { hasSoftCascade, restoreChildren, softDeleteChildren } from './soft-cascade';
import { assertSafeWhere } from './where-guard';

/**
 * The base classes associate with `users` and `projects`, whose own files
 * extend these classes: a static import would be a cycle that breaks
 * whichever file loads first. The thunk requires the target when
 * sequelize-typescript builds the associations, by which time every model
 * file has loaded; nothing is registered as a side effect of loading.
 */
export const usersModel = (): ModelCtor => (require('../users') as typeof import('../users')).User;
export const projectsModel = (): ModelCtor => (require('../projects') as typeof import('../projects')).Project;

/**
 * The columns every table has (decision D2): a UUID v4 key, an import hash for
 * deduplicated imports, timestamps with soft delete, and who created and last
 * updated the row.
 */
export abstract class BaseModel<M extends BaseModel<M>> extends Model<InferAttributes<M>, InferCreationAttributes<M>> {
  /**
   * Attributes whose values are secret: left out of `toJSON`, redacted from
   * validation errors, the SQL log and query errors (see src/db/redact.ts).
   */
  static readonly secretFields: readonly string[] = [];

  @PrimaryKey
  @Default(DataType.UUIDV4)
  @Column(uuid('Id', { allowNull: false }))
  declare id: CreationOptional<string>;

  @Column(text('Import hash', { unique: true, len: [0, 255] }, 255))
  declare importHash: CreationOptional<string | null>;

  @Column(foreignKey('Created by', 'SET NULL'))
  declare createdById: CreationOptional<string | null>;

  @Column(foreignKey('Updated by', 'SET NULL'))
  declare updatedById: CreationOptional<string | null>;

  declare createdAt: CreationOptional<Date>;
  declare updatedAt: CreationOptional<Date>;
  declare deletedAt: CreationOptional<Date | null>;

  // associations

  @BelongsTo(usersModel, {
    foreignKey: 'createdById',
    as: 'createdBy',
  })
  declare createdBy?: NonAttribute<User | null>;

  @BelongsTo(usersModel, {
    foreignKey: 'updatedById',
    as: 'updatedBy',
  })
  declare updatedBy?: NonAttribute<User | null>;

  // hooks: a soft delete takes along the children the spec cascades, and a restore brings back those it took

  /** @internal A hook of the soft cascade. */
  @BeforeBulkDestroy
  @BeforeBulkRestore
  static runRowHooksForSoftCascade(this: ModelCtor, options: { individualHooks?: boolean }): void {
    if (hasSoftCascade(this)) options.individualHooks = true;
  }

  /** @internal A hook of the soft cascade. */
  @AfterDestroy
  static async softDeleteChildren(row: AnyBase, options: { force?: boolean; transaction?: Transaction }) {
    const model = row.constructor as ModelCtor;
    if (options.force || !hasSoftCascade(model)) return;
    // A static destroy sets deletedAt in one UPDATE and leaves the instances as they were: read it back.
    const deletedAt =
      row.deletedAt ??
      (
        (await model.findByPk(row.id, {
          paranoid: false,
          attributes: ['deletedAt'],
          transaction: options.transaction,
        })) as AnyBase | null
      )?.deletedAt;
    if (deletedAt) await softDeleteChildren(model, [row.id], deletedAt, options.transaction);
  }

  /** @internal A hook of the soft cascade. */
  @BeforeRestore
  static rememberDeletedAt(row: AnyBase): void {
    if (row.deletedAt) deletedWith.set(row, row.deletedAt);
  }

  /** @internal A hook of the soft cascade. */
  @AfterRestore
  static async restoreChildren(row: AnyBase, options: { transaction?: Transaction }): Promise<void> {
    const model = row.constructor as ModelCtor;
    const deletedAt = deletedWith.get(row);
    deletedWith.delete(row);
    if (deletedAt && hasSoftCascade(model)) await restoreChildren(model, [row.id], deletedAt, options.transaction);
  }

  // hooks: a validation error keeps no secret value, whichever write path (create, update, bulkCreate, upsert,
  // importRows) raised it

  /** @internal A hook: a validation error keeps no secret value. */
  @ValidationFailed
  static hideSecretValues(row: AnyBase, _options: unknown, error: unknown): void {
    hideSecretsOfValidation(error, (row.constructor as typeof BaseModel).secretFields);
  }

  // hooks: a where that cannot become valid SQL (Infinity, NaN, a malformed UUID) is refused by name, before SQL

  @BeforeFind
  @BeforeCount
  @BeforeBulkUpdate
  @BeforeBulkDestroy
  @BeforeBulkRestore
  static refuseInvalidWhere(this: ModelCtor, options: { where?: unknown; include?: unknown }): void {
    assertSafeWhere(this as never, options);
  }

  // methods: the cascades run in one transaction with the row's own change

  override async destroy(options: InstanceDestroyOptions = {}): Promise<void> {
    await inTransaction(this, options, (withTransaction) => super.destroy(withTransaction));
  }

  override async restore(options: InstanceRestoreOptions = {}): Promise<void> {
    await inTransaction(this, options, (withTransaction) => super.restore(withTransaction));
  }

  /**
   * Validation, with a fast path: a row that certainly passes (see
   * `certainlyValid`) skips Sequelize's validator, which builds a promise per
   * validator of every field; any doubt goes to Sequelize, which decides.
   */
  override async validate(options?: ValidationOptions): Promise<void> {
    if (certainlyValid(this, options)) return;
    await super.validate(options);
  }

  /**
   * The row as JSON, without its model's secret fields. Included rows are
   * serialised by their own `toJSON`: Sequelize's turns them into plain
   * values, which would put an included user's secrets (loaded through a
   * scope or `attributes`) into the parent's JSON.
   */
  override toJSON<T extends object>(): T {
    const json = plainWithOwnJson(this.get({ clone: true }) as Record<string, unknown>);
    for (const field of (this.constructor as typeof BaseModel).secretFields) delete json[field];
    return json as T;
  }

  /**
   * As Sequelize's, but validating every row first unless `validate: false`
   * is given: bad input is refused by name (an AggregateError of
   * BulkRecordErrors, each holding the row's ValidationError) before any row
   * is written, as on every other write path, not left to the database.
   */
  static override async bulkCreate<M extends SequelizeModel>(
    this: ModelStatic<M>,
    records: ReadonlyArray<ModelCreationAttributes<M>>,
    options: BulkCreateOptions<ModelAttributes<M>> = {},
  ): Promise<M[]> {
    return Model.bulkCreate.call(this, records as never, { validate: true, ...options }) as Promise<M[]>;
  }

  static override async destroy<M extends SequelizeModel>(
    this: ModelStatic<M>,
    options: DestroyOptions<ModelAttributes<M>> = {},
  ): Promise<number> {
    const model = this as unknown as ModelCtor;
    const actor = options.force ? undefined : actorOf(model.sequelize);
    return inTransaction(
      model,
      options,
      async (withTransaction) => {
        // Sequelize's soft delete writes only deletedAt: the actor goes first, on the same rows, in the same transaction.
        if (actor) await stampBulk(model, actor, withTransaction.where ?? {}, withTransaction.transaction);
        return Model.destroy.call(this, withTransaction);
      },
      actor !== undefined,
    );
  }

  static override async restore<M extends SequelizeModel>(
    this: ModelStatic<M>,
    options: RestoreOptions<ModelAttributes<M>> = {},
  ): Promise<void> {
    const model = this as unknown as ModelCtor;
    const actor = actorOf(model.sequelize);
    await inTransaction(
      model,
      options,
      async (withTransaction) => {
        if (actor) {
          const deleted = { [Op.and]: [withTransaction.where ?? {}, { deletedAt: { [Op.ne]: null } }] };
          await stampBulk(model, actor, deleted, withTransaction.transaction, false);
        }
        return Model.restore.call(this, withTransaction);
      },
      actor !== undefined,
    );
  }

  /**
   * `findByPk`, by a statement built once per model when the call is a plain
   * read by key (see `fast-find.ts`); any other, by Sequelize's finder.
   */
  static override findByPk<M extends SequelizeModel>(
    this: ModelStatic<M>,
    identifier: Identifier,
    options: Omit<NonNullFindOptions<ModelAttributes<M>>, 'where'>,
  ): Promise<M>;
  static override findByPk<M extends SequelizeModel>(
    this: ModelStatic<M>,
    identifier?: Identifier,
    options?: Omit<FindOptions<ModelAttributes<M>>, 'where'>,
  ): Promise<M | null>;
  static override async findByPk<M extends SequelizeModel>(
    this: ModelStatic<M>,
    identifier?: Identifier,
    options?: Omit<FindOptions<ModelAttributes<M>>, 'where'>,
  ): Promise<M | null> {
    const fast = await fastFindByPk(this as never, identifier, options as FastFindOptions, OWN_FIND_HOOKS);
    return fast === NOT_FAST ? (Model.findByPk.call(this, identifier, options as never) as never) : (fast as M | null);
  }

  /**
   * Sequelize builds an upsert's INSERT and its ON CONFLICT UPDATE before the
   * `beforeUpsert` hooks run, so the actor is added to the values here: the
   * insert takes both audit columns, the update only `updatedById` (a row that
   * exists keeps its creator).
   */
  static override async upsert<M extends SequelizeModel>(
    this: ModelStatic<M>,
    values: SequelizeCreationAttributes<M>,
    options: UpsertOptions<ModelAttributes<M>> = {},
  ): Promise<[M, boolean | null]> {
    const actor = actorOf(this.sequelize);
    if (!actor || !('createdById' in this.getAttributes())) return Model.upsert.call(this, values, options) as never;
    const given = values as Record<string, unknown>;
    const fields = (options.fields as string[] | undefined) ?? (this.build(values).changed() || []);
    const stamped = {
      ...stampValues(given, actor),
      createdById: given.createdById === undefined ? actor : given.createdById,
    };
    return Model.upsert.call(this, stamped as never, {
      ...options,
      fields: fields.includes('updatedById') ? fields : [...fields, 'updatedById'],
    }) as never;
  }
}

/** The package's own find hooks: a read by a UUID key gives them nothing to refuse. */
const OWN_FIND_HOOKS: ReadonlySet<unknown> = new Set([BaseModel.refuseInvalidWhere]);

/**
 * Sets `updatedById` on the rows a static soft delete or restore is about to
 * change: without hooks (the actor is the only change) and without touching
 * `updatedAt`.
 */
async function stampBulk(
  model: ModelCtor,
  actor: string,
  where: object,
  transaction: Transaction | null | undefined,
  paranoid = true,
): Promise<void> {
  await Model.update.call(
    model as never,
    { updatedById: actor } as never,
    {
      where,
      transaction,
      paranoid,
      hooks: false,
      silent: true,
      validate: false,
    } as never,
  );
}

/** A row of any model, as the hooks shared by every model see it. */
type AnyBase = BaseModel<never>;

/** The deletedAt a row had before its restore, for the restore of its children. */
const deletedWith = new WeakMap<object, Date>();

/**
 * Runs `work` in the caller's transaction, or in a new one when the model
 * cascades soft deletes (or `work` takes several statements) and none was
 * given, so that a row and its children change together or not at all.
 */
export async function inTransaction<T, O extends { transaction?: Transaction | null; force?: boolean }>(
  target: Model | ModelCtor,
  options: O,
  work: (options: O) => Promise<T>,
  severalStatements = false,
): Promise<T> {
  const model = (target instanceof Model ? target.constructor : target) as ModelCtor;
  const alone = !severalStatements && (options.force || !hasSoftCascade(model));
  if (options.transaction || alone || !model.sequelize) return work(options);
  return model.sequelize.transaction((transaction) => work({ ...options, transaction }));
}
