import type { CreationOptional, NonAttribute } from 'sequelize';
import { ENVIRONMENTS, type Environment, enumeration, foreignKey, json, table } from './base/columns';
import { BelongsTo, Column, Table } from './base/decorators';
import { ProjectScopedModel, REQUIRED_PROJECT } from './base/project-scoped';
import { PublishEvent } from './publish_events';

/** A row of a copied table as the snapshot keeps it: every column, timestamps as ISO 8601 text. */
export type SnapshotRow = Record<string, unknown>;

/** What an environment held: every row (soft-deleted ones too) of the three tables publishing writes. */
export interface PublishSnapshotContent {
  tour_pages: SnapshotRow[];
  project_transition_settings: SnapshotRow[];
  project_audio_tracks: SnapshotRow[];
}

/** A column per copied table, under the table's name: a rollback reads each one without parsing the others. */
const rows = (label: string) => json(label, { allowNull: false, defaultValue: [] });

/**
 * What a project's environment held just before a publish (or a rollback)
 * into it, written in the publish's own transaction: enough to put back
 * exactly, ids and lineage included. Not in the spec: added for publish
 * history and rollback. Only the newest snapshots per project and
 * environment are kept (see the publish options' `keepSnapshots`).
 */
@Table(
  table('publish_snapshots', {
    indexes: [
      { fields: ['projectId', 'environment', 'createdAt'] },
      { fields: ['publishEventId'], unique: true },
      { fields: ['deletedAt'] },
    ],
  }),
)
export class PublishSnapshot extends ProjectScopedModel<PublishSnapshot> {
  @Column(enumeration('Environment', ENVIRONMENTS, { allowNull: false }))
  declare environment: Environment;

  /** The publish (or rollback) this is the state before. */
  @Column(foreignKey('Publish event', 'CASCADE', { allowNull: false }))
  declare publishEventId: string;

  // JSON, not JSONB: the rows' own JSON documents (UI schemas) are kept byte for byte, key order included.
  @Column(rows('Pages'))
  declare tour_pages: CreationOptional<SnapshotRow[]>;

  @Column(rows('Transition settings'))
  declare project_transition_settings: CreationOptional<SnapshotRow[]>;

  @Column(rows('Audio tracks'))
  declare project_audio_tracks: CreationOptional<SnapshotRow[]>;

  @Column(REQUIRED_PROJECT)
  declare projectId: string;

  // associations

  @BelongsTo(() => PublishEvent, { foreignKey: 'publishEventId', as: 'publish_event' })
  declare publish_event?: NonAttribute<PublishEvent>;
}
