import { foreignKey, table } from './base/columns';
import { Column, Table } from './base/decorators';
import { REQUIRED_PROJECT } from './base/project-scoped';
import { ProjectUserModel } from './base/project-user';

/** A Public-role customer's grant to a project's private production presentation. */
@Table(
  table('production_presentation_access', {
    indexes: [
      { fields: ['projectId'] },
      { fields: ['userId'] },
      { fields: ['projectId', 'userId'], unique: true, where: { deletedAt: null } },
    ],
  }),
)
export class ProductionPresentationAccess extends ProjectUserModel<ProductionPresentationAccess> {
  @Column(REQUIRED_PROJECT)
  declare projectId: string;

  @Column(foreignKey('User', 'CASCADE', { allowNull: false }))
  declare userId: string;
}
