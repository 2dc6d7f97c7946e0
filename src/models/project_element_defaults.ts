import type { CreationOptional, NonAttribute } from 'sequelize';
import { foreignKey, integer, table, text } from './base/columns';
import { BelongsTo, Column, Table } from './base/decorators';
import { ProjectScopedModel, REQUIRED_PROJECT } from './base/project-scoped';
import { ElementTypeDefault } from './element_type_defaults';

@Table(
  table('project_element_defaults', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['projectId', 'element_type'], unique: true },
      { fields: ['element_type'] },
      { fields: ['source_element_id'] },
      { fields: ['deletedAt'] },
    ],
  }),
)
export class ProjectElementDefault extends ProjectScopedModel<ProjectElementDefault> {
  @Column(text('Element type', { allowNull: false, notEmpty: true, len: [1, 100], indexed: true }))
  declare element_type: string;

  @Column(text('Name', { len: [0, 255] }))
  declare name: CreationOptional<string | null>;

  @Column(integer('Sort order', { allowNull: false, defaultValue: 0 }))
  declare sort_order: CreationOptional<number>;

  /** Stringified JSON. */
  @Column(text('Settings'))
  declare settings_json: CreationOptional<string | null>;

  @Column(foreignKey('Source element', 'SET NULL'))
  declare source_element_id: CreationOptional<string | null>;

  @Column(integer('Snapshot version', { allowNull: false, defaultValue: 1 }))
  declare snapshot_version: CreationOptional<number>;

  @Column(REQUIRED_PROJECT)
  declare projectId: string;

  // associations

  @BelongsTo(() => ElementTypeDefault, {
    foreignKey: 'source_element_id',
    as: 'source_element',
  })
  declare source_element?: NonAttribute<ElementTypeDefault | null>;
}
