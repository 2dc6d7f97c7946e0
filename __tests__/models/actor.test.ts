import { setImmediate as tick } from 'node:timers/promises';
import { createDb, currentActorId, type Db, InvalidIdError, importRows, migrate, seedRbac, withActor } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';

// Users are created by the dozen here: a cheap hasher instead of bcrypt.
const t = useTestDatabase(cheapHasher);
jest.setTimeout(60_000);

interface Audited {
  id: string;
  createdById: string | null;
  updatedById: string | null;
}

async function twoUsers(db: Db): Promise<[string, string]> {
  const [a, b] = await Promise.all([build.user(db), build.user(db)]);
  return [a.id, b.id];
}

/** The audit pair as stored, read back without the soft-delete filter. */
async function auditOf(db: Db, table: 'projects' | 'tour_pages' | 'roles' | 'permissions', id: string) {
  const row = (await (db[table] as typeof db.projects).findByPk(id, {
    paranoid: false,
    attributes: ['createdById', 'updatedById'],
  })) as unknown as Audited | null;
  return row && { createdById: row.createdById, updatedById: row.updatedById };
}

describe('outside withActor', () => {
  test('writes leave the audit columns as the caller set them', async () => {
    const db = t.db;
    const project = await build.project(db);
    await project.update({ name: 'Renamed' });
    expect(await auditOf(db, 'projects', project.id)).toEqual({ createdById: null, updatedById: null });
    expect(currentActorId(db.sequelize)).toBeUndefined();
  });
});

describe('withActor: create', () => {
  test('create sets createdById and updatedById to the actor', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    const project = await db.withActor(alice, () => build.project(db));
    expect(await auditOf(db, 'projects', project.id)).toEqual({ createdById: alice, updatedById: alice });
  });

  test('an explicit value wins, NULL included', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const [byBob, byNobody] = await db.withActor(alice, () =>
      Promise.all([
        build.project(db, { createdById: bob }),
        build.project(db, { createdById: null, updatedById: bob }),
      ]),
    );
    expect(await auditOf(db, 'projects', byBob.id)).toEqual({ createdById: bob, updatedById: alice });
    expect(await auditOf(db, 'projects', byNobody.id)).toEqual({ createdById: null, updatedById: bob });
  });

  test('create with a `fields` list that leaves the audit columns out still records the actor', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    const project = await db.withActor(alice, () =>
      db.projects.create({ name: 'Tour', slug: 'fields-tour' }, { fields: ['name', 'slug'] }),
    );
    expect(await auditOf(db, 'projects', project.id)).toEqual({ createdById: alice, updatedById: alice });
  });

  test('bulkCreate stamps every row; updateOnDuplicate changes updatedById and keeps the creator', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const project = await build.project(db);
    const [first] = await db.withActor(alice, () =>
      db.tour_pages.bulkCreate([
        { projectId: project.id, name: 'A', slug: 'a' },
        { projectId: project.id, name: 'B', slug: 'b' },
      ]),
    );
    const pages = await db.tour_pages.findAll({ where: { projectId: project.id } });
    expect(pages.map((page) => [page.createdById, page.updatedById])).toEqual([
      [alice, alice],
      [alice, alice],
    ]);

    await db.withActor(bob, () =>
      db.tour_pages.bulkCreate([{ id: first?.id, projectId: project.id, name: 'A again', slug: 'a' }], {
        updateOnDuplicate: ['name'],
        conflictAttributes: ['id'],
      }),
    );
    const again = await db.tour_pages.findByPk(first?.id);
    expect([again?.name, again?.createdById, again?.updatedById]).toEqual(['A again', alice, bob]);
  });

  test('upsert: the insert records both columns, the update only updatedById', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    await db.withActor(alice, () => db.projects.upsert({ name: 'Up', slug: 'up' }));
    const inserted = await db.projects.findOne({ where: { slug: 'up' } });
    expect([inserted?.createdById, inserted?.updatedById]).toEqual([alice, alice]);

    await db.withActor(bob, () => db.projects.upsert({ id: inserted?.id, name: 'Up again', slug: 'up' }));
    const updated = await db.projects.findByPk(inserted?.id);
    expect([updated?.name, updated?.createdById, updated?.updatedById]).toEqual(['Up again', alice, bob]);
  });

  test('importRows (raw INSERTs) stamps the rows the caller left unset', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const project = await build.project(db);
    await db.withActor(alice, () =>
      importRows(db.tour_pages, [
        { projectId: project.id, name: 'One', slug: 'one', importHash: 'h1' },
        { projectId: project.id, name: 'Two', slug: 'two', importHash: 'h2', createdById: bob },
      ]),
    );
    const rows = await db.tour_pages.findAll({ where: { projectId: project.id }, order: [['slug', 'ASC']] });
    expect(rows.map((row) => [row.slug, row.createdById, row.updatedById])).toEqual([
      ['one', alice, alice],
      ['two', bob, alice],
    ]);
  });

  test('seeding records the actor on roles and permissions', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    await db.withActor(alice, () => seedRbac(db));
    const roles = await db.roles.findAll();
    const permissions = await db.permissions.findAll();
    expect(roles.length).toBeGreaterThan(0);
    expect(new Set([...roles, ...permissions].map((row) => `${row.createdById}/${row.updatedById}`))).toEqual(
      new Set([`${alice}/${alice}`]),
    );
  });
});

describe('withActor: changes', () => {
  test('an instance update sets updatedById and keeps the creator', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const project = await db.withActor(alice, () => build.project(db));
    await db.withActor(bob, () => project.update({ name: 'Renamed' }));
    expect(await auditOf(db, 'projects', project.id)).toEqual({ createdById: alice, updatedById: bob });

    // save() after setting attributes takes the same path.
    project.name = 'Saved';
    await db.withActor(alice, () => project.save());
    expect(await auditOf(db, 'projects', project.id)).toEqual({ createdById: alice, updatedById: alice });
  });

  test('an update that changes nothing writes nothing', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    const project = await build.project(db);
    const before = (await db.projects.findByPk(project.id))?.updatedAt;
    await db.withActor(alice, () => project.update({ name: project.name }));
    const after = await db.projects.findByPk(project.id);
    expect([after?.updatedById, after?.updatedAt]).toEqual([null, before]);
  });

  test('a static update sets updatedById on every row it changes; an explicit value wins', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const [one, two] = await Promise.all([build.project(db), build.project(db)]);
    await db.withActor(alice, () => db.projects.update({ description: 'x' }, { where: { id: [one.id, two.id] } }));
    expect(await auditOf(db, 'projects', one.id)).toEqual({ createdById: null, updatedById: alice });
    expect(await auditOf(db, 'projects', two.id)).toEqual({ createdById: null, updatedById: alice });

    await db.withActor(alice, () =>
      db.projects.update({ description: 'y', updatedById: bob }, { where: { id: one.id } }),
    );
    expect(await auditOf(db, 'projects', one.id)).toEqual({ createdById: null, updatedById: bob });
  });

  test('a static update of users (per-row hooks) is stamped too', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    await db.withActor(alice, () => db.users.update({ firstName: 'Bob' }, { where: { id: bob } }));
    const row = await db.users.findByPk(bob);
    expect([row?.firstName, row?.updatedById]).toEqual(['Bob', alice]);
  });

  test('soft delete and restore, instance and static, are changes', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const [one, two] = await Promise.all([build.project(db), build.project(db)]);

    await db.withActor(alice, () => one.destroy());
    await db.withActor(bob, () => db.projects.destroy({ where: { id: two.id } }));
    expect(await auditOf(db, 'projects', one.id)).toEqual({ createdById: null, updatedById: alice });
    expect(await auditOf(db, 'projects', two.id)).toEqual({ createdById: null, updatedById: bob });
    expect(await db.projects.count({ where: { id: [one.id, two.id] } })).toBe(0);

    await db.withActor(bob, () => one.restore());
    await db.withActor(alice, () => db.projects.restore({ where: { id: two.id } }));
    expect(await auditOf(db, 'projects', one.id)).toEqual({ createdById: null, updatedById: bob });
    expect(await auditOf(db, 'projects', two.id)).toEqual({ createdById: null, updatedById: alice });
    expect(await db.projects.count({ where: { id: [one.id, two.id] } })).toBe(2);
  });

  test('a static soft delete stamps only the rows it deletes', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const [gone, kept, deletedBefore] = await Promise.all([build.project(db), build.project(db), build.project(db)]);
    await db.withActor(bob, () => deletedBefore.destroy());
    await db.withActor(alice, () => db.projects.destroy({ where: { id: [gone.id, deletedBefore.id] } }));
    expect(await auditOf(db, 'projects', gone.id)).toEqual({ createdById: null, updatedById: alice });
    expect(await auditOf(db, 'projects', kept.id)).toEqual({ createdById: null, updatedById: null });
    expect(await auditOf(db, 'projects', deletedBefore.id)).toEqual({ createdById: null, updatedById: bob });
  });

  test('the soft cascade records the actor on the children it deletes and restores', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const project = await build.project(db);
    const page = await build.tourPage(db, { projectId: project.id });

    await db.withActor(alice, () => project.destroy());
    expect(await auditOf(db, 'tour_pages', page.id)).toEqual({ createdById: null, updatedById: alice });
    await db.withActor(bob, () => project.restore());
    expect(await auditOf(db, 'tour_pages', page.id)).toEqual({ createdById: null, updatedById: bob });
    expect(await db.tour_pages.count({ where: { id: page.id } })).toBe(1);
  });

  test('a hard delete removes the row', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    const project = await build.project(db);
    await db.withActor(alice, () => project.destroy({ force: true }));
    expect(await auditOf(db, 'projects', project.id)).toBeNull();
  });
});

describe('withActor: the context', () => {
  test('follows fn across awaits; parallel calls keep their own actor', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const work = (slug: string) => async () => {
      await tick();
      const project = await build.project(db, { slug });
      await tick();
      await project.update({ name: `${slug} renamed` });
      return [currentActorId(db.sequelize), project.id] as const;
    };
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) => db.withActor(i % 2 ? bob : alice, work(`parallel-${i}`))),
    );
    for (const [i, [seen, id]] of results.entries()) {
      const actor = i % 2 ? bob : alice;
      expect(seen).toBe(actor);
      expect(await auditOf(db, 'projects', id)).toEqual({ createdById: actor, updatedById: actor });
    }
    expect(currentActorId(db.sequelize)).toBeUndefined();
  });

  test('works in a transaction, begun inside or outside withActor', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    // Created before the transaction: in memory, a write beside an open transaction waits for it (one at a time).
    const project = await db.withActor(alice, () => build.project(db));
    const inside = await db.withActor(alice, () =>
      db.sequelize.transaction((transaction) => project.update({ name: 'x' }, { transaction })),
    );
    const outside = await db.sequelize.transaction((transaction) =>
      db.withActor(bob, () => db.projects.create({ name: 'T', slug: 'in-transaction' }, { transaction })),
    );
    expect(await auditOf(db, 'projects', inside.id)).toEqual({ createdById: alice, updatedById: alice });
    expect(await auditOf(db, 'projects', outside.id)).toEqual({ createdById: bob, updatedById: bob });
  });

  test('a nested withActor takes over inside and gives back outside', async () => {
    const db = t.db;
    const [alice, bob] = await twoUsers(db);
    const seen = await db.withActor(alice, async () => {
      const inner = await db.withActor(bob, async () => currentActorId(db.sequelize));
      return [inner, currentActorId(db.sequelize)];
    });
    expect(seen).toEqual([bob, alice]);
  });

  test('the actor belongs to one database: another instance in the same context is untouched', async () => {
    const db = t.db;
    const [alice] = await twoUsers(db);
    const other = createDb({ inMemory: true, logging: false });
    try {
      await migrate(other.sequelize);
      const [mine, theirs] = await withActor(db.sequelize, alice, () =>
        Promise.all([build.project(db), build.project(other)]),
      );
      expect(await auditOf(db, 'projects', mine.id)).toEqual({ createdById: alice, updatedById: alice });
      expect(await auditOf(other, 'projects', theirs.id)).toEqual({ createdById: null, updatedById: null });
    } finally {
      await other.sequelize.close();
    }
  });

  test('refuses an actor id that is not a UUID, before running fn', () => {
    const fn = jest.fn();
    expect(() => t.db.withActor('alice', fn)).toThrow(InvalidIdError);
    expect(() => t.db.withActor('alice', fn)).toThrow('userId must be a UUID, got "alice"');
    expect(fn).not.toHaveBeenCalled();
  });
});
