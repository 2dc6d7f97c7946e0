import type { CreationOptional } from 'sequelize';
import { boolean, date, enumeration, table } from './base/columns';
import { Column, Table } from './base/decorators';
import { ProjectUserModel } from './base/project-user';

export const ACCESS_LEVELS = ['owner', 'editor', 'reviewer', 'viewer'] as const;
export type AccessLevel = (typeof ACCESS_LEVELS)[number];

@Table(
  table('project_memberships', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['userId'] },
      { fields: ['projectId', 'userId'], unique: true },
      { fields: ['is_active'] },
      { fields: ['deletedAt'] },
    ],
  }),
)
export class ProjectMembership extends ProjectUserModel<ProjectMembership> {
  @Column(enumeration('Access level', ACCESS_LEVELS, { allowNull: false, defaultValue: 'viewer' }))
  declare access_level: CreationOptional<AccessLevel>;

  @Column(boolean('Is active', { allowNull: false, defaultValue: false }))
  declare is_active: CreationOptional<boolean>;

  @Column(date('Invited at'))
  declare invited_at: CreationOptional<Date | null>;

  @Column(date('Accepted at'))
  declare accepted_at: CreationOptional<Date | null>;
}
