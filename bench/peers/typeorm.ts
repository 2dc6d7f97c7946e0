/**
 * TypeORM with entity schemas (its decorator-free form; the same metadata),
 * repositories for the everyday calls (`findOneBy`, `find` with relations,
 * `insert`, `update`, `softDelete`: the delete-date column filters reads and
 * the update-date column is set on update), and the insert query builder for
 * the import. The tables have no server-side timestamps, so inserts give
 * `createdAt` and `updatedAt`, as the package does.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { DataSource, IsNull } from 'typeorm';
import { type Contender, type Environment, type ImportRow, POOL_SIZE } from './contender';
import * as schema from './schema/typeorm';

export const name = 'typeorm';
/** What a cold start loads. */
export const file = __filename;

function dataSource(url: string): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: schema.entities,
    poolSize: POOL_SIZE,
    synchronize: false,
    logging: false,
  });
}

/** Builds the entity metadata as `initialize()` does, without connecting. */
export async function define(url: string): Promise<DataSource> {
  const source = dataSource(url);
  // Protected in the typings, public in the code: initialize() is this plus connecting.
  await (source as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return source;
}

export async function setup(url: string): Promise<Contender> {
  const source = await dataSource(url).initialize();
  const projects = source.getRepository(schema.projects);
  const pages = source.getRepository(schema.tour_pages);
  const transitions = source.getRepository(schema.project_transition_settings);
  const tracks = source.getRepository(schema.project_audio_tracks);
  const elements = source.getRepository(schema.project_element_defaults);
  return {
    name,
    close: () => source.destroy(),
    note: 'the project and its four lists as five repository reads in parallel',
    ops: {
      byPk: (id) => projects.findOneBy({ id }),
      projectWithPagesMembers: (id) =>
        projects.findOne({
          where: { id, tour_pages_project: { environment: 'production' } },
          relations: { tour_pages_project: true, project_memberships_project: { user: true } },
          order: { tour_pages_project: { sort_order: 'ASC' } },
        }),
      pagesByName: (projectId) => pages.find({ where: { projectId }, order: { name: 'ASC' }, take: 100 }),
      insertPage: (page) => {
        const now = new Date();
        return pages.insert({ ...page, createdAt: now, updatedAt: now });
      },
      updatePageName: (id, name) => pages.update({ id, deletedAt: IsNull() }, { name }),
      softDeletePage: (id) => pages.softDelete({ id }),
      importPages: (rows: ImportRow[]) =>
        source.transaction(async (manager) => {
          const now = new Date();
          for (let start = 0; start < rows.length; start += 1000) {
            await manager
              .createQueryBuilder()
              .insert()
              .into(schema.tour_pages)
              .values(
                rows
                  .slice(start, start + 1000)
                  .map((row) => ({ ...row, id: randomUUID(), createdAt: now, updatedAt: now })),
              )
              .orIgnore()
              // Skips reading back the defaulted columns of 1,000 rows: nothing uses them.
              .updateEntity(false)
              .execute();
          }
        }),
      // One find with the four one-to-many relations would join them into a product of
      // 10 x 1 x 2 x 5 rows, each with a page's UI schema: five reads are what one writes.
      presentation: async (id, environment: Environment) => {
        const [project, pageList, transitionList, trackList, elementList] = await Promise.all([
          projects.findOneBy({ id }),
          pages.find({ where: { projectId: id, environment }, order: { sort_order: 'ASC' } }),
          transitions.find({ where: { projectId: id, environment } }),
          tracks.find({ where: { projectId: id, environment }, order: { sort_order: 'ASC' } }),
          elements.find({ where: { projectId: id }, order: { sort_order: 'ASC' } }),
        ]);
        if (!project) return null;
        return {
          ...project,
          tour_pages_project: pageList,
          project_transition_settings_project: transitionList,
          project_audio_tracks_project: trackList,
          project_element_defaults_project: elementList,
        };
      },
    },
  };
}
