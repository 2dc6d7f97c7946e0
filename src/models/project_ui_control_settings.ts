import type { CreationOptional } from 'sequelize';
import { boolean, ENVIRONMENTS, type Environment, enumeration, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { ProjectScopedModel, REQUIRED_PROJECT } from './base/project-scoped';

/** Per project and environment overrides of the viewer's controls; NULL inherits the global default (D5). */
@Table(
  table('project_ui_control_settings', {
    indexes: [
      { fields: ['projectId', 'environment'], unique: true, where: { deletedAt: null } },
      { fields: ['projectId'] },
      { fields: ['deletedAt'] },
    ],
  }),
)
export class ProjectUiControlSetting extends ProjectScopedModel<ProjectUiControlSetting> {
  @Column(enumeration('Environment', ENVIRONMENTS, { allowNull: false }))
  declare environment: Environment;

  @Column(text('Source key'))
  declare source_key: CreationOptional<string | null>;

  @Column(boolean('Fullscreen enabled'))
  declare fullscreen_enabled: CreationOptional<boolean | null>;

  @Column(boolean('Sound enabled'))
  declare sound_enabled: CreationOptional<boolean | null>;

  @Column(boolean('Offline enabled'))
  declare offline_enabled: CreationOptional<boolean | null>;

  @Column(REQUIRED_PROJECT)
  declare projectId: string;
}
