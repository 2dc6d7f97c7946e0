import { Column, DataType, PrimaryKey, Table } from './base/decorators';
import { JoinModel, joinTable } from './base/join-table';

/** users <-> permissions, the `custom_permissions` of a user. */
@Table(joinTable('usersCustom_permissionsPermissions'))
export class UserCustomPermission extends JoinModel<UserCustomPermission> {
  @PrimaryKey
  @Column({ type: DataType.UUID, allowNull: false })
  declare users_custom_permissionsId: string;

  @PrimaryKey
  @Column({ type: DataType.UUID, allowNull: false })
  declare permissionId: string;
}
