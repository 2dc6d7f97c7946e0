import { Column, DataType, PrimaryKey, Table } from './base/decorators';
import { JoinModel, joinTable } from './base/join-table';

/** roles <-> permissions, the `permissions` of a role. */
@Table(joinTable('rolesPermissionsPermissions'))
export class RolePermission extends JoinModel<RolePermission> {
  @PrimaryKey
  @Column({ type: DataType.UUID, allowNull: false })
  declare roles_permissionsId: string;

  @PrimaryKey
  @Column({ type: DataType.UUID, allowNull: false })
  declare permissionId: string;
}
