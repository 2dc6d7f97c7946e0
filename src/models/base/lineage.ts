import { type ModelIndexesOptions, Op } from 'sequelize';

/**
 * One active copy per lineage: in the tables that publishing copies (pages,
 * transition settings, audio tracks), at most one live row of a project and
 * environment descends from a given original (`source_key`). Soft-deleted
 * copies and rows made by hand (no `source_key`) are left out, so the index
 * constrains only what publishing writes.
 */
export function lineageIndex(): ModelIndexesOptions {
  // A new object per table: Sequelize writes the index's name into the object it is given.
  return {
    fields: ['projectId', 'environment', 'source_key'],
    unique: true,
    where: { deletedAt: null, source_key: { [Op.ne]: null } },
  };
}
