import type { CreationOptional, NonAttribute } from 'sequelize';
import type { Project } from '../projects';
import { foreignKey } from './columns';
import { BelongsTo, Column } from './decorators';
import { BaseModel, projectsModel } from './model';

/**
 * A row that belongs to a project (`projectId`, alias `project`), deleted with
 * it. Models whose spec makes `projectId` required redeclare the column.
 */
export abstract class ProjectScopedModel<M extends ProjectScopedModel<M>> extends BaseModel<M> {
  @Column(foreignKey('Project', 'CASCADE'))
  declare projectId: CreationOptional<string | null>;

  // associations

  @BelongsTo(projectsModel, {
    foreignKey: 'projectId',
    as: 'project',
  })
  declare project?: NonAttribute<Project | null>;
}

/** The `projectId` column of the models whose spec makes it required. */
export const REQUIRED_PROJECT = foreignKey('Project', 'CASCADE', { allowNull: false });
