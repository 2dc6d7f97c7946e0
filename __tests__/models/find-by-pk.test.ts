import { randomUUID } from 'node:crypto';
import { EmptyResultError, ValidationError } from 'sequelize';
import { Model as FinderModel } from 'sequelize-typescript';
import { cheapHasher, useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, MODEL_TABLES, modelOf, type Row } from './rows';

/**
 * `findByPk` answers a plain read by key with a statement built once per
 * model (src/models/base/fast-find.ts). Whatever path answers, the answer is
 * Sequelize's finder's: the same instance (values, changed state, what a save
 * writes), the same plain row with `raw`, soft-deleted rows as `paranoid`
 * says, the users' secrets only in their `withSecrets` scope.
 */

const t = useTestDatabase(cheapHasher);

/** Sequelize's finder itself, whatever `findByPk` does. */
function finder(model: unknown, id: unknown, options?: object): Promise<unknown> {
  return (FinderModel.findByPk as (...args: unknown[]) => Promise<unknown>).call(model, id, options);
}

function shown(row: unknown): unknown {
  if (row === null || typeof row !== 'object') return row;
  if (!(row instanceof FinderModel)) return row;
  const instance = row as unknown as Row & { _options: { attributes?: unknown } };
  return {
    values: instance.get({ plain: true }),
    newRecord: instance.isNewRecord,
    changed: instance.changed(),
    attributes: instance._options.attributes,
  };
}

const OPTION_SETS: [string, object | undefined][] = [
  ['no options', undefined],
  ['raw', { raw: true }],
  ['paranoid: false', { paranoid: false }],
  ['raw, paranoid: false', { raw: true, paranoid: false }],
  ['useMaster', { useMaster: true }],
];

describe('every model: the same answer as the finder, for a live row, a soft-deleted one and a missing one', () => {
  test.each(MODEL_TABLES)('%s', async (table) => {
    const { db } = t;
    const model = modelOf(db, table);
    const live = await MODEL_FACTORIES[table](db);
    const gone = await MODEL_FACTORIES[table](db);
    await gone.destroy();
    const scopes = table === 'users' ? [model, model.scope('withSecrets')] : [model];
    for (const scoped of scopes) {
      for (const id of [live.id, gone.id, randomUUID()]) {
        for (const [label, options] of OPTION_SETS) {
          const [mine, theirs] = [await scoped.findByPk(id, options as never), await finder(scoped, id, options)];
          expect([label, shown(mine)]).toEqual([label, shown(theirs)]);
        }
        await db.sequelize.transaction(async (transaction) => {
          expect(shown(await scoped.findByPk(id, { transaction }))).toEqual(
            shown(await finder(scoped, id, { transaction })),
          );
        });
      }
    }
  });
});

describe('the instances it gives behave as the finder’s', () => {
  test('a change saves only what changed, and a reload reads the row again', async () => {
    const { db } = t;
    const page = (await MODEL_FACTORIES.tour_pages(db)) as Row;
    const found = await db.tour_pages.findByPk(page.id);
    if (!found) throw new Error('no page');
    found.name = 'Renamed';
    expect(found.changed()).toEqual(['name']);
    await found.save();
    const again = await finder(db.tour_pages, page.id);
    expect((again as Row).get('name')).toBe('Renamed');
    await found.reload();
    expect(found.name).toBe('Renamed');
  });

  test('a user’s secrets are never read outside withSecrets', async () => {
    const { db } = t;
    const user = await MODEL_FACTORIES.users(db);
    const plain = (await db.users.findByPk(user.id, { raw: true })) as unknown as Record<string, unknown>;
    expect(Object.keys(plain)).not.toContain('password');
    const withSecrets = (await db.users.scope('withSecrets').findByPk(user.id, { raw: true })) as unknown as Record<
      string,
      unknown
    >;
    expect(typeof withSecrets.password).toBe('string');
  });

  test('what the fast path does not answer, the finder does: a bad key is a ValidationError, not a driver error', async () => {
    const { db } = t;
    await expect(db.projects.findByPk('not-a-uuid')).rejects.toBeInstanceOf(ValidationError);
    await expect(db.projects.findByPk(null as never)).resolves.toBeNull();
    await expect(db.projects.findByPk(randomUUID(), { rejectOnEmpty: true })).rejects.toBeInstanceOf(EmptyResultError);
    const project = await MODEL_FACTORIES.projects(db);
    const withPages = await db.projects.findByPk(project.id, { include: ['tour_pages_project'] });
    expect(withPages?.tour_pages_project).toEqual([]);
  });
});
