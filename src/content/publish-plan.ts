import type { Environment } from '../models/base/columns';
import { type CopiedTable, duplicateLineage, lineageOf, type Row } from './publish-tables';

/** Why a row of the target goes. */
export type RemoveReason = 'original gone' | 'duplicate copy' | 'not a copy';

/**
 * What a publish does to one table, row by row. The rules, which the
 * set-based SQL of `publish-sql.ts` follows too:
 * - each live source row is copied once, under its lineage (`source_key`,
 *   or its own id for an original); two sources of one lineage are refused;
 * - in the target, the copy of a lineage is the live one, else the most
 *   recently updated (then lowest id) soft-deleted one, which is restored;
 * - every other target row goes for good: copies whose original is gone,
 *   further copies of one lineage, rows made by hand in the target.
 */
export interface CopyPlan {
  create: Row[];
  update: { source: Row; target: Row }[];
  remove: { target: Row; reason: RemoveReason }[];
}

function time(value: unknown): number {
  return value instanceof Date ? value.getTime() : new Date(value as string).getTime();
}

/** The target rows of one lineage, the one to keep first. */
function keeperFirst(a: Row, b: Row): number {
  const live = Number(b.deletedAt == null) - Number(a.deletedAt == null);
  if (live !== 0) return live;
  const updated = time(b.updatedAt) - time(a.updatedAt);
  if (updated !== 0) return updated;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function planCopy(table: CopiedTable, from: Environment, sources: Row[], targets: Row[]): CopyPlan {
  const sourcesByLineage = new Map<string, Row>();
  for (const source of sources) {
    const lineage = lineageOf(source);
    if (sourcesByLineage.has(lineage)) throw duplicateLineage(table, from);
    sourcesByLineage.set(lineage, source);
  }
  const plan: CopyPlan = { create: [], update: [], remove: [] };
  const copies = new Map<string, Row[]>();
  for (const target of targets) {
    if (target.source_key === null) plan.remove.push({ target, reason: 'not a copy' });
    else if (!sourcesByLineage.has(target.source_key)) plan.remove.push({ target, reason: 'original gone' });
    else copies.set(target.source_key, [...(copies.get(target.source_key) ?? []), target]);
  }
  for (const [lineage, source] of sourcesByLineage) {
    const [keeper, ...others] = (copies.get(lineage) ?? []).sort(keeperFirst);
    if (keeper) plan.update.push({ source, target: keeper });
    else plan.create.push(source);
    for (const target of others) plan.remove.push({ target, reason: 'duplicate copy' });
  }
  return plan;
}

/** Equal as stored: documents by value whatever their key order, numbers however the driver returns them. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return false;
  if (typeof a === 'object' && typeof b === 'object') return canonical(a) === canonical(b);
  if (typeof a === 'number' || typeof b === 'number') return Number(a) === Number(b);
  return false;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_, item) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : item,
  );
}
