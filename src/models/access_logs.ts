import type { CreationOptional } from 'sequelize';
import { date, enumeration, table, text } from './base/columns';
import { Column, DataType, Table } from './base/decorators';
import { ProjectUserModel } from './base/project-user';

export const ACCESS_ENVIRONMENTS = ['admin', 'stage', 'production'] as const;
export type AccessEnvironment = (typeof ACCESS_ENVIRONMENTS)[number];

@Table(
  table('access_logs', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['environment'] },
      { fields: ['userId'] },
      { fields: ['accessed_at'] },
    ],
  }),
)
export class AccessLog extends ProjectUserModel<AccessLog> {
  @Column(enumeration('Environment', ACCESS_ENVIRONMENTS, { allowNull: false }))
  declare environment: AccessEnvironment;

  @Column(text('Path', { len: [0, 2048] }))
  declare path: CreationOptional<string | null>;

  /** Up to 45 characters, the longest IPv6 text form. */
  @Column(text('IP address', { len: [0, 45] }))
  declare ip_address: CreationOptional<string | null>;

  @Column(text('User agent', { len: [0, 1024] }))
  declare user_agent: CreationOptional<string | null>;

  @Column(date('Accessed at', { allowNull: false, defaultValue: DataType.NOW }))
  declare accessed_at: CreationOptional<Date>;
}
