/**
 * The baseline: node-postgres with hand-written SQL, as someone who knows
 * both would write it. Fixed statements are named, so the server parses and
 * plans each once per connection; nested answers are built by the server as
 * JSON in one round trip.
 */
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { type Contender, type Environment, type ImportRow, POOL_SIZE } from './contender';

export const name = 'raw pg';
/** What a cold start loads. */
export const file = __filename;

export function define(url: string): Pool {
  return new Pool({ connectionString: url, max: POOL_SIZE });
}

const USER_JSON = `to_jsonb(u) - 'password' - 'emailVerificationToken' - 'passwordResetToken'`;

const PROJECT_WITH_PAGES_MEMBERS = `
  SELECT p.*,
    (SELECT coalesce(json_agg(tp ORDER BY tp.sort_order), '[]') FROM tour_pages tp
      WHERE tp."projectId" = p.id AND tp.environment = 'production' AND tp."deletedAt" IS NULL) AS tour_pages_project,
    (SELECT coalesce(jsonb_agg(to_jsonb(m) || jsonb_build_object('user', ${USER_JSON})), '[]')
      FROM project_memberships m LEFT JOIN users u ON u.id = m."userId" AND u."deletedAt" IS NULL
      WHERE m."projectId" = p.id AND m."deletedAt" IS NULL) AS project_memberships_project
  FROM projects p WHERE p.id = $1 AND p."deletedAt" IS NULL`;

// Three enum types share the parameter: it is text, cast to each.
const PRESENTATION = `
  SELECT p.*,
    (SELECT coalesce(json_agg(x ORDER BY x.sort_order), '[]') FROM tour_pages x
      WHERE x."projectId" = p.id AND x.environment = $2::text::enum_tour_pages_environment AND x."deletedAt" IS NULL) AS tour_pages_project,
    (SELECT coalesce(json_agg(x), '[]') FROM project_transition_settings x
      WHERE x."projectId" = p.id AND x.environment = $2::text::enum_project_transition_settings_environment AND x."deletedAt" IS NULL) AS project_transition_settings_project,
    (SELECT coalesce(json_agg(x ORDER BY x.sort_order), '[]') FROM project_audio_tracks x
      WHERE x."projectId" = p.id AND x.environment = $2::text::enum_project_audio_tracks_environment AND x."deletedAt" IS NULL) AS project_audio_tracks_project,
    (SELECT coalesce(json_agg(x ORDER BY x.sort_order), '[]') FROM project_element_defaults x
      WHERE x."projectId" = p.id AND x."deletedAt" IS NULL) AS project_element_defaults_project
  FROM projects p WHERE p.id = $1 AND p."deletedAt" IS NULL`;

const IMPORT_COLUMNS =
  '"id", "name", "slug", "projectId", "environment", "sort_order", "ui_schema_json", "importHash", "createdAt", "updatedAt"';

export async function setup(url: string): Promise<Contender> {
  const pool = define(url);
  const first = async (name: string, text: string, values: unknown[]) =>
    (await pool.query({ name, text, values })).rows[0];
  return {
    name,
    close: () => pool.end(),
    ops: {
      byPk: (id) => first('by_pk', 'SELECT * FROM projects WHERE id = $1 AND "deletedAt" IS NULL', [id]),
      projectWithPagesMembers: (id) => first('with_pages_members', PROJECT_WITH_PAGES_MEMBERS, [id]),
      pagesByName: async (projectId) =>
        (
          await pool.query({
            name: 'pages_by_name',
            text: 'SELECT * FROM tour_pages WHERE "projectId" = $1 AND "deletedAt" IS NULL ORDER BY name LIMIT 100',
            values: [projectId],
          })
        ).rows,
      insertPage: (page) =>
        pool.query({
          name: 'insert_page',
          text: `INSERT INTO tour_pages (id, name, slug, "projectId", ui_schema_json, "createdAt", "updatedAt")
                 VALUES ($1, $2, $3, $4, $5, $6, $6)`,
          values: [page.id, page.name, page.slug, page.projectId, JSON.stringify(page.ui_schema_json), new Date()],
        }),
      updatePageName: (id, name) =>
        pool.query({
          name: 'update_page_name',
          text: 'UPDATE tour_pages SET name = $1, "updatedAt" = $2 WHERE id = $3 AND "deletedAt" IS NULL',
          values: [name, new Date(), id],
        }),
      softDeletePage: (id) =>
        pool.query({
          name: 'soft_delete_page',
          text: 'UPDATE tour_pages SET "deletedAt" = $1 WHERE id = $2 AND "deletedAt" IS NULL',
          values: [new Date(), id],
        }),
      importPages: async (rows: ImportRow[]) => {
        const client = await pool.connect();
        try {
          await client.query('BEGIN');
          let inserted = 0;
          const now = new Date();
          for (let start = 0; start < rows.length; start += 1000) {
            const values: unknown[] = [];
            const tuples = rows.slice(start, start + 1000).map((row) => {
              const at = values.push(
                randomUUID(),
                row.name,
                row.slug,
                row.projectId,
                row.environment,
                row.sort_order,
                JSON.stringify(row.ui_schema_json),
                row.importHash,
                now,
              );
              return `($${at - 8}, $${at - 7}, $${at - 6}, $${at - 5}, $${at - 4}, $${at - 3}, $${at - 2}, $${at - 1}, $${at}, $${at})`;
            });
            const result = await client.query(
              `INSERT INTO tour_pages (${IMPORT_COLUMNS}) VALUES ${tuples.join(', ')} ON CONFLICT ("importHash") DO NOTHING`,
              values,
            );
            inserted += result.rowCount ?? 0;
          }
          await client.query('COMMIT');
          return inserted;
        } catch (error) {
          await client.query('ROLLBACK');
          throw error;
        } finally {
          client.release();
        }
      },
      presentation: (projectId, environment: Environment) =>
        first('presentation', PRESENTATION, [projectId, environment]),
    },
  };
}
