import type {
  BelongsToManyAddAssociationMixin,
  BelongsToManyAddAssociationsMixin,
  BelongsToManyCountAssociationsMixin,
  BelongsToManyCreateAssociationMixin,
  BelongsToManyGetAssociationsMixin,
  BelongsToManyHasAssociationMixin,
  BelongsToManyHasAssociationsMixin,
  BelongsToManyRemoveAssociationMixin,
  BelongsToManyRemoveAssociationsMixin,
  BelongsToManySetAssociationsMixin,
  Model,
} from 'sequelize';

/**
 * The methods Sequelize adds for a many-to-many association `as: 'things'` (`getThings`, `addThing`, ...),
 * typed: sequelize-typescript adds them at run time but declares none. A model merges them in with
 * `export interface User extends BelongsToManyMethods<Permission, 'Custom_permission', 'Custom_permissions'> {}`.
 */
export type BelongsToManyMethods<T extends Model, One extends string, Many extends string> = Record<
  `get${Many}`,
  BelongsToManyGetAssociationsMixin<T>
> &
  Record<`set${Many}`, BelongsToManySetAssociationsMixin<T, string>> &
  Record<`add${One}`, BelongsToManyAddAssociationMixin<T, string>> &
  Record<`add${Many}`, BelongsToManyAddAssociationsMixin<T, string>> &
  Record<`remove${One}`, BelongsToManyRemoveAssociationMixin<T, string>> &
  Record<`remove${Many}`, BelongsToManyRemoveAssociationsMixin<T, string>> &
  Record<`has${One}`, BelongsToManyHasAssociationMixin<T, string>> &
  Record<`has${Many}`, BelongsToManyHasAssociationsMixin<T, string>> &
  Record<`count${Many}`, BelongsToManyCountAssociationsMixin> &
  Record<`create${One}`, BelongsToManyCreateAssociationMixin<T>>;
