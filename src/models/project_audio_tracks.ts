import type { CreationOptional } from 'sequelize';
import { boolean, decimal, ENVIRONMENTS, type Environment, enumeration, integer, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { lineageIndex } from './base/lineage';
import { ProjectScopedModel } from './base/project-scoped';

@Table(
  table('project_audio_tracks', {
    indexes: [
      // The spec lists no index here. The presentation reads a project's tracks of one environment in order, and a
      // project's hard delete cascades to them: without it, both read every project's tracks.
      { fields: ['projectId', 'environment', 'sort_order'] },
      lineageIndex(),
    ],
  }),
)
export class ProjectAudioTrack extends ProjectScopedModel<ProjectAudioTrack> {
  @Column(enumeration('Environment', ENVIRONMENTS))
  declare environment: CreationOptional<Environment | null>;

  @Column(text('Source key', { indexed: true }))
  declare source_key: CreationOptional<string | null>;

  @Column(text('Name', { len: [0, 255] }))
  declare name: CreationOptional<string | null>;

  @Column(text('Slug'))
  declare slug: CreationOptional<string | null>;

  @Column(text('URL'))
  declare url: CreationOptional<string | null>;

  @Column(boolean('Loop', { allowNull: false, defaultValue: false }))
  declare loop: CreationOptional<boolean>;

  @Column(decimal('Volume', { min: 0, max: 1 }))
  declare volume: CreationOptional<number | null>;

  @Column(integer('Sort order'))
  declare sort_order: CreationOptional<number | null>;

  @Column(boolean('Is enabled', { allowNull: false, defaultValue: false }))
  declare is_enabled: CreationOptional<boolean>;
}
