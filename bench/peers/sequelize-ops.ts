/**
 * The operations in Sequelize's own terms, for both Sequelize contenders (the
 * package and plain `sequelize.define` models of the same tables): the same
 * calls on either, so that what differs between them is the models.
 */
import type { Model, ModelStatic, Sequelize } from 'sequelize';
import type { Environment, ImportRow, Operations } from './contender';

type AnyModel = ModelStatic<Model<Record<string, unknown>, Record<string, unknown>>>;

export interface SequelizeModels {
  projects: AnyModel;
  tour_pages: AnyModel;
}

const SECRETS = ['password', 'emailVerificationToken', 'passwordResetToken'];

export function sequelizeOperations(
  models: SequelizeModels,
  importPages: (rows: ImportRow[]) => Promise<unknown>,
): Operations {
  const { projects, tour_pages } = models;
  return {
    byPk: (id) => projects.findByPk(id),
    projectWithPagesMembers: (id) =>
      projects.findOne({
        where: { id },
        include: [
          { association: 'tour_pages_project', where: { environment: 'production' } },
          {
            association: 'project_memberships_project',
            include: [{ association: 'user', attributes: { exclude: SECRETS } }],
          },
        ],
        order: [['tour_pages_project', 'sort_order', 'ASC']],
      }),
    pagesByName: (projectId) => tour_pages.findAll({ where: { projectId }, order: [['name', 'ASC']], limit: 100 }),
    insertPage: (page) => tour_pages.create({ ...page }),
    updatePageName: (id, name) => tour_pages.update({ name }, { where: { id } }),
    softDeletePage: (id) => tour_pages.destroy({ where: { id } }),
    importPages,
    // `separate` runs each list as its own query instead of joining four lists into their product.
    presentation: (id, environment: Environment) =>
      projects.findOne({
        where: { id },
        include: [
          {
            association: 'tour_pages_project',
            where: { environment },
            required: false,
            separate: true,
            order: [['sort_order', 'ASC']],
          },
          {
            association: 'project_transition_settings_project',
            where: { environment },
            required: false,
            separate: true,
          },
          {
            association: 'project_audio_tracks_project',
            where: { environment },
            required: false,
            separate: true,
            order: [['sort_order', 'ASC']],
          },
          { association: 'project_element_defaults_project', separate: true, order: [['sort_order', 'ASC']] },
        ],
      }),
  };
}

/** Plain `bulkCreate` in one transaction, skipping duplicates, without reading the rows back. */
export function bulkCreateImport(sequelize: Sequelize, pages: AnyModel) {
  return (rows: ImportRow[]) =>
    sequelize.transaction((transaction) =>
      pages.bulkCreate(rows as never[], { ignoreDuplicates: true, returning: false, transaction }),
    );
}
