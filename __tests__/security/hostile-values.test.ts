import { randomUUID } from 'node:crypto';
import { AggregateError as BulkErrors, ValidationError, type ValidationErrorItem } from 'sequelize';
import { type Db, importRows } from '../../src';
import { MODEL_FACTORIES, MODEL_TABLES, type ModelTable, modelOf, type Row } from '../models/rows';
import { cheapHasher, useTestDatabase } from '../support/db';

/**
 * Hostile values of every JavaScript type, into every column of every model,
 * through every write path (create, instance update, static update,
 * bulkCreate, upsert, importRows). Each is either refused with a
 * ValidationError naming that column and nothing written, or stored; and
 * every path agrees with the others on which it is and on what is stored.
 * Never a driver error, a TypeError or a RangeError.
 */

// A cheap hasher: this is about validation, and bcrypt would make thousands of writes slow.
const t = useTestDatabase(cheapHasher);
// Some 1,400 writes a table: generous time, so that a busy machine slows the suite down rather than failing it.
jest.setTimeout(600_000);

class Thing {
  a = 1;
}

const HOSTILE: [string, () => unknown][] = [
  ['null', () => null],
  ['true', () => true],
  ['false', () => false],
  ['0', () => 0],
  ['-0', () => -0],
  ['1.5', () => 1.5],
  ['-1', () => -1],
  ['2 ** 31', () => 2 ** 31],
  ['2 ** 53 + 2', () => 2 ** 53 + 2],
  ['1e308', () => 1e308],
  ['NaN', () => Number.NaN],
  ['Infinity', () => Number.POSITIVE_INFINITY],
  ['-Infinity', () => Number.NEGATIVE_INFINITY],
  ['a bigint', () => 10n],
  ['the empty string', () => ''],
  ['text', () => 'plain text'],
  ['numeric text', () => '42'],
  ['text with NUL', () => 'a\u0000b'],
  ['a lone surrogate', () => 'a\ud800b'],
  ['quotes and backslashes', () => `it's a \\"test\\" \\x00`],
  ['SQL', () => "'); DROP TABLE users; --"],
  ['100,000 characters', () => 'x'.repeat(100_000)],
  ['a symbol', () => Symbol('s')],
  ['a function', () => () => 1],
  ['an array', () => [1, 'a', null]],
  ['the empty array', () => []],
  ['a plain object', () => ({ a: 1, b: [true] })],
  ['an object with no prototype', () => Object.assign(Object.create(null), { a: 1 })],
  ['a date', () => new Date('2020-01-02T03:04:05.006Z')],
  ['an invalid date', () => new Date(Number.NaN)],
  ['a Buffer', () => Buffer.from('abc')],
  ['a Map', () => new Map([['a', 1]])],
  ['a RegExp', () => /x/g],
  ['a class instance', () => new Thing()],
  ['an Error', () => new Error('boom')],
  [
    'an object whose toString throws',
    () => ({
      toString: () => {
        throw new Error('no');
      },
      valueOf: () => {
        throw new Error('no');
      },
    }),
  ],
  ['an object with toJSON', () => ({ toJSON: () => 'sneaky' })],
  ['a transparent Proxy', () => new Proxy({ a: 1 }, {})],
];

const SKIPPED = new Set(['id', 'createdAt', 'updatedAt', 'deletedAt', 'password']);
const PATHS = ['create', 'instance update', 'static update', 'bulkCreate', 'upsert', 'importRows'] as const;
type Path = (typeof PATHS)[number];

type Outcome = { refused: string[] } | { stored: unknown };

/** Equal as stored: numbers by value (-0 is 0), dates by time, documents by their JSON. */
function sameStored(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return JSON.stringify(a) === JSON.stringify(b);
}

function refusedPaths(error: unknown, label: string): string[] {
  let items: ValidationErrorItem[];
  if (error instanceof BulkErrors) {
    items = error.errors.flatMap((bulk) => {
      const inner = (bulk as unknown as { errors?: unknown }).errors;
      if (!(inner instanceof ValidationError)) throw bulk;
      return inner.errors;
    });
  } else if (error instanceof ValidationError) {
    items = error.errors;
  } else {
    // Not a refusal by name: fail with what it was.
    throw new Error(
      `${label}: ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)}`,
    );
  }
  return [...new Set(items.map((item) => item.path ?? ''))].sort();
}

/** A valid record of the table (from its factory, removed again so its unique values are free) and a row to update. */
async function fixtures(db: Db, table: ModelTable) {
  const model = modelOf(db, table);
  const scoped = table === 'users' ? model.scope('withSecrets') : model;
  const template = await MODEL_FACTORIES[table](db);
  const values = ((await scoped.findByPk(template.id)) as unknown as Row).get({ plain: true }) as Record<
    string,
    unknown
  >;
  for (const key of ['id', 'createdAt', 'updatedAt', 'deletedAt']) delete values[key];
  await template.destroy({ force: true });
  const existing = await MODEL_FACTORIES[table](db);
  return { model, scoped, values, existing };
}

describe('hostile values into every column, through every write path', () => {
  test.each(MODEL_TABLES)('%s', async (table) => {
    const db = t.db;
    const { model, scoped, values, existing } = await fixtures(db, table);
    const columns = Object.keys(model.getAttributes()).filter((name) => !SKIPPED.has(name));
    const plainOf = async () => {
      const { updatedAt: _, ...rest } = ((await scoped.findByPk(existing.id)) as unknown as Row).get({ plain: true });
      return rest as Record<string, unknown>;
    };
    const original = await plainOf();
    const disagreements: string[] = [];
    let stored = 0;
    let refused = 0;

    for (const column of columns) {
      const count = await model.count({ paranoid: false });
      // The rows this column's attempts would have made, by id: what a leftover is named by.
      const attempts = new Map<string, string>();
      for (const [valueLabel, make] of HOSTILE) {
        const outcomes = new Map<Path, Outcome>();
        for (const path of PATHS) {
          const label = `${table}.${column} = ${valueLabel} by ${path}`;
          const id = randomUUID();
          attempts.set(id, label);
          const record = { ...values, id, [column]: make() };
          try {
            let target: string = id;
            if (path === 'create') await model.create(record as never);
            else if (path === 'bulkCreate') await model.bulkCreate([record as never]);
            else if (path === 'upsert') await model.upsert(record as never);
            else if (path === 'importRows') await importRows(model, [record]);
            else {
              target = existing.id;
              const row = model.build(original as never, { isNewRecord: false, raw: true }) as unknown as Row;
              if (path === 'instance update') await row.update({ [column]: make() });
              else await model.update({ [column]: make() } as never, { where: { id: existing.id } });
            }
            const row = (await scoped.findByPk(target)) as unknown as Row | null;
            if (!row) throw new Error(`${label}: reported stored, and no row`);
            outcomes.set(path, { stored: row.get(column) });
            stored += 1;
            // Taken away again in one statement, so that the next path may write the same unique values.
            if (target === id) await model.destroy({ where: { id }, force: true, hooks: false });
            else
              await model.update({ [column]: original[column] } as never, { where: { id: existing.id }, hooks: false });
          } catch (error) {
            outcomes.set(path, { refused: refusedPaths(error, label) });
            refused += 1;
          }
        }
        // Every path agrees: refused naming the column alone, or stored alike.
        const first = outcomes.get('create') as Outcome;
        for (const [path, outcome] of outcomes) {
          const agree =
            'refused' in first
              ? 'refused' in outcome && JSON.stringify(outcome.refused) === JSON.stringify([column])
              : 'stored' in outcome && sameStored(outcome.stored, first.stored);
          if (!agree) {
            disagreements.push(
              `${column} = ${valueLabel}: create ${JSON.stringify(first).slice(0, 80)}, ${path} ${JSON.stringify(outcome).slice(0, 80)}`,
            );
          }
        }
      }
      // Nothing refused was written, nothing stored was left behind: counted once a column, and what is
      // left named by the attempt that made it.
      const left = await model.count({ paranoid: false });
      if (left !== count) {
        const rows = await model.findAll({ where: { id: [...attempts.keys()] }, paranoid: false, raw: true });
        const named = rows.map((row) => attempts.get((row as { id: string }).id));
        throw new Error(
          `${table}.${column}: ${left} rows where there were ${count}; left behind by: ${named.join('; ')}`,
        );
      }
    }
    expect(disagreements).toEqual([]);
    expect(stored).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    // The row the updates went to is as it was.
    expect(JSON.stringify(await plainOf())).toBe(JSON.stringify(original));
  });
});
