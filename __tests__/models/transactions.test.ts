import { DatabaseError, type Transaction } from 'sequelize';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';

// What an app's transactional code relies on, the same in memory as on PostgreSQL.
const t = useTestDatabase();

class Planned extends Error {}

async function names(): Promise<string[]> {
  const projects = await t.db.projects.findAll({ order: [['name', 'ASC']], paranoid: false });
  return projects.map((project) => project.name);
}

describe('a transaction', () => {
  test('that fails leaves nothing it wrote, changed or deleted', async () => {
    const db = t.db;
    const kept = await build.project(db, { name: 'Kept' });
    const removed = await build.project(db, { name: 'Removed' });
    const failure = db.sequelize.transaction(async (transaction) => {
      await db.projects.create({ name: 'Inside', slug: 'inside' }, { transaction });
      await kept.update({ name: 'Renamed' }, { transaction });
      await removed.destroy({ transaction, force: true });
      throw new Planned();
    });
    await expect(failure).rejects.toBeInstanceOf(Planned);
    expect(await names()).toEqual(['Kept', 'Removed']);
  });

  test('that commits keeps everything', async () => {
    const db = t.db;
    await db.sequelize.transaction(async (transaction) => {
      await db.projects.create({ name: 'A', slug: 'a' }, { transaction });
      await db.projects.create({ name: 'B', slug: 'b' }, { transaction });
    });
    expect(await names()).toEqual(['A', 'B']);
  });

  test('rolled back by hand leaves nothing; a soft delete with its cascade is undone too', async () => {
    const db = t.db;
    const project = await build.project(db, { name: 'Tour' });
    const page = await build.tourPage(db, { projectId: project.id });
    const transaction = await db.sequelize.transaction();
    await db.projects.create({ name: 'Other', slug: 'other' }, { transaction });
    await project.destroy({ transaction });
    expect(await db.tour_pages.count({ transaction })).toBe(0);
    await transaction.rollback();
    expect(await names()).toEqual(['Tour']);
    expect((await db.tour_pages.findByPk(page.id))?.deletedAt).toBeNull();
  });

  test('is not seen by a read outside it until it commits', async () => {
    const db = t.db;
    const transaction = await db.sequelize.transaction();
    await db.projects.create({ name: 'Pending', slug: 'pending' }, { transaction });
    expect(await db.projects.count({ transaction })).toBe(1);
    expect(await db.projects.count()).toBe(0);
    await transaction.commit();
    expect(await db.projects.count()).toBe(1);
  });

  test('after a failed statement refuses further statements until it rolls back', async () => {
    const db = t.db;
    await build.project(db, { slug: 'taken' });
    const transaction = await db.sequelize.transaction();
    await db.projects.create({ name: 'First', slug: 'first' }, { transaction });
    await expect(db.projects.create({ name: 'Again', slug: 'taken' }, { transaction })).rejects.toThrow();
    const aborted = await db.projects.count({ transaction }).catch((error: unknown) => error);
    expect(aborted).toBeInstanceOf(DatabaseError);
    expect((aborted as DatabaseError).message).toMatch(/current transaction is aborted/);
    // COMMIT of an aborted transaction is a rollback.
    await transaction.commit();
    expect(await db.projects.count()).toBe(1);
  });

  test('two at once from two flows both commit, one after the other', async () => {
    const db = t.db;
    const flow = (name: string) =>
      db.sequelize.transaction(async (transaction) => {
        await db.projects.create({ name, slug: name.toLowerCase() }, { transaction });
        await new Promise((resolve) => setTimeout(resolve, 20));
        await db.projects.create({ name: `${name} 2`, slug: `${name.toLowerCase()}-2` }, { transaction });
      });
    await Promise.all([flow('Left'), flow('Right')]);
    expect(await names()).toEqual(['Left', 'Left 2', 'Right', 'Right 2']);
  });
});

describe('a savepoint (a transaction inside a transaction)', () => {
  async function nested(outer: Transaction, name: string, fail: boolean) {
    return t.db.sequelize.transaction({ transaction: outer }, async (transaction) => {
      await t.db.projects.create({ name, slug: name.toLowerCase() }, { transaction });
      if (fail) throw new Planned();
    });
  }

  test('rolled back undoes only what came after it; the outer transaction commits the rest', async () => {
    const db = t.db;
    await db.sequelize.transaction(async (outer) => {
      await db.projects.create({ name: 'Before', slug: 'before' }, { transaction: outer });
      await expect(nested(outer, 'Undone', true)).rejects.toBeInstanceOf(Planned);
      await nested(outer, 'Kept', false);
      await db.projects.create({ name: 'After', slug: 'after' }, { transaction: outer });
    });
    expect(await names()).toEqual(['After', 'Before', 'Kept']);
  });

  test('recovers a transaction from a failed statement', async () => {
    const db = t.db;
    await build.project(db, { name: 'Existing', slug: 'taken' });
    await db.sequelize.transaction(async (outer) => {
      const failed = db.sequelize.transaction({ transaction: outer }, (transaction) =>
        db.projects.create({ name: 'Clash', slug: 'taken' }, { transaction }),
      );
      await expect(failed).rejects.toThrow();
      await db.projects.create({ name: 'Later', slug: 'later' }, { transaction: outer });
    });
    expect(await names()).toEqual(['Existing', 'Later']);
  });

  test('rolled back with the outer transaction leaves nothing', async () => {
    const db = t.db;
    const failure = db.sequelize.transaction(async (outer) => {
      await nested(outer, 'Inner', false);
      throw new Planned();
    });
    await expect(failure).rejects.toBeInstanceOf(Planned);
    expect(await names()).toEqual([]);
  });
});
