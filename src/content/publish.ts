import type { Transaction } from 'sequelize';
import { assertOptionalUuid, assertUuid } from '../db/arguments';
import type { Db } from '../db/create-db';
import type { Environment } from '../models/base/columns';
import type { PublishEvent } from '../models/publish_events';

/** The steps content takes: save to stage (dev -> stage), publish (stage -> production). */
export const PUBLISH_STEPS = [
  { from: 'dev', to: 'stage', title: 'Save to stage' },
  { from: 'stage', to: 'production', title: 'Publish' },
] as const satisfies readonly { from: Environment; to: Environment; title: string }[];

/** Raised for a publish that cannot start (an unknown step, a missing project); a failed copy is recorded instead. */
export class PublishError extends Error {
  override name = 'PublishError';
}

export interface PublishOptions {
  /** Who publishes: the event's `userId` and the copies' `createdById`/`updatedById`. */
  userId?: string | null;
  /** The event's description. */
  description?: string;
}

export interface PublishResult {
  event: PublishEvent;
  pagesCopied: number;
  transitionsCopied: number;
  audiosCopied: number;
}

/** The columns a copy takes from its source: everything but identity, lineage, environment and audit. */
const NOT_COPIED = new Set([
  'id',
  'environment',
  'source_key',
  'importHash',
  'createdAt',
  'updatedAt',
  'deletedAt',
  'createdById',
  'updatedById',
]);

interface CopyableRow {
  id: string;
  source_key: string | null;
  get(options: { plain: true }): Record<string, unknown>;
}

interface CopyableModel {
  findAll(options: object): Promise<CopyableRow[]>;
  create(values: object, options: object): Promise<unknown>;
  update(values: object, options: object): Promise<unknown>;
  destroy(options: object): Promise<unknown>;
  restore(options: object): Promise<unknown>;
}

/** A row's lineage: the id of the dev original it descends from. */
function lineageOf(row: CopyableRow): string {
  return row.source_key ?? row.id;
}

/**
 * Makes `to` hold a copy of every `from` row of one model: a row whose
 * lineage is already there is updated (restored first if it was deleted), a
 * new one is created, and a copy whose original is gone is removed. Returns
 * how many rows were copied.
 */
async function mirror(
  model: CopyableModel,
  projectId: string,
  from: Environment,
  to: Environment,
  userId: string | null,
  transaction: Transaction,
): Promise<number> {
  const sources = await model.findAll({ where: { projectId, environment: from }, transaction });
  const targets = await model.findAll({ where: { projectId, environment: to }, paranoid: false, transaction });
  const targetsByLineage = new Map(targets.map((target) => [lineageOf(target), target]));
  const lineages = new Set(sources.map(lineageOf));

  const stale = targets.filter((target) => !lineages.has(lineageOf(target))).map((target) => target.id);
  // Copies are derived data: a copy whose original is gone is removed outright, so its unique keys are free again.
  if (stale.length > 0) await model.destroy({ where: { id: stale }, force: true, transaction });

  const copies = sources.map((source) => ({
    lineage: lineageOf(source),
    values: Object.fromEntries(Object.entries(source.get({ plain: true })).filter(([key]) => !NOT_COPIED.has(key))),
    existing: targetsByLineage.get(lineageOf(source)) as (CopyableRow & { slug?: unknown }) | undefined,
  }));

  // Slugs are unique per project and environment, and two pages may have swapped theirs since the last
  // publish: copies whose slug changes first move aside to a placeholder, then take their new slug.
  for (const { values, existing } of copies) {
    if (existing && values.slug !== undefined && existing.slug !== values.slug) {
      await model.update(
        { slug: `publishing-${existing.id}` },
        { where: { id: existing.id }, paranoid: false, transaction },
      );
    }
  }

  for (const { lineage, values, existing } of copies) {
    if (existing) {
      await model.restore({ where: { id: existing.id }, transaction });
      await model.update({ ...values, updatedById: userId }, { where: { id: existing.id }, transaction });
    } else {
      await model.create(
        { ...values, environment: to, source_key: lineage, createdById: userId, updatedById: userId },
        { transaction },
      );
    }
  }
  return sources.length;
}

/**
 * Copies a project's pages, transition settings and audio tracks from one
 * environment to the next (dev -> stage, stage -> production) in one
 * transaction, keeping `source_key` lineage, and records a `publish_events`
 * row with the counts. Publishing again updates the copies instead of
 * duplicating them. A failed copy leaves the target as it was and records
 * `status: 'failed'` with the error, which is then rethrown.
 */
export async function publishEnvironment(
  db: Db,
  projectId: string,
  from: Environment,
  to: Environment,
  options: PublishOptions = {},
): Promise<PublishResult> {
  assertUuid(projectId, 'projectId');
  assertOptionalUuid(options.userId, 'options.userId');
  const step = PUBLISH_STEPS.find((candidate) => candidate.from === from && candidate.to === to);
  if (!step) {
    const steps = PUBLISH_STEPS.map((candidate) => `${candidate.from} -> ${candidate.to}`).join(', ');
    throw new PublishError(`Cannot publish ${from} -> ${to}: the steps are ${steps}`);
  }
  if (!(await db.projects.findByPk(projectId, { attributes: ['id'] }))) {
    throw new PublishError(`No project with id ${projectId}`);
  }
  const userId = options.userId ?? null;
  const event = await db.publish_events.create({
    title: step.title,
    description: options.description ?? null,
    from_environment: from,
    to_environment: to,
    status: 'running',
    started_at: new Date(),
    projectId,
    userId,
    createdById: userId,
  });

  try {
    const counts = await db.sequelize.transaction(async (transaction) => ({
      pagesCopied: await mirror(db.tour_pages as never, projectId, from, to, userId, transaction),
      transitionsCopied: await mirror(
        db.project_transition_settings as never,
        projectId,
        from,
        to,
        userId,
        transaction,
      ),
      audiosCopied: await mirror(db.project_audio_tracks as never, projectId, from, to, userId, transaction),
    }));
    await event.update({
      status: 'success',
      finished_at: new Date(),
      pages_copied: counts.pagesCopied,
      transitions_copied: counts.transitionsCopied,
      audios_copied: counts.audiosCopied,
    });
    return { event, ...counts };
  } catch (error) {
    await event.update({
      status: 'failed',
      finished_at: new Date(),
      error_message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    throw error;
  }
}
