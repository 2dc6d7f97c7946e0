import { format, inspect } from 'node:util';
import type { Model } from 'sequelize';
import { USER_SECRET_FIELDS } from '../../src';
import { build } from '../../src/testing/factories';
import { expectNoSecrets, plantedUser, SECRETS, useSecurityDatabase } from './support';

/**
 * A user shows no secret when printed (console.log, util.inspect, format's
 * %o) or serialised (toJSON, JSON.stringify), alone or included in another
 * row at any depth, whatever scope or `attributes` loaded its secrets.
 */

jest.setTimeout(60_000);
const t = useSecurityDatabase('serialise');

describe('a user printed or serialised on its own', () => {
  test('after create, console.log shows the secrets as [REDACTED] and the rest as it is', async () => {
    const { user, hash } = await plantedUser(t.db);
    const printed = inspect(user);
    expect(printed).toMatch(/^users \{/);
    expect(printed).toContain(`email: '${user.email}'`);
    expect(printed).toContain("password: '[REDACTED]'");
    expect(printed).toContain("passwordResetToken: '[REDACTED]'");
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      console.log(user);
      console.log('%o', user);
      const lines = log.mock.calls.map((args) => format(...(args as [unknown, ...unknown[]])));
      expectNoSecrets(lines.join('\n'), { ...SECRETS, hash });
    } finally {
      log.mockRestore();
    }
    expectNoSecrets(user, { ...SECRETS, hash });
    expectNoSecrets(format('%o %O %j', user, user, user), { ...SECRETS, hash });
  });

  test('loaded with the withSecrets scope', async () => {
    const { user, hash } = await plantedUser(t.db);
    const loaded = await t.db.users.scope('withSecrets').findByPk(user.id);
    expect(loaded?.getDataValue('password')).toBe(hash);
    expect(await loaded?.checkPassword(SECRETS['plain password'])).toBe(true);
    expectNoSecrets(loaded, { ...SECRETS, hash });
    for (const field of USER_SECRET_FIELDS) expect(loaded?.toJSON()).not.toHaveProperty(field);
  });

  test('loaded with attributes naming the secrets', async () => {
    const { user, hash } = await plantedUser(t.db);
    const loaded = await t.db.users.findByPk(user.id, { attributes: ['id', 'email', ...USER_SECRET_FIELDS] });
    expect(loaded?.getDataValue('password')).toBe(hash);
    expect(loaded?.toJSON()).toEqual({ id: user.id, email: user.email });
    expectNoSecrets(loaded, { ...SECRETS, hash });
  });
});

describe('a user included in another row', () => {
  const withSecrets = () => t.db.users.scope('withSecrets');

  test('a project including its creator through the withSecrets scope', async () => {
    const { user, hash } = await plantedUser(t.db);
    const project = await build.project(t.db, { createdById: user.id });
    const loaded = await t.db.projects.findByPk(project.id, {
      include: [{ model: withSecrets(), as: 'createdBy' }],
    });
    expect(loaded?.createdBy?.getDataValue('password')).toBe(hash);
    const json = JSON.parse(JSON.stringify(loaded)) as { createdBy: Record<string, unknown> };
    expect(json.createdBy.email).toBe(user.email);
    expectNoSecrets(loaded, { ...SECRETS, hash });
  });

  test("a project including its creator with attributes: ['id', 'password']", async () => {
    const { user, hash } = await plantedUser(t.db);
    const project = await build.project(t.db, { createdById: user.id });
    const loaded = await t.db.projects.findByPk(project.id, {
      include: [{ model: t.db.users, as: 'createdBy', attributes: ['id', 'password'] }],
    });
    expect(loaded?.createdBy?.getDataValue('password')).toBe(hash);
    expect((loaded?.toJSON() as { createdBy?: unknown } | undefined)?.createdBy).toEqual({ id: user.id });
    expectNoSecrets(loaded, { ...SECRETS, hash });
  });

  test('users three levels down, in arrays, through both audit aliases', async () => {
    const { user, hash } = await plantedUser(t.db);
    const project = await build.project(t.db, { createdById: user.id, updatedById: user.id });
    await build.tourPage(t.db, { projectId: project.id, createdById: user.id });
    await build.projectMembership(t.db, { projectId: project.id, userId: user.id, createdById: user.id });
    const loaded = await t.db.projects.findAll({
      where: { id: project.id },
      include: [
        { model: withSecrets(), as: 'createdBy' },
        { model: withSecrets(), as: 'updatedBy', attributes: { include: ['password'] } },
        {
          association: 'tour_pages_project',
          include: [{ model: withSecrets(), as: 'createdBy', include: [{ model: withSecrets(), as: 'createdBy' }] }],
        },
        { association: 'project_memberships_project', include: [{ model: withSecrets(), as: 'user' }] },
      ],
    });
    const json = JSON.parse(JSON.stringify(loaded)) as {
      tour_pages_project: { createdBy: { email: string } }[];
      project_memberships_project: { user: { email: string } }[];
    }[];
    expect(json[0]?.tour_pages_project[0]?.createdBy.email).toBe(user.email);
    expect(json[0]?.project_memberships_project[0]?.user.email).toBe(user.email);
    expectNoSecrets(loaded, { ...SECRETS, hash });
  });

  test('a role including its users', async () => {
    const role = await build.role(t.db);
    const { hash } = await plantedUser(t.db, { app_roleId: role.id });
    const loaded = await t.db.roles.findByPk(role.id, {
      include: [{ model: t.db.users.scope('withSecrets'), as: 'users_app_role' }],
    });
    expect(loaded?.users_app_role).toHaveLength(1);
    expectNoSecrets(loaded, { ...SECRETS, hash });
  });

  test('toJSON of a parent keeps its own values, dates and documents as Sequelize does', async () => {
    const { user } = await plantedUser(t.db);
    const page = await build.tourPage(t.db, {
      ui_schema_json: { blocks: [{ kind: 'text', size: 2 }] },
      createdById: user.id,
    });
    const loaded = (await t.db.tour_pages.findByPk(page.id, {
      include: [{ model: t.db.users, as: 'createdBy' }],
    })) as Model;
    const json = loaded.toJSON() as Record<string, unknown>;
    expect(json.ui_schema_json).toEqual({ blocks: [{ kind: 'text', size: 2 }] });
    expect(json.ui_schema_json).not.toBe(loaded.get('ui_schema_json'));
    expect(json.createdAt).toBeInstanceOf(Date);
    expect((json.createdBy as Record<string, unknown>).email).toBe(user.email);
  });
});
