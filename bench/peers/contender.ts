/**
 * What every contender of the peer benchmark provides: one module per ORM,
 * each exporting `name`, `define(url)` (load and define the models or build
 * the client, opening no connection: what the cold start measures) and
 * `setup(url)` (the same, connected, with the operations).
 *
 * Every contender names relations alike (`tour_pages_project`,
 * `project_memberships_project`, `user`, ...: the package's aliases), so the
 * driver can check all their answers with one set of rules.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImportRow } from '../data';

export type { ImportRow };

/** Connections each contender may open: the same for all, as in the main benchmark. */
export const POOL_SIZE = 4;

export type Environment = 'dev' | 'stage' | 'production';

export interface NewPage {
  id: string;
  name: string;
  slug: string;
  projectId: string;
  ui_schema_json: Record<string, unknown>;
}

export interface Operations {
  /** A project by primary key, not soft-deleted. */
  byPk(id: string): Promise<unknown>;
  /** A project with its production pages (by sort order) and its memberships, each with its user (no secrets). */
  projectWithPagesMembers(id: string): Promise<unknown>;
  /** 100 pages of a project, ordered by name. */
  pagesByName(projectId: string): Promise<unknown[]>;
  insertPage(page: NewPage): Promise<unknown>;
  updatePageName(id: string, name: string): Promise<unknown>;
  softDeletePage(id: string): Promise<unknown>;
  /** The rows in one transaction, 1,000 at a time, skipping those whose importHash is there already. */
  importPages(rows: ImportRow[]): Promise<unknown>;
  /**
   * What a viewer needs to show a project in one environment: the project, its pages
   * in order with their UI schemas, its transition settings, its audio tracks in
   * order and its element defaults in order; soft-deleted rows left out.
   */
  presentation(projectId: string, environment: Environment): Promise<unknown>;
}

export interface Contender {
  name: string;
  ops: Operations;
  /** How this contender reads the presentation, when it is not the usual form. */
  note?: string;
  close(): Promise<void>;
}

export interface ContenderModule {
  name: string;
  file: string;
  define(url: string): unknown;
  setup(url: string): Promise<Contender>;
}

/** The repository's root (where the package's dist/ is), from the source or the compiled file alike. */
export function repositoryRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === '@tbp/models') return dir;
  }
  throw new Error(`no @tbp/models package above ${__dirname}`);
}
