import type { CreationOptional, NonAttribute } from 'sequelize';
import type { User } from '../users';
import { foreignKey } from './columns';
import { BelongsTo, Column } from './decorators';
import { usersModel } from './model';
import { ProjectScopedModel } from './project-scoped';

/**
 * A project row that also names a user (`userId`, alias `user`): memberships,
 * presentation access, publish events, access logs, presigned URL requests.
 * The user's delete nulls the reference unless the model says otherwise.
 */
export abstract class ProjectUserModel<M extends ProjectUserModel<M>> extends ProjectScopedModel<M> {
  @Column(foreignKey('User', 'SET NULL'))
  declare userId: CreationOptional<string | null>;

  // associations

  @BelongsTo(usersModel, { foreignKey: 'userId', as: 'user' })
  declare user?: NonAttribute<User | null>;
}
