import type { CreationOptional } from 'sequelize';
import { integer, table, text, uuid } from './base/columns';
import { Column, Table } from './base/decorators';
import { BaseModel } from './base/model';

/**
 * A file attached to any row: `belongsTo` names the table, `belongsToId` the
 * row and `belongsToColumn` the field (a user's `avatar`).
 */
@Table(table('file'))
export class File extends BaseModel<File> {
  @Column(text('Parent table', {}, 255))
  declare belongsTo: CreationOptional<string | null>;

  @Column(uuid('Parent id'))
  declare belongsToId: CreationOptional<string | null>;

  @Column(text('Parent column', {}, 255))
  declare belongsToColumn: CreationOptional<string | null>;

  @Column(text('Name', { allowNull: false, notEmpty: true }, 2083))
  declare name: string;

  @Column(integer('Size in bytes'))
  declare sizeInBytes: CreationOptional<number | null>;

  @Column(text('Private URL', {}, 2083))
  declare privateUrl: CreationOptional<string | null>;

  @Column(text('Public URL', { allowNull: false, notEmpty: true }, 2083))
  declare publicUrl: string;
}
