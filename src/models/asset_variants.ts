import type { CreationOptional, NonAttribute } from 'sequelize';
import { Asset } from './assets';
import { decimal, enumeration, foreignKey, httpUrl, integer, table } from './base/columns';
import { BelongsTo, Column, Table } from './base/decorators';
import { BaseModel } from './base/model';

export const VARIANT_TYPES = ['thumbnail', 'preview', 'webp', 'mp4_low', 'mp4_high', 'original'] as const;
export type VariantType = (typeof VARIANT_TYPES)[number];

@Table(table('asset_variants'))
export class AssetVariant extends BaseModel<AssetVariant> {
  @Column(enumeration('Variant type', VARIANT_TYPES))
  declare variant_type: CreationOptional<VariantType | null>;

  @Column(httpUrl('CDN URL', { len: [0, 2048] }))
  declare cdn_url: CreationOptional<string | null>;

  @Column(integer('Width (px)', { min: 0 }))
  declare width_px: CreationOptional<number | null>;

  @Column(integer('Height (px)', { min: 0 }))
  declare height_px: CreationOptional<number | null>;

  @Column(decimal('Size (MB)', { min: 0 }))
  declare size_mb: CreationOptional<number | null>;

  @Column(foreignKey('Asset', 'CASCADE'))
  declare assetId: CreationOptional<string | null>;

  // associations

  @BelongsTo(() => Asset, { foreignKey: 'assetId', as: 'asset' })
  declare asset?: NonAttribute<Asset | null>;
}
