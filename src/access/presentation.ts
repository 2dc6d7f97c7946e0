import {
  type Attributes,
  DatabaseError,
  QueryTypes,
  type Sequelize,
  ValidationError,
  ValidationErrorItem,
} from 'sequelize';
import { connectionOf, type PgClient, withReadConnection } from '../db/connection';
import { assertUuid, isUuid } from '../db/ids';
import { ENVIRONMENTS, type Environment } from '../models/base/columns';
import { columnsOf } from '../models/base/metadata';
import { fixedStatement } from '../models/base/statements';
import type { ProjectAudioTrack } from '../models/project_audio_tracks';
import type { ProjectElementDefault } from '../models/project_element_defaults';
import type { ProjectMembership } from '../models/project_memberships';
import type { ProjectTransitionSetting } from '../models/project_transition_settings';
import type { ProjectUiControlSetting } from '../models/project_ui_control_settings';
import type { Project } from '../models/projects';
import type { TourPage } from '../models/tour_pages';
import { USER_SECRET_FIELDS, type User, type UserSecretField } from '../models/users';
import { type AccessDb, type AccessQueryOptions, sequelizeOf } from './decisions';
import { pageVisible, presentationVisible, visibilityCtes } from './production-visibility';

/**
 * The platform's two hot reads, each one SQL statement on PostgreSQL: the
 * server builds the whole answer as one JSON value (`json_build_object`, rows as
 * `json_build_array`s in `json_agg` subqueries), so one round trip brings the project and every list,
 * with no rows multiplied by joins and no model instances to build. pg-mem
 * cannot run that statement (no `json_build_object`, no correlated subquery),
 * so in memory the same answer comes from one plain query per table.
 */

export interface ReadOptions extends AccessQueryOptions {
  /**
   * Sends the statement as a named prepared statement, which the server plans
   * once per connection instead of at every call (planning is about half of
   * these reads' time on the server). Off by default: PgBouncer in transaction
   * mode keeps named statements only from 1.21 on, with
   * `max_prepared_statements` set; and the statement goes to the connection
   * directly, without createDb's read retries. Ignored on pg-mem.
   */
  prepared?: boolean | undefined;
}

export interface PresentationOptions extends ReadOptions {
  /**
   * Who is looking, for a production presentation: a user id, or null for an
   * anonymous visitor. Given, the rules of D9 apply: a private presentation
   * its viewer may not see reads as `null`, and pages with `requires_auth` are
   * left out for a visitor who is not signed in (or is disabled). Left out,
   * every page is returned (the editor's and the publisher's view).
   */
  viewer?: string | null | undefined;
}

/** A row as plain data: the model's attributes, dates as `Date`, decimals as numbers. */
export type Row<M extends import('sequelize').Model> = Attributes<M>;

/** A member's user, without its secrets (password, tokens). */
export type MemberUser = Omit<Attributes<User>, UserSecretField>;

export type EditorMember = Attributes<ProjectMembership> & {
  /** Null when the user is soft-deleted. */
  user: MemberUser | null;
};

/** What a viewer of one environment of a project needs, in one read. */
export interface Presentation {
  project: Row<Project>;
  /** The environment's pages by `sort_order`, then `slug`. */
  pages: Row<TourPage>[];
  /** The environment's transition settings (one at most), null where the project has none. */
  transitionSettings: Row<ProjectTransitionSetting> | null;
  /** The environment's overrides of the viewer's controls (one at most), null where the project has none. */
  uiControlSettings: Row<ProjectUiControlSetting> | null;
  /** The environment's audio tracks by `sort_order` (unordered ones last), then `id`. */
  audioTracks: Row<ProjectAudioTrack>[];
  /** The project's element defaults (they have no environment) by `sort_order`, then `element_type`. */
  elementDefaults: Row<ProjectElementDefault>[];
}

/** What the editor shows of a project: its pages of one environment and its members with their users. */
export interface EditorView {
  project: Row<Project>;
  /** The environment's pages by `sort_order`, then `slug`. */
  pages: Row<TourPage>[];
  /** The memberships (active or not) by `createdAt`, then `id`. */
  members: EditorMember[];
}

// ---------------------------------------------------------------------------------------------- the tables

/** How the read gets one table's rows: its columns, and which values need converting back from JSON. */
interface TableShape {
  table: string;
  /** [attribute, quoted column] */
  columns: [string, string][];
  dates: string[];
  decimals: string[];
}

const DATE_TYPES = new Set(['DATE']);
const DECIMAL_TYPES = new Set(['DECIMAL', 'FLOAT', 'DOUBLE', 'REAL']);

function shapeOf(sequelize: Sequelize, modelName: string, leaveOut: readonly string[] = []): TableShape {
  if (!sequelize.isDefined(modelName)) {
    throw new Error(`${modelName} is not a model of this Sequelize instance: register the package's models`);
  }
  const model = sequelize.model(modelName);
  const shape: TableShape = { table: `"${model.getTableName() as string}"`, columns: [], dates: [], decimals: [] };
  for (const [name, column] of columnsOf(model)) {
    if (leaveOut.includes(name)) continue;
    shape.columns.push([name, `"${column.field ?? name}"`]);
    const key = column.type.key ?? '';
    if (DATE_TYPES.has(key)) shape.dates.push(name);
    else if (DECIMAL_TYPES.has(key)) shape.decimals.push(name);
  }
  return shape;
}

/** JSON and drivers give dates as text and decimals as text or numbers: the typed result has Date and number. */
function typed<T>(shape: TableShape, row: Record<string, unknown>): T {
  for (const name of shape.dates) {
    const value = row[name];
    if (value != null && !(value instanceof Date)) row[name] = new Date(value as string);
  }
  for (const name of shape.decimals) {
    const value = row[name];
    if (value != null && typeof value !== 'number') row[name] = Number(value);
  }
  return row as T;
}

/**
 * A row as a JSON array of its columns in the shape's order (`extra`, if any, last): the server writes no
 * keys, and `rowOf` names the values again. Some 20% less of the server's time than `json_build_object`.
 */
function jsonRow(shape: TableShape, alias: string, extra = ''): string {
  return `json_build_array(${shape.columns.map(([, column]) => `${alias}.${column}`).join(', ')}${extra})`;
}

/** A row of `jsonRow` as an object of the shape's attributes, typed. */
function rowOf<T>(shape: TableShape, values: unknown[]): T {
  const row: Record<string, unknown> = {};
  const { columns } = shape;
  for (let i = 0; i < columns.length; i += 1) row[(columns[i] as [string, string])[0]] = values[i];
  return typed<T>(shape, row);
}

function columnList(shape: TableShape, alias: string): string {
  return shape.columns.map(([name, column]) => `${alias}.${column} AS "${name}"`).join(', ');
}

const ORDER = {
  pages: (x: string) => `${x}.sort_order, ${x}.slug`,
  audioTracks: (x: string) => `${x}.sort_order, ${x}.id`,
  elementDefaults: (x: string) => `${x}.sort_order, ${x}.element_type`,
  members: (x: string) => `${x}."createdAt", ${x}.id`,
};

interface Shapes {
  projects: TableShape;
  pages: TableShape;
  transitions: TableShape;
  uiControls: TableShape;
  audioTracks: TableShape;
  elementDefaults: TableShape;
  memberships: TableShape;
  users: TableShape;
}

/** Per Sequelize instance (their models may differ), the shapes and the statements built from them. */
const prepared = new WeakMap<Sequelize, { shapes: Shapes; sql: Map<string, string> }>();

function preparedFor(sequelize: Sequelize) {
  let entry = prepared.get(sequelize);
  if (!entry) {
    entry = {
      shapes: {
        projects: shapeOf(sequelize, 'projects'),
        pages: shapeOf(sequelize, 'tour_pages'),
        transitions: shapeOf(sequelize, 'project_transition_settings'),
        uiControls: shapeOf(sequelize, 'project_ui_control_settings'),
        audioTracks: shapeOf(sequelize, 'project_audio_tracks'),
        elementDefaults: shapeOf(sequelize, 'project_element_defaults'),
        memberships: shapeOf(sequelize, 'project_memberships'),
        // The secrets are never selected, so no path can let them out.
        users: shapeOf(sequelize, 'users', USER_SECRET_FIELDS),
      },
      sql: new Map(),
    };
    prepared.set(sequelize, entry);
  }
  return entry;
}

function cached(sequelize: Sequelize, key: string, build: (shapes: Shapes) => string): string {
  const entry = preparedFor(sequelize);
  let sql = entry.sql.get(key);
  if (sql === undefined) {
    sql = build(entry.shapes);
    // Named: with createDb's `preparedStatements`, every call sends it as a prepared statement.
    fixedStatement(sql);
    entry.sql.set(key, sql);
  }
  return sql;
}

// ---------------------------------------------------------------------------------------------- arguments

function invalid(field: string, message: string): ValidationError {
  return new ValidationError(message, [
    // The value itself stays out of the error: ids come from URLs and headers.
    new ValidationErrorItem(message, 'validation error', field, '', null as never, 'argument', 'argument', []),
  ]);
}

/** Which column finds the project: a UUID is an id, anything else a slug. */
function projectKey(projectIdOrSlug: unknown): 'id' | 'slug' {
  if (typeof projectIdOrSlug !== 'string' || projectIdOrSlug === '') {
    throw invalid('projectIdOrSlug', 'projectIdOrSlug must be a project id (UUID) or slug');
  }
  return isUuid(projectIdOrSlug) ? 'id' : 'slug';
}

function checkEnvironment(environment: unknown): asserts environment is Environment {
  if (!ENVIRONMENTS.includes(environment as Environment)) {
    throw invalid('environment', `environment must be one of: ${ENVIRONMENTS.join(', ')}`);
  }
}

function checkViewer(environment: Environment, viewer: unknown): void {
  if (viewer === undefined) return;
  if (environment !== 'production') {
    // The rules of D9 are about production; dev and stage content is for members, whom can() decides on.
    throw invalid('viewer', 'viewer applies to the production presentation only: check access to dev and stage first');
  }
  if (viewer !== null) assertUuid('viewer', viewer);
}

function inMemory(sequelize: Sequelize): boolean {
  return Boolean((sequelize as { memory?: unknown }).memory);
}

function queryOptions(options: AccessQueryOptions, bind: unknown[]) {
  return {
    bind,
    type: QueryTypes.SELECT,
    raw: true,
    transaction: options.transaction ?? null,
    ...(options.useMaster === undefined ? {} : { useMaster: options.useMaster }),
  } as const;
}

// ---------------------------------------------------------------------------------------------- one statement

/** A list of rows of `shape` (each a `jsonRow`) as a JSON array, `[]` when there is none. */
function jsonList(shape: TableShape, where: string, order: string, extra = ''): string {
  return `coalesce((SELECT json_agg(${jsonRow(shape, 'x', extra)} ORDER BY ${order}) FROM ${shape.table} x WHERE ${where}), '[]'::json)`;
}

/** The one row of `shape` as a `jsonRow`, NULL when there is none. */
function jsonOne(shape: TableShape, where: string): string {
  return `(SELECT ${jsonRow(shape, 'x')} FROM ${shape.table} x WHERE ${where} LIMIT 1)`;
}

const ALIVE = (x: string) => `${x}."deletedAt" IS NULL`;

/**
 * The environment, written into the statement: one of three known values (checked before), so a statement
 * per environment. With a parameter for it, the server's estimate for a generic plan is worse than for a
 * plan of the actual value, and a prepared statement would be planned again at every call.
 */
function environmentLiteral(environment: Environment): string {
  checkEnvironment(environment);
  return `'${environment}'`;
}

/** The live rows of `x` of the project `p` in `environment`. */
function inProjectEnvironment(x: string, environment: Environment): string {
  return `${x}."projectId" = p.id AND ${x}.environment = ${environmentLiteral(environment)} AND ${ALIVE(x)}`;
}

// Parameters: $1 the project's id or slug, $2 the viewer.
function presentationSql(key: 'id' | 'slug', environment: Environment, withViewer: boolean) {
  return (s: Shapes) => {
    const inProject = (x: string) => inProjectEnvironment(x, environment);
    const pageWhere = `${inProject('x')}${withViewer ? ` AND ${pageVisible('x', 'p')}` : ''}`;
    const body = `json_build_object(
  'project', ${jsonRow(s.projects, 'p')},
  'pages', ${jsonList(s.pages, pageWhere, ORDER.pages('x'))},
  'transitionSettings', ${jsonOne(s.transitions, inProject('x'))},
  'uiControlSettings', ${jsonOne(s.uiControls, inProject('x'))},
  'audioTracks', ${jsonList(s.audioTracks, inProject('x'), ORDER.audioTracks('x'))},
  'elementDefaults', ${jsonList(s.elementDefaults, `x."projectId" = p.id AND ${ALIVE('x')}`, ORDER.elementDefaults('x'))}
) AS answer`;
    const project = `SELECT * FROM ${s.projects.table} WHERE "${key}" = $1 AND "deletedAt" IS NULL`;
    if (!withViewer) return `SELECT ${body} FROM (${project}) p`;
    return `WITH project AS (${project}), ${visibilityCtes('SELECT id FROM project', '$2')}
SELECT ${body} FROM project p WHERE ${presentationVisible('p')}`;
  };
}

// Parameters: $1 the project's id or slug.
function editorSql(key: 'id' | 'slug', environment: Environment) {
  return (s: Shapes) => {
    // Each member's user by its key (an index lookup a member; a join read every user here), last in the row.
    const user = `(SELECT ${jsonRow(s.users, 'u')} FROM ${s.users.table} u WHERE u.id = x."userId" AND ${ALIVE('u')})`;
    const members = jsonList(s.memberships, `x."projectId" = p.id AND ${ALIVE('x')}`, ORDER.members('x'), `, ${user}`);
    return `SELECT json_build_object(
  'project', ${jsonRow(s.projects, 'p')},
  'pages', ${jsonList(s.pages, inProjectEnvironment('x', environment), ORDER.pages('x'))},
  'members', ${members}
) AS answer
FROM ${s.projects.table} p WHERE p."${key}" = $1 AND ${ALIVE('p')}`;
  };
}

/** How an answer's rows read: `jsonRow` arrays from the one statement, objects from pg-mem's queries. */
type RowReader = <T>(shape: TableShape, row: unknown) => T;
const fromArray: RowReader = (shape, row) => rowOf(shape, row as unknown[]);
const fromObject: RowReader = (shape, row) => typed(shape, row as Record<string, unknown>);

function presentationOf(shapes: Shapes, answer: Record<string, unknown>, read: RowReader): Presentation {
  const list = (shape: TableShape, rows: unknown) => (rows as unknown[]).map((row) => read(shape, row));
  const one = (shape: TableShape, row: unknown) => (row ? read(shape, row) : null);
  return {
    project: read(shapes.projects, answer.project),
    pages: list(shapes.pages, answer.pages),
    transitionSettings: one(shapes.transitions, answer.transitionSettings),
    uiControlSettings: one(shapes.uiControls, answer.uiControlSettings),
    audioTracks: list(shapes.audioTracks, answer.audioTracks),
    elementDefaults: list(shapes.elementDefaults, answer.elementDefaults),
  } as Presentation;
}

function editorViewOf(shapes: Shapes, answer: Record<string, unknown>, read: RowReader): EditorView {
  // A member's `jsonRow` ends with its user's (or null).
  const userAt = shapes.memberships.columns.length;
  return {
    project: read(shapes.projects, answer.project),
    pages: (answer.pages as unknown[]).map((row) => read(shapes.pages, row)),
    members: (answer.members as unknown[]).map((row) => {
      const member = read<EditorMember>(shapes.memberships, row);
      const user = Array.isArray(row) ? row[userAt] : member.user;
      member.user = user ? read<MemberUser>(shapes.users, user) : null;
      return member;
    }),
  } as EditorView;
}

async function oneAnswer(
  sequelize: Sequelize,
  sql: string,
  bind: unknown[],
  options: ReadOptions,
): Promise<Record<string, unknown> | null> {
  if (options.prepared) return preparedAnswer(sequelize, sql, bind, options);
  const rows = (await sequelize.query(sql, queryOptions(options, bind))) as { answer: Record<string, unknown> }[];
  return rows[0]?.answer ?? null;
}

/**
 * The statement through the connection itself, named after its text (so one
 * name never stands for two texts): the transaction's connection, or one of
 * the pool's, for a read as Sequelize picks it (a replica unless `useMaster`).
 */
async function preparedAnswer(
  sequelize: Sequelize,
  sql: string,
  bind: unknown[],
  options: ReadOptions,
): Promise<Record<string, unknown> | null> {
  const name = fixedStatement(sql);
  const run = async (client: PgClient) => {
    const { logging } = (sequelize as unknown as { options: { logging?: unknown } }).options;
    if (typeof logging === 'function') logging(`Executing (prepared ${name}): ${sql}`);
    try {
      const { rows } = (await client.query({ name, text: sql, values: bind })) as { rows: unknown[] };
      return (rows[0] as { answer?: Record<string, unknown> } | undefined)?.answer ?? null;
    } catch (error) {
      throw new DatabaseError(Object.assign(error as Error, { sql, parameters: bind }) as never);
    }
  };
  const inTransaction = connectionOf(options.transaction);
  return inTransaction ? run(inTransaction) : withReadConnection(sequelize, options.useMaster ?? false, run);
}

// ---------------------------------------------------------------------------------------------- query per table

async function select(
  sequelize: Sequelize,
  sql: string,
  bind: unknown[],
  options: AccessQueryOptions,
): Promise<Record<string, unknown>[]> {
  return (await sequelize.query(sql, queryOptions(options, bind))) as Record<string, unknown>[];
}

function selectFrom(shape: TableShape, where: string, order?: string): string {
  return `SELECT ${columnList(shape, 'x')} FROM ${shape.table} x WHERE ${where}${order ? ` ORDER BY ${order}` : ''}`;
}

/** The project row, and, with a viewer, whether they may see the presentation. */
async function projectByQueries(
  sequelize: Sequelize,
  shapes: Shapes,
  key: 'id' | 'slug',
  projectIdOrSlug: string,
  viewer: string | null | undefined,
  options: AccessQueryOptions,
): Promise<Record<string, unknown> | undefined> {
  const where = `x."${key}" = $1 AND ${ALIVE('x')}`;
  if (viewer === undefined)
    return (await select(sequelize, selectFrom(shapes.projects, where), [projectIdOrSlug], options))[0];
  const sql = `WITH project AS (SELECT * FROM ${shapes.projects.table} WHERE "${key}" = $1 AND "deletedAt" IS NULL), ${visibilityCtes('SELECT id FROM project', '$2')}
SELECT ${columnList(shapes.projects, 'p')} FROM project p WHERE ${presentationVisible('p')}`;
  return (await select(sequelize, sql, [projectIdOrSlug, viewer], options))[0];
}

function pagesByQueries(
  sequelize: Sequelize,
  shapes: Shapes,
  projectId: string,
  environment: Environment,
  viewer: string | null | undefined,
  options: AccessQueryOptions,
) {
  const where = `x."projectId" = $1 AND x.environment = $2 AND ${ALIVE('x')}`;
  if (viewer === undefined) {
    return select(sequelize, selectFrom(shapes.pages, where, ORDER.pages('x')), [projectId, environment], options);
  }
  const sql = `WITH ${visibilityCtes('$1', '$3')}
SELECT ${columnList(shapes.pages, 'x')} FROM ${shapes.pages.table} x JOIN ${shapes.projects.table} p ON p.id = x."projectId"
  WHERE ${where} AND ${pageVisible('x', 'p')} ORDER BY ${ORDER.pages('x')}`;
  return select(sequelize, sql, [projectId, environment, viewer], options);
}

/** @internal The presentation from one query per table (pg-mem's path; on PostgreSQL, tests compare it with the one statement). */
export async function presentationByQueries(
  sequelize: Sequelize,
  projectIdOrSlug: string,
  environment: Environment,
  options: PresentationOptions,
): Promise<Presentation | null> {
  const { shapes } = preparedFor(sequelize);
  const project = await projectByQueries(
    sequelize,
    shapes,
    projectKey(projectIdOrSlug),
    projectIdOrSlug,
    options.viewer,
    options,
  );
  if (!project) return null;
  const id = project.id as string;
  const inEnvironment = `x."projectId" = $1 AND x.environment = $2 AND ${ALIVE('x')}`;
  const pages = await pagesByQueries(sequelize, shapes, id, environment, options.viewer, options);
  const [transition] = await select(
    sequelize,
    selectFrom(shapes.transitions, inEnvironment),
    [id, environment],
    options,
  );
  const [uiControls] = await select(
    sequelize,
    selectFrom(shapes.uiControls, inEnvironment),
    [id, environment],
    options,
  );
  const audioTracks = await select(
    sequelize,
    selectFrom(shapes.audioTracks, inEnvironment, ORDER.audioTracks('x')),
    [id, environment],
    options,
  );
  const elementDefaults = await select(
    sequelize,
    selectFrom(shapes.elementDefaults, `x."projectId" = $1 AND ${ALIVE('x')}`, ORDER.elementDefaults('x')),
    [id],
    options,
  );
  return presentationOf(
    shapes,
    {
      project,
      pages,
      transitionSettings: transition ?? null,
      uiControlSettings: uiControls ?? null,
      audioTracks,
      elementDefaults,
    },
    fromObject,
  );
}

/** @internal The editor's view from one query per table (pg-mem's path). */
export async function editorViewByQueries(
  sequelize: Sequelize,
  projectIdOrSlug: string,
  environment: Environment,
  options: AccessQueryOptions,
): Promise<EditorView | null> {
  const { shapes } = preparedFor(sequelize);
  const key = projectKey(projectIdOrSlug);
  const [project] = await select(
    sequelize,
    selectFrom(shapes.projects, `x."${key}" = $1 AND ${ALIVE('x')}`),
    [projectIdOrSlug],
    options,
  );
  if (!project) return null;
  const id = project.id as string;
  const pages = await pagesByQueries(sequelize, shapes, id, environment, undefined, options);
  const members = await select(
    sequelize,
    selectFrom(shapes.memberships, `x."projectId" = $1 AND ${ALIVE('x')}`, ORDER.members('x')),
    [id],
    options,
  );
  const userIds = [...new Set(members.map((member) => member.userId).filter((userId) => userId != null))];
  const users = new Map<unknown, Record<string, unknown>>();
  if (userIds.length > 0) {
    const placeholders = userIds.map((_, i) => `$${i + 1}`).join(', ');
    const rows = await select(
      sequelize,
      selectFrom(shapes.users, `x.id IN (${placeholders}) AND ${ALIVE('x')}`),
      userIds,
      options,
    );
    for (const row of rows) users.set(row.id, row);
  }
  for (const member of members) member.user = users.get(member.userId) ?? null;
  return editorViewOf(shapes, { project, pages, members }, fromObject);
}

// ---------------------------------------------------------------------------------------------- the reads

/**
 * A project's presentation of one environment, in one SQL statement: the
 * project's fields, its pages in order with their UI schemas, the
 * environment's transition and control settings and audio tracks, and the
 * project's element defaults; soft-deleted rows left out. `projectIdOrSlug` is
 * an id when it is a UUID, a slug otherwise. Resolves to null when there is no
 * such project, or (with `options.viewer`) when the viewer may not see its
 * presentation.
 *
 *     const shown = await loadPresentation(db, 'my-tour', 'production', { viewer: req.user?.id ?? null });
 *     if (!shown) return res.sendStatus(404);
 */
export async function loadPresentation(
  db: AccessDb,
  projectIdOrSlug: string,
  environment: Environment,
  options: PresentationOptions = {},
): Promise<Presentation | null> {
  const key = projectKey(projectIdOrSlug);
  checkEnvironment(environment);
  checkViewer(environment, options.viewer);
  const sequelize = sequelizeOf(db);
  if (inMemory(sequelize)) return presentationByQueries(sequelize, projectIdOrSlug, environment, options);
  const withViewer = options.viewer !== undefined;
  const sql = cached(
    sequelize,
    `presentation:${key}:${environment}:${withViewer}`,
    presentationSql(key, environment, withViewer),
  );
  const bind: unknown[] = withViewer ? [projectIdOrSlug, options.viewer] : [projectIdOrSlug];
  const answer = await oneAnswer(sequelize, sql, bind, options);
  return answer ? presentationOf(preparedFor(sequelize).shapes, answer, fromArray) : null;
}

/**
 * The editor's read of a project, in one SQL statement: the project's fields,
 * its pages of `environment` in order, and its memberships (active or not)
 * with their users, whose secrets are never selected. Soft-deleted rows are
 * left out (a member whose user is deleted has `user: null`). Resolves to null
 * when there is no such project.
 */
export async function loadEditorView(
  db: AccessDb,
  projectIdOrSlug: string,
  environment: Environment,
  options: ReadOptions = {},
): Promise<EditorView | null> {
  const key = projectKey(projectIdOrSlug);
  checkEnvironment(environment);
  const sequelize = sequelizeOf(db);
  if (inMemory(sequelize)) return editorViewByQueries(sequelize, projectIdOrSlug, environment, options);
  const sql = cached(sequelize, `editor:${key}:${environment}`, editorSql(key, environment));
  const answer = await oneAnswer(sequelize, sql, [projectIdOrSlug], options);
  return answer ? editorViewOf(preparedFor(sequelize).shapes, answer, fromArray) : null;
}
