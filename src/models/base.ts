import type { CreationOptional, InferAttributes, InferCreationAttributes, NonAttribute } from 'sequelize';
import { BelongsTo, Column, DataType, Default, Model, type ModelCtor, PrimaryKey } from 'sequelize-typescript';
import { foreignKey, text, uuid } from './columns';
import type { User } from './users';

/**
 * The base classes associate with `users` and `projects`, but those files
 * extend the base classes: a static import here would be a cycle that breaks
 * whichever model file is loaded first. `users.ts` and `projects.ts` register
 * themselves instead, and the association thunks read them when the models
 * are associated.
 */
const baseTargets = new Map<'users' | 'projects', ModelCtor>();

export function registerBaseTarget(name: 'users' | 'projects', model: ModelCtor): void {
  baseTargets.set(name, model);
}

export function baseTarget(name: 'users' | 'projects'): () => ModelCtor {
  return () => {
    const model = baseTargets.get(name);
    if (!model) throw new Error(`@tbp/models: the ${name} model must be loaded before the models are associated`);
    return model;
  };
}

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

  @BelongsTo(baseTarget('users'), {
    foreignKey: 'createdById',
    as: 'createdBy',
    onDelete: 'SET NULL',
    onUpdate: 'CASCADE',
  })
  declare createdBy?: NonAttribute<User | null>;

  @BelongsTo(baseTarget('users'), {
    foreignKey: 'updatedById',
    as: 'updatedBy',
    onDelete: 'SET NULL',
    onUpdate: 'CASCADE',
  })
  declare updatedBy?: NonAttribute<User | null>;
}
