/**
 * drizzle-orm over node-postgres: relational queries (`db.query...findFirst`
 * with `with`) for the nested reads, the query builder for writes, and the
 * reads prepared once (`.prepare(name)` with placeholders), as drizzle's
 * performance guide has it. Writes are not prepared: the schema's `$defaultFn`
 * and `$onUpdateFn` timestamps are taken when a query is built.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { Pool } from 'pg';
import { type Contender, type Environment, type ImportRow, POOL_SIZE } from './contender';
import * as schema from './schema/drizzle';

export const name = 'drizzle';
/** What a cold start loads. */
export const file = __filename;

export function define(url: string) {
  return drizzle({ client: new Pool({ connectionString: url, max: POOL_SIZE }), schema });
}

const { projects, tour_pages } = schema;
const noSecrets = { password: false, emailVerificationToken: false, passwordResetToken: false } as const;

export async function setup(url: string): Promise<Contender> {
  const db = define(url);
  const byPk = db.query.projects
    .findFirst({ where: and(eq(projects.id, sql.placeholder('id')), isNull(projects.deletedAt)) })
    .prepare('drizzle_by_pk');
  const withPagesMembers = db.query.projects
    .findFirst({
      where: and(eq(projects.id, sql.placeholder('id')), isNull(projects.deletedAt)),
      with: {
        tour_pages_project: {
          where: (page, { and, eq, isNull }) => and(eq(page.environment, 'production'), isNull(page.deletedAt)),
          orderBy: (page, { asc }) => [asc(page.sort_order)],
        },
        project_memberships_project: {
          where: (membership, { isNull }) => isNull(membership.deletedAt),
          with: { user: { columns: noSecrets } },
        },
      },
    })
    .prepare('drizzle_with_pages_members');
  const pagesByName = db.query.tour_pages
    .findMany({
      where: and(eq(tour_pages.projectId, sql.placeholder('projectId')), isNull(tour_pages.deletedAt)),
      orderBy: (page, { asc }) => [asc(page.name)],
      limit: 100,
    })
    .prepare('drizzle_pages_by_name');
  const environment = sql.placeholder('environment');
  const presentation = db.query.projects
    .findFirst({
      where: and(eq(projects.id, sql.placeholder('id')), isNull(projects.deletedAt)),
      with: {
        tour_pages_project: {
          where: (page, { and, eq, isNull }) => and(eq(page.environment, environment), isNull(page.deletedAt)),
          orderBy: (page, { asc }) => [asc(page.sort_order)],
        },
        project_transition_settings_project: {
          where: (setting, { and, eq, isNull }) => and(eq(setting.environment, environment), isNull(setting.deletedAt)),
        },
        project_audio_tracks_project: {
          where: (track, { and, eq, isNull }) => and(eq(track.environment, environment), isNull(track.deletedAt)),
          orderBy: (track, { asc }) => [asc(track.sort_order)],
        },
        project_element_defaults_project: {
          where: (element, { isNull }) => isNull(element.deletedAt),
          orderBy: (element, { asc }) => [asc(element.sort_order)],
        },
      },
    })
    .prepare('drizzle_presentation');
  return {
    name,
    close: () => db.$client.end(),
    ops: {
      byPk: (id) => byPk.execute({ id }),
      projectWithPagesMembers: (id) => withPagesMembers.execute({ id }),
      pagesByName: (projectId) => pagesByName.execute({ projectId }),
      insertPage: (page) => db.insert(tour_pages).values(page),
      updatePageName: (id, name) =>
        db
          .update(tour_pages)
          .set({ name })
          .where(and(eq(tour_pages.id, id), isNull(tour_pages.deletedAt))),
      softDeletePage: (id) =>
        db
          .update(tour_pages)
          .set({ deletedAt: new Date() })
          .where(and(eq(tour_pages.id, id), isNull(tour_pages.deletedAt))),
      importPages: (rows: ImportRow[]) =>
        db.transaction(async (tx) => {
          let inserted = 0;
          for (let start = 0; start < rows.length; start += 1000) {
            const result = await tx
              .insert(tour_pages)
              .values(rows.slice(start, start + 1000))
              .onConflictDoNothing({ target: tour_pages.importHash });
            inserted += result.rowCount ?? 0;
          }
          return inserted;
        }),
      presentation: (id, env: Environment) => presentation.execute({ id, environment: env }),
    },
  };
}
