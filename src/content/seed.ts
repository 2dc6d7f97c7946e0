import type { Db } from '../db/create-db';
import { lockMigrations } from '../migrations/lock';
import { modelsByTable } from '../models';

export const PERMISSION_ACTIONS = ['CREATE', 'READ', 'UPDATE', 'DELETE'] as const;

/** The entities permissions are named after: every table of the spec but the join tables. */
export const PERMISSION_ENTITIES = Object.keys(modelsByTable)
  .filter((table) => !table.includes('Permissions'))
  .map((table) => table.toUpperCase());

/** `{ACTION}_{ENTITY}` for every action and entity: `READ_USERS`, `CREATE_ASSETS`, ... */
export function permissionNames(): string[] {
  return PERMISSION_ENTITIES.flatMap((entity) => PERMISSION_ACTIONS.map((action) => `${action}_${entity}`));
}

/** What customers with the `Public` role may do: read what a published presentation shows. */
const PUBLIC_PERMISSIONS = [
  'READ_PROJECTS',
  'READ_TOUR_PAGES',
  'READ_ASSETS',
  'READ_ASSET_VARIANTS',
  'READ_PROJECT_AUDIO_TRACKS',
];

/** The platform's roles and their permissions (`*` is every permission). */
export const SEED_ROLES: readonly { name: string; permissions: '*' | ((name: string) => boolean) }[] = [
  { name: 'Administrator', permissions: '*' },
  {
    name: 'Editor',
    permissions: (name) => !name.endsWith('_USERS') && !name.endsWith('_ROLES') && !name.endsWith('_PERMISSIONS'),
  },
  { name: 'Viewer', permissions: (name) => name.startsWith('READ_') && !name.endsWith('_USERS') },
  { name: 'Public', permissions: (name) => PUBLIC_PERMISSIONS.includes(name) },
];

export interface SeedReport {
  permissionsCreated: number;
  rolesCreated: number;
  /** Role-permission links added. */
  grantsAdded: number;
}

export interface SeedOptions {
  /** Called after each step, for progress output. */
  onProgress?: ((done: number, total: number, what: string) => void) | undefined;
}

/**
 * The RBAC seed: one permission per `{ACTION}_{ENTITY}` and the platform's
 * roles with their permissions, keyed by name, so running it again changes
 * nothing (and adds only what is missing). Under the migration lock, so that
 * seeds started together add each row once.
 */
export async function seedRbac(db: Db, options: SeedOptions = {}): Promise<SeedReport> {
  const names = permissionNames();
  const total = names.length + SEED_ROLES.length;
  const report: SeedReport = { permissionsCreated: 0, rolesCreated: 0, grantsAdded: 0 };
  return db.sequelize.transaction(async (transaction) => {
    await lockMigrations(db.sequelize, transaction);
    const existing = new Map((await db.permissions.findAll({ transaction })).map((p) => [p.name, p]));
    const missing = names.filter((name) => !existing.has(name));
    if (missing.length > 0) {
      const created = await db.permissions.bulkCreate(
        missing.map((name) => ({ name })),
        { transaction },
      );
      for (const permission of created) existing.set(permission.name, permission);
      report.permissionsCreated = created.length;
    }
    options.onProgress?.(names.length, total, 'permissions');

    for (const [i, spec] of SEED_ROLES.entries()) {
      let role = await db.roles.findOne({ where: { name: spec.name }, transaction });
      if (!role) {
        role = await db.roles.create({ name: spec.name }, { transaction });
        report.rolesCreated += 1;
      }
      const wanted = names.filter((name) => spec.permissions === '*' || spec.permissions(name));
      const links = await db.rolesPermissionsPermissions.findAll({
        where: { roles_permissionsId: role.id },
        transaction,
      });
      const linked = new Set(links.map((link) => link.permissionId));
      const toLink = wanted.map((name) => existing.get(name)?.id as string).filter((id) => !linked.has(id));
      if (toLink.length > 0) {
        await db.rolesPermissionsPermissions.bulkCreate(
          toLink.map((permissionId) => ({ roles_permissionsId: role.id, permissionId })),
          { transaction },
        );
        report.grantsAdded += toLink.length;
      }
      options.onProgress?.(names.length + i + 1, total, `role ${spec.name}`);
    }
    return report;
  });
}
