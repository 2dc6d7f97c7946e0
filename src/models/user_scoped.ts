import type { CreationOptional, NonAttribute } from 'sequelize';
import { BelongsTo, Column } from 'sequelize-typescript';
import { baseTarget } from './base';
import { foreignKey } from './columns';
import { ProjectScopedModel } from './project_scoped';
import type { User } from './users';

/**
 * A project row that also names a user (`userId`, alias `user`): memberships,
 * presentation access, publish events, access logs, presigned URL requests.
 * The user's delete nulls the reference unless the model says otherwise.
 */
export abstract class ProjectUserModel<M extends ProjectUserModel<M>> extends ProjectScopedModel<M> {
  @Column(foreignKey('User', 'SET NULL'))
  declare userId: CreationOptional<string | null>;

  // associations

  @BelongsTo(baseTarget('users'), { foreignKey: 'userId', as: 'user', onDelete: 'SET NULL', onUpdate: 'CASCADE' })
  declare user?: NonAttribute<User | null>;
}
