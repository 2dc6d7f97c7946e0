import type { CreationOptional } from 'sequelize';
import { date, ENVIRONMENTS, type Environment, enumeration, integer, table, text, uuid } from './base/columns';
import { Column, Table } from './base/decorators';
import { ProjectUserModel } from './base/project-user';

/**
 * `abandoned`: the event said `running` when its publisher was found gone
 * (process killed, connection lost) without having recorded an outcome.
 */
export const PUBLISH_STATUSES = ['queued', 'running', 'success', 'failed', 'abandoned'] as const;
export type PublishStatus = (typeof PUBLISH_STATUSES)[number];

@Table(
  table('publish_events', {
    indexes: [{ fields: ['projectId'] }, { fields: ['userId'] }, { fields: ['status'] }, { fields: ['started_at'] }],
  }),
)
export class PublishEvent extends ProjectUserModel<PublishEvent> {
  @Column(text('Title', { len: [0, 255] }, 255))
  declare title: CreationOptional<string | null>;

  @Column(text('Description', { len: [0, 5000] }))
  declare description: CreationOptional<string | null>;

  @Column(enumeration('From environment', ENVIRONMENTS, { allowNull: false }))
  declare from_environment: Environment;

  @Column(enumeration('To environment', ENVIRONMENTS, { allowNull: false }))
  declare to_environment: Environment;

  @Column(date('Started at'))
  declare started_at: CreationOptional<Date | null>;

  @Column(date('Finished at'))
  declare finished_at: CreationOptional<Date | null>;

  @Column(enumeration('Status', PUBLISH_STATUSES, { allowNull: false, defaultValue: 'queued' }))
  declare status: CreationOptional<PublishStatus>;

  @Column(text('Error message'))
  declare error_message: CreationOptional<string | null>;

  @Column(integer('Pages copied', { min: 0 }))
  declare pages_copied: CreationOptional<number | null>;

  @Column(integer('Transitions copied', { min: 0 }))
  declare transitions_copied: CreationOptional<number | null>;

  @Column(integer('Audios copied', { min: 0 }))
  declare audios_copied: CreationOptional<number | null>;

  /**
   * For a rollback: the publish whose target it put back to the state before
   * it. A plain id, not a foreign key: history rows point at each other only
   * for reading.
   */
  @Column(uuid('Rollback of'))
  declare rollbackOfId: CreationOptional<string | null>;
}
