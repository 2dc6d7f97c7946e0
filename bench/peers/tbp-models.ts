/**
 * The package, as built in dist/ (`npm run build`), used as its README says:
 * `createDb`, the models' own calls, `importRows` for the import, and its fast
 * reads (README, "Fast reads"): lean `raw: true` reads for the project by key
 * and the 100 pages, `loadEditorView` for the project with its production
 * pages and members, `loadPresentation` for the presentation when the build
 * has them, both as prepared statements (as raw pg's and drizzle's are).
 */
import { join } from 'node:path';
import type * as Package from '../../dist';
import { type Contender, type Environment, POOL_SIZE, repositoryRoot } from './contender';
import { type SequelizeModels, sequelizeOperations } from './sequelize-ops';

export const name = '@tbp/models';
/** What a cold start loads. */
export const file = __filename;

const tbp = require(join(repositoryRoot(), 'dist')) as typeof Package;

export function define(url: string): Package.Db {
  // Named prepared statements for its fixed statements (README, Fast reads), as drizzle's and raw pg's reads are.
  return tbp.createDb({ url, logging: false, preparedStatements: true, sequelize: { pool: { max: POOL_SIZE } } });
}

type LoadPresentation = (db: Package.Db, ...args: unknown[]) => Promise<unknown>;
type EditorView = { project: object; pages: unknown[]; members: unknown[] } | null;
type LoadEditorView = (
  db: Package.Db,
  projectId: string,
  environment: Environment,
  options?: { prepared?: boolean },
) => Promise<EditorView>;

export function setup(url: string): Promise<Contender> {
  return build(url, true);
}

/** The same, reading the presentation with includes even where the build has loadPresentation. */
export function setupWithoutLoadPresentation(url: string): Promise<Contender> {
  return build(url, false);
}

async function build(url: string, useLoadPresentation: boolean): Promise<Contender> {
  const db = define(url);
  const ops = sequelizeOperations(db as unknown as SequelizeModels, (rows) => tbp.importRows(db.tour_pages, rows));
  const contender: Contender = { name, ops, close: () => db.sequelize.close() };
  // Lean reads: plain rows, no model instances.
  ops.byPk = (id) => db.projects.findByPk(id, { raw: true });
  ops.pagesByName = (projectId) =>
    db.tour_pages.findAll({ where: { projectId }, order: [['name', 'ASC']], limit: 100, raw: true });
  const loadView = (tbp as unknown as { loadEditorView?: LoadEditorView }).loadEditorView;
  if (useLoadPresentation && typeof loadView === 'function') {
    // The same lists under the aliases the checks read.
    ops.projectWithPagesMembers = async (id) => {
      const view = await loadView(db, id, 'production', { prepared: true });
      return view && { ...view.project, tour_pages_project: view.pages, project_memberships_project: view.members };
    };
  }
  // Another change adds loadPresentation; until a build has it, the include above stands in.
  const load = (tbp as unknown as { loadPresentation?: LoadPresentation }).loadPresentation;
  if (useLoadPresentation && typeof load === 'function') {
    ops.presentation =
      load.length >= 3
        ? (projectId: string, environment: Environment) => load(db, projectId, environment, { prepared: true })
        : (projectId: string, environment: Environment) => load(db, { projectId, environment });
    contender.note = 'loadPresentation';
  } else {
    contender.note = `findOne with four separate includes (${typeof load === 'function' ? 'loadPresentation did not pass the checks' : 'this build has no loadPresentation'})`;
  }
  return contender;
}
