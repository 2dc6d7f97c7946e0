import type { CreationOptional } from 'sequelize';
import { boolean, ENVIRONMENTS, type Environment, enumeration, integer, json, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { lineageIndex } from './base/lineage';
import { ProjectScopedModel } from './base/project-scoped';

/** The page's elements (buttons, hotspots, galleries, tooltips, media players), links and transitions. */
export type UiSchema = Record<string, unknown> | unknown[];

@Table(
  table('tour_pages', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['projectId', 'environment', 'slug'], unique: true },
      { fields: ['projectId', 'environment', 'sort_order'] },
      { fields: ['deletedAt'] },
      lineageIndex(),
    ],
  }),
)
export class TourPage extends ProjectScopedModel<TourPage> {
  @Column(enumeration('Environment', ENVIRONMENTS, { allowNull: false, defaultValue: 'dev' }))
  declare environment: CreationOptional<Environment>;

  @Column(text('Source key', { indexed: true }))
  declare source_key: CreationOptional<string | null>;

  @Column(text('Name', { allowNull: false, notEmpty: true, len: [1, 255] }))
  declare name: string;

  @Column(
    text('Slug', {
      allowNull: false,
      notEmpty: true,
      indexed: true,
      pattern: { is: /^[A-Za-z0-9-]+$/, msg: 'Slug may contain only letters, digits and dashes' },
    }),
  )
  declare slug: string;

  @Column(integer('Sort order', { allowNull: false, defaultValue: 0 }))
  declare sort_order: CreationOptional<number>;

  @Column(text('Background image URL'))
  declare background_image_url: CreationOptional<string | null>;

  @Column(text('Background video URL'))
  declare background_video_url: CreationOptional<string | null>;

  @Column(text('Background audio URL'))
  declare background_audio_url: CreationOptional<string | null>;

  @Column(boolean('Background loop', { allowNull: false, defaultValue: false }))
  declare background_loop: CreationOptional<boolean>;

  @Column(boolean('Requires auth', { allowNull: false, defaultValue: false }))
  declare requires_auth: CreationOptional<boolean>;

  @Column(json('UI schema'))
  declare ui_schema_json: CreationOptional<UiSchema | null>;
}
