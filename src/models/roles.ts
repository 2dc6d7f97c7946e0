import type { CreationOptional, NonAttribute } from 'sequelize';
import { table, text } from './base/columns';
import { BelongsToMany, Column, HasMany, Table } from './base/decorators';
import type { BelongsToManyMethods } from './base/many-to-many';
import { BaseModel } from './base/model';
import { Permission } from './permissions';
import { RolePermission } from './roles_permissions_permissions';
import { User } from './users';

@Table(table('roles'))
export class Role extends BaseModel<Role> {
  @Column(text('Name', { allowNull: false, notEmpty: true, len: [1, 100] }))
  declare name: string;

  @Column(text('Role customization'))
  declare role_customization: CreationOptional<string | null>;

  // associations

  @BelongsToMany(() => Permission, {
    through: () => RolePermission,
    as: 'permissions',
    foreignKey: 'roles_permissionsId',
    otherKey: 'permissionId',
  })
  declare permissions?: NonAttribute<Permission[]>;

  @HasMany(() => User, { foreignKey: 'app_roleId' })
  declare users_app_role?: NonAttribute<User[]>;
}

// Sequelize adds these methods at run time; the merge types them (the class itself declares no such members).
export interface Role extends BelongsToManyMethods<Permission, 'Permission', 'Permissions'> {}
