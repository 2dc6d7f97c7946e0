import { Column, Table } from 'sequelize-typescript';
import { BaseModel } from './base';
import { table, text } from './columns';

/** One permission, named `{ACTION}_{ENTITY}` (`READ_USERS`, `CREATE_ASSETS`). */
@Table(table('permissions'))
export class Permission extends BaseModel<Permission> {
  @Column(text('Name', { allowNull: false, notEmpty: true, unique: true, len: [1, 100] }))
  declare name: string;
}
