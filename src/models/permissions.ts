import { table, text } from './base/columns';
import { Column, Table } from './base/decorators';
import { BaseModel } from './base/model';

/** One permission, named `{ACTION}_{ENTITY}` (`READ_USERS`, `CREATE_ASSETS`). */
@Table(table('permissions'))
export class Permission extends BaseModel<Permission> {
  @Column(text('Name', { allowNull: false, notEmpty: true, unique: true, len: [1, 100], indexed: true }))
  declare name: string;
}
