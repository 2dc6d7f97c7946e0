import { USER_SECRET_FIELDS } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, MODEL_TABLES, type ModelTable, modelOf, type Row } from './rows';

const t = useTestDatabase(cheapHasher);

const TOKENS = { emailVerificationToken: 'verify-token-value', passwordResetToken: 'reset-token-value' };

function expectNoSecrets(value: unknown): void {
  const json = JSON.stringify(value);
  for (const field of USER_SECRET_FIELDS) expect(json).not.toContain(`"${field}"`);
  for (const token of Object.values(TOKENS)) expect(json).not.toContain(token);
  expect(json).not.toMatch(/\$2[aby]\$/);
}

/** Every way a user reaches another model's result: [table, alias, how the row names the user]. */
const ALIASES: [ModelTable, string, string][] = [
  ...MODEL_TABLES.flatMap((table): [ModelTable, string, string][] => [
    [table, 'createdBy', 'createdById'],
    [table, 'updatedBy', 'updatedById'],
  ]),
  ['project_memberships', 'user', 'userId'],
  ['production_presentation_access', 'user', 'userId'],
  ['publish_events', 'user', 'userId'],
  ['access_logs', 'user', 'userId'],
  ['presigned_url_requests', 'user', 'userId'],
];

describe('no include of users carries a secret', () => {
  test.each(ALIASES)('%s including %s', async (table, alias, key) => {
    const db = t.db;
    const user = await build.user(db, TOKENS);
    const row = await MODEL_FACTORIES[table](db, { [key]: user.id });
    const loaded = (await modelOf(db, table).findByPk(row.id, { include: [alias] })) as unknown as Row;
    const included = loaded.get(alias) as Row;
    expect(included?.get('email')).toBe(user.email);
    expectNoSecrets(loaded);
    for (const field of USER_SECRET_FIELDS) expect(included.get(field)).toBeUndefined();
  });

  test('roles including users_app_role', async () => {
    const db = t.db;
    const role = await build.role(db);
    await build.user(db, { ...TOKENS, app_roleId: role.id });
    const loaded = await db.roles.findByPk(role.id, { include: ['users_app_role'] });
    expect(loaded?.users_app_role).toHaveLength(1);
    expectNoSecrets(loaded);
  });

  test('a project including its memberships’ users, and findAll of users', async () => {
    const db = t.db;
    const user = await build.user(db, TOKENS);
    const membership = await build.projectMembership(db, { userId: user.id });
    const project = await db.projects.findByPk(membership.projectId ?? '', {
      include: [{ association: 'project_memberships_project', include: ['user', 'createdBy'] }],
    });
    expect(project?.project_memberships_project?.[0]?.user?.email).toBe(user.email);
    expectNoSecrets(project);
    expectNoSecrets(await db.users.findAll());
    expectNoSecrets(await db.users.scope('withSecrets').findAll());
  });
});
