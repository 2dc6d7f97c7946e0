import { permissionNames, seedRbac } from '../../src';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

async function permissionsOf(role: string): Promise<string[]> {
  const found = await t.db.roles.findOne({ where: { name: role } });
  const permissions = await (found as unknown as { getPermissions(): Promise<{ name: string }[]> }).getPermissions();
  return permissions.map((permission) => permission.name).sort();
}

describe('seedRbac', () => {
  test('creates one permission per {ACTION}_{ENTITY} and the platform’s roles', async () => {
    const report = await seedRbac(t.db);
    const names = permissionNames();
    // 4 actions x 22 entities: the 21 models and publish_snapshots.
    expect(names).toHaveLength(88);
    expect(names).toEqual(expect.arrayContaining(['READ_USERS', 'CREATE_ASSETS', 'DELETE_TOUR_PAGES', 'UPDATE_FILE']));
    expect(report).toMatchObject({ permissionsCreated: 88, rolesCreated: 4 });
    expect(await t.db.permissions.count()).toBe(88);
    expect((await t.db.roles.findAll()).map((role) => role.name).sort()).toEqual([
      'Administrator',
      'Editor',
      'Public',
      'Viewer',
    ]);
    expect(await permissionsOf('Administrator')).toEqual([...names].sort());
    expect(await permissionsOf('Public')).toEqual([
      'READ_ASSETS',
      'READ_ASSET_VARIANTS',
      'READ_PROJECTS',
      'READ_PROJECT_AUDIO_TRACKS',
      'READ_TOUR_PAGES',
    ]);
    expect(await permissionsOf('Viewer')).not.toContain('READ_USERS');
  });

  test('a second run changes nothing', async () => {
    await seedRbac(t.db);
    const counts = async () => [
      await t.db.permissions.count(),
      await t.db.roles.count(),
      await t.db.rolesPermissionsPermissions.count(),
    ];
    const before = await counts();
    expect(await seedRbac(t.db)).toEqual({ permissionsCreated: 0, rolesCreated: 0, grantsAdded: 0 });
    expect(await counts()).toEqual(before);
  });

  test('a later run adds only what is missing', async () => {
    await seedRbac(t.db);
    await t.db.permissions.destroy({ where: { name: 'READ_USERS' }, force: true });
    const report = await seedRbac(t.db);
    expect(report.permissionsCreated).toBe(1);
    expect(report.rolesCreated).toBe(0);
    expect(await permissionsOf('Administrator')).toContain('READ_USERS');
  });
});
