import type { CreationOptional, NonAttribute } from 'sequelize';
import { AssetVariant } from './asset_variants';
import {
  ASSET_KINDS,
  type AssetKind,
  boolean,
  decimal,
  enumeration,
  integer,
  mimeType,
  table,
  text,
} from './base/columns';
import { Column, HasMany, Table } from './base/decorators';
import { ProjectScopedModel } from './base/project-scoped';

export const ASSET_ROLES = [
  'icon',
  'background_image',
  'audio',
  'video',
  'transition',
  'logo',
  'favicon',
  'document',
  'general',
] as const;
export type AssetRole = (typeof ASSET_ROLES)[number];

@Table(
  table('assets', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['asset_type'] },
      { fields: ['type'] },
      { fields: ['is_public'] },
      { fields: ['deletedAt'] },
    ],
  }),
)
export class Asset extends ProjectScopedModel<Asset> {
  @Column(text('Name', { len: [0, 255] }))
  declare name: CreationOptional<string | null>;

  @Column(enumeration('Asset type', ASSET_KINDS, { allowNull: false }))
  declare asset_type: AssetKind;

  @Column(enumeration('Type', ASSET_ROLES, { allowNull: false, defaultValue: 'general' }))
  declare type: CreationOptional<AssetRole>;

  @Column(text('CDN URL'))
  declare cdn_url: CreationOptional<string | null>;

  @Column(text('Storage key'))
  declare storage_key: CreationOptional<string | null>;

  @Column(text('MIME type', { pattern: mimeType('MIME type') }))
  declare mime_type: CreationOptional<string | null>;

  @Column(decimal('Size (MB)'))
  declare size_mb: CreationOptional<number | null>;

  @Column(integer('Width (px)'))
  declare width_px: CreationOptional<number | null>;

  @Column(integer('Height (px)'))
  declare height_px: CreationOptional<number | null>;

  @Column(decimal('Duration (s)'))
  declare duration_sec: CreationOptional<number | null>;

  @Column(text('Checksum'))
  declare checksum: CreationOptional<string | null>;

  @Column(boolean('Is public', { allowNull: false, defaultValue: false }))
  declare is_public: CreationOptional<boolean>;

  // associations

  @HasMany(() => AssetVariant, { foreignKey: 'assetId' })
  declare asset_variants_asset?: NonAttribute<AssetVariant[]>;
}
