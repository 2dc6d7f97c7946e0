import type { CreationOptional } from 'sequelize';
import { boolean, date, ENVIRONMENTS, type Environment, enumeration, json, table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { ProjectScopedModel } from './base/project-scoped';

@Table(table('pwa_caches'))
export class PwaCache extends ProjectScopedModel<PwaCache> {
  @Column(enumeration('Environment', ENVIRONMENTS))
  declare environment: CreationOptional<Environment | null>;

  @Column(text('Cache version', { len: [0, 255] }))
  declare cache_version: CreationOptional<string | null>;

  @Column(json('Manifest'))
  declare manifest_json: CreationOptional<Record<string, unknown> | null>;

  @Column(json('Asset list'))
  declare asset_list_json: CreationOptional<string[] | null>;

  @Column(date('Generated at'))
  declare generated_at: CreationOptional<Date | null>;

  @Column(boolean('Is active', { allowNull: false, defaultValue: false }))
  declare is_active: CreationOptional<boolean>;
}
