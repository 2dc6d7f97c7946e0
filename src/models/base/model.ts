import type {
  BulkCreateOptions,
  CreationOptional,
  DestroyOptions,
  InferAttributes,
  InferCreationAttributes,
  InstanceDestroyOptions,
  InstanceRestoreOptions,
  Attributes as ModelAttributes,
  CreationAttributes as ModelCreationAttributes,
  ModelStatic,
  NonAttribute,
  RestoreOptions,
  Model as SequelizeModel,
  Transaction,
} from 'sequelize';
import type { ValidationOptions } from 'sequelize/types/instance-validator';
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
} from 'sequelize-typescript';
import type { User } from '../users';
import { foreignKey, text, uuid } from './columns';
import { certainlyValid } from './fast-validate';
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

/** Attributes of a model: its columns, without associations and methods. */
export type Attributes<M extends BaseModel<M>> = InferAttributes<M>;
/** What `create` takes: columns with a default, a generated value or NULL allowed are optional. */
export type CreationAttributes<M extends BaseModel<M>> = InferCreationAttributes<M>;

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
    onDelete: 'SET NULL',
    onUpdate: 'CASCADE',
  })
  declare createdBy?: NonAttribute<User | null>;

  @BelongsTo(usersModel, {
    foreignKey: 'updatedById',
    as: 'updatedBy',
    onDelete: 'SET NULL',
    onUpdate: 'CASCADE',
  })
  declare updatedBy?: NonAttribute<User | null>;

  // hooks: a soft delete takes along the children the spec cascades, and a restore brings back those it took

  @BeforeBulkDestroy
  @BeforeBulkRestore
  static runRowHooksForSoftCascade(this: ModelCtor, options: { individualHooks?: boolean }): void {
    if (hasSoftCascade(this)) options.individualHooks = true;
  }

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

  @BeforeRestore
  static rememberDeletedAt(row: AnyBase): void {
    if (row.deletedAt) deletedWith.set(row, row.deletedAt);
  }

  @AfterRestore
  static async restoreChildren(row: AnyBase, options: { transaction?: Transaction }): Promise<void> {
    const model = row.constructor as ModelCtor;
    const deletedAt = deletedWith.get(row);
    deletedWith.delete(row);
    if (deletedAt && hasSoftCascade(model)) await restoreChildren(model, [row.id], deletedAt, options.transaction);
  }

  // hooks: a validation error keeps no secret value, whichever write path (create, update, bulkCreate, upsert,
  // importRows) raised it

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
    return inTransaction(this as unknown as ModelCtor, options, (withTransaction) =>
      Model.destroy.call(this, withTransaction),
    );
  }

  static override async restore<M extends SequelizeModel>(
    this: ModelStatic<M>,
    options: RestoreOptions<ModelAttributes<M>> = {},
  ): Promise<void> {
    await inTransaction(this as unknown as ModelCtor, options, (withTransaction) =>
      Model.restore.call(this, withTransaction),
    );
  }
}

/** A row of any model, as the hooks shared by every model see it. */
type AnyBase = BaseModel<never>;

/** The deletedAt a row had before its restore, for the restore of its children. */
const deletedWith = new WeakMap<object, Date>();

/**
 * Runs `work` in the caller's transaction, or in a new one when the model
 * cascades soft deletes and none was given, so that a row and its children
 * change together or not at all.
 */
export async function inTransaction<T, O extends { transaction?: Transaction | null; force?: boolean }>(
  target: Model | ModelCtor,
  options: O,
  work: (options: O) => Promise<T>,
): Promise<T> {
  const model = (target instanceof Model ? target.constructor : target) as ModelCtor;
  if (options.transaction || options.force || !hasSoftCascade(model) || !model.sequelize) return work(options);
  return model.sequelize.transaction((transaction) => work({ ...options, transaction }));
}
