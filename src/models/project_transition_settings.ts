import type { CreationOptional } from 'sequelize';
import { ENVIRONMENTS, type Environment, enumeration, hexColour, integer, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { lineageIndex } from './base/lineage';
import { ProjectScopedModel, REQUIRED_PROJECT } from './base/project-scoped';

/** Page transition settings of one project environment, copied along on save to stage and publish. */
@Table(
  table('project_transition_settings', {
    indexes: [
      { fields: ['projectId', 'environment'], unique: true, where: { deletedAt: null } },
      { fields: ['projectId'] },
      { fields: ['deletedAt'] },
      lineageIndex(),
    ],
  }),
)
export class ProjectTransitionSetting extends ProjectScopedModel<ProjectTransitionSetting> {
  @Column(enumeration('Environment', ENVIRONMENTS, { allowNull: false }))
  declare environment: Environment;

  @Column(text('Source key', { indexed: true }))
  declare source_key: CreationOptional<string | null>;

  @Column(text('Transition type', { allowNull: false, defaultValue: 'fade' }))
  declare transition_type: CreationOptional<string>;

  @Column(integer('Duration (ms)', { allowNull: false, defaultValue: 700 }))
  declare duration_ms: CreationOptional<number>;

  @Column(text('Easing', { allowNull: false, defaultValue: 'ease-in-out' }))
  declare easing: CreationOptional<string>;

  @Column(hexColour('Overlay colour'))
  declare overlay_color: CreationOptional<string>;

  @Column(REQUIRED_PROJECT)
  declare projectId: string;
}
