/**
 * Kysely with its PostgreSQL dialect over a pg Pool: typed SQL, nested reads
 * as one query with `jsonArrayFrom` / `jsonObjectFrom` (kysely's documented
 * way to load relations), inserts in batches with `onConflict(...).doNothing()`.
 */
import { randomUUID } from 'node:crypto';
import { Kysely, PostgresDialect } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import { Pool } from 'pg';
import { type Contender, type Environment, type ImportRow, POOL_SIZE } from './contender';
import type { Database } from './schema/kysely';

export const name = 'kysely';
/** What a cold start loads. */
export const file = __filename;

export function define(url: string) {
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new Pool({ connectionString: url, max: POOL_SIZE }) }),
  });
}

const USER_COLUMNS = [
  'u.id',
  'u.importHash',
  'u.createdById',
  'u.updatedById',
  'u.firstName',
  'u.lastName',
  'u.phoneNumber',
  'u.email',
  'u.disabled',
  'u.emailVerified',
  'u.emailVerificationTokenExpiresAt',
  'u.passwordResetTokenExpiresAt',
  'u.provider',
  'u.app_roleId',
  'u.createdAt',
  'u.updatedAt',
  'u.deletedAt',
] as const;

export async function setup(url: string): Promise<Contender> {
  const db = define(url);
  return {
    name,
    close: () => db.destroy(),
    ops: {
      byPk: (id) =>
        db.selectFrom('projects').selectAll().where('id', '=', id).where('deletedAt', 'is', null).executeTakeFirst(),
      projectWithPagesMembers: (id) =>
        db
          .selectFrom('projects as p')
          .selectAll('p')
          .select((eb) => [
            jsonArrayFrom(
              eb
                .selectFrom('tour_pages as tp')
                .selectAll('tp')
                .whereRef('tp.projectId', '=', 'p.id')
                .where('tp.environment', '=', 'production')
                .where('tp.deletedAt', 'is', null)
                .orderBy('tp.sort_order'),
            ).as('tour_pages_project'),
            jsonArrayFrom(
              eb
                .selectFrom('project_memberships as m')
                .selectAll('m')
                .select((inner) => [
                  jsonObjectFrom(
                    inner
                      .selectFrom('users as u')
                      .select(USER_COLUMNS)
                      .whereRef('u.id', '=', 'm.userId')
                      .where('u.deletedAt', 'is', null),
                  ).as('user'),
                ])
                .whereRef('m.projectId', '=', 'p.id')
                .where('m.deletedAt', 'is', null),
            ).as('project_memberships_project'),
          ])
          .where('p.id', '=', id)
          .where('p.deletedAt', 'is', null)
          .executeTakeFirst(),
      pagesByName: (projectId) =>
        db
          .selectFrom('tour_pages')
          .selectAll()
          .where('projectId', '=', projectId)
          .where('deletedAt', 'is', null)
          .orderBy('name')
          .limit(100)
          .execute(),
      insertPage: (page) => {
        const now = new Date();
        return db
          .insertInto('tour_pages')
          .values({ ...page, ui_schema_json: JSON.stringify(page.ui_schema_json), createdAt: now, updatedAt: now })
          .execute();
      },
      updatePageName: (id, name) =>
        db
          .updateTable('tour_pages')
          .set({ name, updatedAt: new Date() })
          .where('id', '=', id)
          .where('deletedAt', 'is', null)
          .executeTakeFirst(),
      softDeletePage: (id) =>
        db
          .updateTable('tour_pages')
          .set({ deletedAt: new Date() })
          .where('id', '=', id)
          .where('deletedAt', 'is', null)
          .executeTakeFirst(),
      importPages: (rows: ImportRow[]) =>
        db.transaction().execute(async (trx) => {
          const now = new Date();
          let inserted = 0n;
          for (let start = 0; start < rows.length; start += 1000) {
            const result = await trx
              .insertInto('tour_pages')
              .values(
                rows.slice(start, start + 1000).map((row) => ({
                  ...row,
                  id: randomUUID(),
                  ui_schema_json: JSON.stringify(row.ui_schema_json),
                  createdAt: now,
                  updatedAt: now,
                })),
              )
              .onConflict((conflict) => conflict.column('importHash').doNothing())
              .executeTakeFirst();
            inserted += result.numInsertedOrUpdatedRows ?? 0n;
          }
          return Number(inserted);
        }),
      presentation: (id, environment: Environment) =>
        db
          .selectFrom('projects as p')
          .selectAll('p')
          .select((eb) => [
            jsonArrayFrom(
              eb
                .selectFrom('tour_pages as x')
                .selectAll('x')
                .whereRef('x.projectId', '=', 'p.id')
                .where('x.environment', '=', environment)
                .where('x.deletedAt', 'is', null)
                .orderBy('x.sort_order'),
            ).as('tour_pages_project'),
            jsonArrayFrom(
              eb
                .selectFrom('project_transition_settings as x')
                .selectAll('x')
                .whereRef('x.projectId', '=', 'p.id')
                .where('x.environment', '=', environment)
                .where('x.deletedAt', 'is', null),
            ).as('project_transition_settings_project'),
            jsonArrayFrom(
              eb
                .selectFrom('project_audio_tracks as x')
                .selectAll('x')
                .whereRef('x.projectId', '=', 'p.id')
                .where('x.environment', '=', environment)
                .where('x.deletedAt', 'is', null)
                .orderBy('x.sort_order'),
            ).as('project_audio_tracks_project'),
            jsonArrayFrom(
              eb
                .selectFrom('project_element_defaults as x')
                .selectAll('x')
                .whereRef('x.projectId', '=', 'p.id')
                .where('x.deletedAt', 'is', null)
                .orderBy('x.sort_order'),
            ).as('project_element_defaults_project'),
          ])
          .where('p.id', '=', id)
          .where('p.deletedAt', 'is', null)
          .executeTakeFirst(),
    },
  };
}
