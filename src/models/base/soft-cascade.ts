import { Op, type Transaction, type WhereOptions } from 'sequelize';
import type { Model, ModelCtor } from 'sequelize-typescript';
import { actorOf } from './audit';

type Paranoid = ModelCtor<Model>;

interface Child {
  model: Paranoid;
  foreignKey: string;
}

/**
 * The children a soft delete takes along: the targets of the model's hasMany
 * associations whose foreign-key column says ON DELETE CASCADE (projects -> pages,
 * assets, memberships, ...; assets -> variants; users -> presentation access).
 * The database's ON DELETE CASCADE only fires on a hard delete; this is its
 * soft twin.
 */
export function softCascadeChildren(model: Paranoid): Child[] {
  let children = childrenByModel.get(model);
  if (!children) {
    children = findChildren(model);
    childrenByModel.set(model, children);
  }
  return children;
}

// Associations are fixed once the models are registered: each model's children are worked out once.
const childrenByModel = new WeakMap<Paranoid, Child[]>();

function findChildren(model: Paranoid): Child[] {
  return Object.values(model.associations).flatMap((association) => {
    if (association.associationType !== 'HasMany') return [];
    const target = association.target as Paranoid;
    const foreignKey = (association as unknown as { foreignKey: string }).foreignKey;
    if (!target.options.paranoid || target.getAttributes()[foreignKey]?.onDelete !== 'CASCADE') return [];
    return [{ model: target, foreignKey }];
  });
}

export function hasSoftCascade(model: Paranoid): boolean {
  return softCascadeChildren(model).length > 0;
}

async function idsOf(model: Paranoid, where: WhereOptions, transaction?: Transaction): Promise<string[]> {
  const rows = await model.findAll({ attributes: ['id'], where, paranoid: false, transaction, raw: true });
  return (rows as unknown as { id: string }[]).map((row) => row.id);
}

/**
 * Soft-deletes the live children of `parentIds` (and theirs) with the
 * parent's own `deletedAt`, or restores the children deleted together with
 * their parent: those whose `deletedAt` is the parent's (children deleted
 * earlier stay deleted).
 */
async function cascade(
  model: Paranoid,
  parentIds: string[],
  deletedAt: Date,
  direction: 'delete' | 'restore',
  transaction?: Transaction,
): Promise<void> {
  // Without hooks, so the actor (who deletes or restores the children with their parent) is written here.
  const actor = actorOf(model.sequelize);
  for (const child of softCascadeChildren(model)) {
    const state = direction === 'delete' ? null : { [Op.eq]: deletedAt };
    const ids = await idsOf(child.model, { [child.foreignKey]: parentIds, deletedAt: state }, transaction);
    if (ids.length === 0) continue;
    await child.model.update(
      { deletedAt: direction === 'delete' ? deletedAt : null, ...(actor ? { updatedById: actor } : {}) },
      { where: { id: ids }, transaction, hooks: false, silent: true, paranoid: false },
    );
    await cascade(child.model, ids, deletedAt, direction, transaction);
  }
}

export function softDeleteChildren(model: Paranoid, parentIds: string[], deletedAt: Date, transaction?: Transaction) {
  return cascade(model, parentIds, deletedAt, 'delete', transaction);
}

export function restoreChildren(model: Paranoid, parentIds: string[], deletedAt: Date, transaction?: Transaction) {
  return cascade(model, parentIds, deletedAt, 'restore', transaction);
}
