import type { CreationOptional } from 'sequelize';
import { ASSET_KINDS, type AssetKind, date, decimal, enumeration, mimeType, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { ProjectUserModel } from './base/project-user';

export const PRESIGN_PURPOSES = ['upload', 'download'] as const;
export type PresignPurpose = (typeof PRESIGN_PURPOSES)[number];

/** Audit of a storage presigned URL handed out. */
@Table(table('presigned_url_requests'))
export class PresignedUrlRequest extends ProjectUserModel<PresignedUrlRequest> {
  @Column(enumeration('Purpose', PRESIGN_PURPOSES))
  declare purpose: CreationOptional<PresignPurpose | null>;

  @Column(enumeration('Asset type', ASSET_KINDS))
  declare asset_type: CreationOptional<AssetKind | null>;

  @Column(text('Requested key', { len: [0, 1024] }))
  declare requested_key: CreationOptional<string | null>;

  @Column(text('MIME type', { len: [0, 255], pattern: mimeType('MIME type') }))
  declare mime_type: CreationOptional<string | null>;

  @Column(decimal('Requested size (MB)', { min: 0 }))
  declare requested_size_mb: CreationOptional<number | null>;

  @Column(date('Expires at'))
  declare expires_at: CreationOptional<Date | null>;

  @Column(text('Status'))
  declare status: CreationOptional<string | null>;
}
