import type { CreationOptional, NonAttribute } from 'sequelize';
import { integer, table, text } from './base/columns';
import { Column, DataType, HasMany, Table } from './base/decorators';
import { BaseModel } from './base/model';
import { ProjectElementDefault } from './project_element_defaults';

/** The UI element types the platform knows. */
export const ELEMENT_TYPES = [
  'button',
  'hotspot',
  'gallery',
  'tooltip',
  'video_player',
  'audio_player',
  'image',
  'text',
  'link',
  'form',
  'iframe',
] as const;
export type ElementType = (typeof ELEMENT_TYPES)[number];

@Table(
  table('element_type_defaults', {
    indexes: [{ fields: ['element_type'] }, { fields: ['sort_order'] }, { fields: ['deletedAt'] }],
  }),
)
export class ElementTypeDefault extends BaseModel<ElementTypeDefault> {
  @Column(text('Element type', { allowNull: false, notEmpty: true, unique: true, len: [1, 100], indexed: true }))
  declare element_type: string;

  @Column(text('Name', { allowNull: false, notEmpty: true, len: [1, 255] }))
  declare name: string;

  @Column(integer('Sort order', { allowNull: false, defaultValue: 0 }))
  declare sort_order: CreationOptional<number>;

  /** Global defaults are always active. */
  @Column({
    type: DataType.VIRTUAL(DataType.BOOLEAN),
    get: () => true,
    set: () => undefined,
  })
  declare is_active: CreationOptional<boolean>;

  /** Stringified JSON, stored in the `settings_json` column. */
  @Column(text('Default settings', { field: 'settings_json' }))
  declare default_settings_json: CreationOptional<string | null>;

  // associations

  @HasMany(() => ProjectElementDefault, { foreignKey: 'source_element_id' })
  declare project_defaults?: NonAttribute<ProjectElementDefault[]>;
}
