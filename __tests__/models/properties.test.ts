import fc from 'fast-check';
import { Model, ValidationError } from 'sequelize';
import type { Db } from '../../src';
import { certainlyValid } from '../../src/models/base/fast-validate';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, MODEL_TABLES, type ModelTable, modelOf, type Row } from './rows';

/**
 * Bad input, property-tested: for every model, records of arbitrary values for
 * its columns are either stored exactly as the model accepted them, or refused
 * with a ValidationError that names only fields of the record, with no row
 * written. Never a raw database error.
 */

// A cheap hasher: these properties are about validation, and bcrypt would make 200 runs slow.
const t = useTestDatabase(cheapHasher);

// 200 runs a model: generous time, so that a busy machine slows the suite down rather than failing it.
jest.setTimeout(60_000);

const SEED = 20261127;
const RUNS = 200;
const SKIPPED = new Set(['id', 'createdAt', 'updatedAt', 'deletedAt', 'createdById', 'updatedById']);

interface AttributeShape {
  type: { key: string; options?: { length?: number }; values?: string[] };
  references?: unknown;
}

const hostile = fc.oneof(
  fc.constantFrom<unknown>(null, '', ' ', '\u0000', 'a\ud800b', '\udfff', 'true', '1', '0x10', '1e3', '💥'),
  fc.integer(),
  fc.double(),
  fc.constantFrom<unknown>(2 ** 31, -(2 ** 31) - 1, Number.NaN, Number.POSITIVE_INFINITY, -0),
  fc.boolean(),
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
  fc.date(),
);

/**
 * Passwords: strings around bcrypt's 72-byte limit in characters of every width, and values of every
 * other JavaScript type, none of which may ever reach the column.
 */
const passwordLike = fc.oneof(
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }), weight: 3 },
  { arbitrary: fc.string({ unit: 'grapheme', minLength: 14, maxLength: 80 }), weight: 2 },
  { arbitrary: fc.string({ unit: 'binary', minLength: 60, maxLength: 80 }), weight: 1 },
  {
    arbitrary: fc.oneof(
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.bigInt(),
      fc.constantFrom<unknown>(null, Number.NaN, '', '   ', Symbol('password'), () => 'password', [], {}),
      fc.array(fc.string(), { minLength: 1, maxLength: 2 }),
      fc.dictionary(fc.string({ maxLength: 3 }), fc.string(), { minKeys: 1, maxKeys: 2 }),
      fc.string().map((text) => Buffer.from(text)),
      fc.date(),
      fc.string().map((text) => ({ toString: () => text })),
    ),
    weight: 3,
  },
);

/** What a password must be to be stored: a string, not blank, of at most 72 UTF-8 bytes. */
function isStorablePassword(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '' && Buffer.byteLength(value, 'utf8') <= 72;
}

/** Plausible values for the columns with a format, so that runs reach valid records too. */
const FORMATTED: Record<string, fc.Arbitrary<unknown>> = {
  slug: fc.stringMatching(/^[a-z0-9-]{1,30}$/),
  email: fc.emailAddress(),
  mime_type: fc.constantFrom('image/png', 'video/mp4', 'audio/mpeg', 'application/pdf'),
  cdn_url: fc.webUrl(),
  publicUrl: fc.webUrl(),
  overlay_color: fc.constantFrom('#000', '#12ab34', '#ffffffff'),
  password: passwordLike,
};

/** Plausible values of a column's type, within and just past its bounds. */
function plausible(name: string, attribute: AttributeShape): fc.Arbitrary<unknown> {
  const formatted = FORMATTED[name];
  if (formatted) return formatted;
  const { key, options, values } = attribute.type;
  switch (key) {
    case 'STRING':
    case 'TEXT': {
      const max = options?.length ?? 300;
      return fc.oneof(
        { arbitrary: fc.string({ minLength: 1, maxLength: Math.min(max, 40) }), weight: 4 },
        { arbitrary: fc.string({ unit: 'grapheme', minLength: max - 2, maxLength: max + 3 }), weight: 1 },
        { arbitrary: fc.string({ unit: 'binary', maxLength: 20 }), weight: 1 },
      );
    }
    case 'ENUM':
      return fc.constantFrom(...(values ?? []));
    case 'INTEGER':
      return fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer(), fc.double());
    case 'DECIMAL':
      return fc.oneof(fc.double({ min: 0, max: 1, noNaN: true }), fc.double());
    case 'BOOLEAN':
      return fc.boolean();
    case 'DATE':
      return fc.oneof(
        fc.date({ min: new Date('1900-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }),
        fc.date(),
      );
    case 'JSON':
      return fc.oneof(fc.jsonValue(), fc.constantFrom<unknown>(Number.NaN, [undefined], { bad: 'x\ud800' }, 10n));
    case 'UUID':
      return fc.oneof(fc.uuid(), fc.string({ maxLength: 36 }));
    default:
      throw new Error(`no generator for ${key}`);
  }
}

/** Values for one column: mostly plausible ones, sometimes anything at all. */
function valuesFor(name: string, attribute: AttributeShape): fc.Arbitrary<unknown> {
  return fc.oneof({ arbitrary: plausible(name, attribute), weight: 4 }, { arbitrary: hostile, weight: 1 });
}

function generatedFields(db: Db, table: ModelTable): Record<string, AttributeShape> {
  const attributes = modelOf(db, table).getAttributes() as unknown as Record<string, AttributeShape>;
  return Object.fromEntries(
    Object.entries(attributes).filter(
      ([name, attribute]) => !SKIPPED.has(name) && !attribute.references && attribute.type.key !== 'VIRTUAL',
    ),
  );
}

/** Equal as stored: numbers by value (-0 is 0), dates by time, documents by their JSON. */
function sameStored(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Parents the factories would otherwise create on every run. */
async function parents(db: Db): Promise<Record<string, unknown>> {
  const asset = await build.asset(db);
  return { projectId: asset.projectId, assetId: asset.id };
}

describe('arbitrary input is stored exactly or refused with a ValidationError', () => {
  test.each(MODEL_TABLES)('%s', async (table) => {
    const db = t.db;
    const model = modelOf(db, table);
    const fields = generatedFields(db, table);
    const fixed = await parents(db);
    const outcomes = { stored: 0, refused: 0 };

    const records = fc.record(
      Object.fromEntries(Object.entries(fields).map(([name, attribute]) => [name, valuesFor(name, attribute)])),
      { requiredKeys: [] },
    );

    await fc.assert(
      fc.asyncProperty(records, async (record) => {
        const before = await model.count({ paranoid: false });
        const keys = Object.keys(record);
        // Parents with a unique pair per row (memberships, presentation access) get a user of their own.
        const user = table === 'project_memberships' || table === 'production_presentation_access';
        const overrides = { ...(user ? { userId: (await build.user(db)).id } : {}), ...record };
        let created: Row;
        try {
          created = await MODEL_FACTORIES[table](
            db,
            table === 'asset_variants'
              ? { assetId: fixed.assetId, ...overrides }
              : { projectId: fixed.projectId, ...overrides },
          );
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          const paths = error.errors.map((item) => item.path ?? '');
          expect(paths.length).toBeGreaterThan(0);
          for (const path of paths) expect(keys).toContain(path);
          expect(await model.count({ paranoid: false })).toBe(before);
          outcomes.refused += 1;
          return;
        }
        const stored = (await model
          .scope(table === 'users' ? 'withSecrets' : 'defaultScope')
          .findByPk(created.id)) as unknown as Row;
        for (const key of keys) {
          if (!sameStored(stored.get(key), created.get(key))) {
            throw new Error(`${table}.${key}: stored ${String(stored.get(key))}, accepted ${String(created.get(key))}`);
          }
        }
        await created.destroy({ force: true });
        outcomes.stored += 1;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    // Both outcomes happen: the generators reach valid and invalid input alike.
    expect(outcomes.stored + outcomes.refused).toBe(RUNS);
    expect(outcomes.stored).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

describe('users: a password is stored as a hash that checks it, or refused naming password', () => {
  test('on create and on update, with or without validation', async () => {
    const db = t.db;
    const outcomes = { stored: 0, refused: 0 };
    const refusedAs = async (write: () => Promise<unknown>) => {
      const error = await write().then(
        () => undefined,
        (caught: unknown) => caught,
      );
      if (error === undefined) return false;
      if (!(error instanceof ValidationError)) throw error;
      expect(error.errors.map((item) => item.path)).toEqual(['password']);
      return true;
    };
    await fc.assert(
      fc.asyncProperty(passwordLike, fc.boolean(), async (password, validate) => {
        // A failed run leaves its user behind; shrinking runs again.
        await db.sequelize.query('DELETE FROM "users"');
        const before = await db.users.count();
        const storable = isStorablePassword(password);
        const create = () => db.users.create({ email: 'pw@example.com', password: password as string }, { validate });
        expect(await refusedAs(create)).toBe(!storable);
        expect(await db.users.count()).toBe(before + (storable ? 1 : 0));
        if (!storable) {
          outcomes.refused += 1;
          return;
        }
        const created = await db.users.scope('withSecrets').findOne({ where: { email: 'pw@example.com' } });
        if (!created) throw new Error('the stored user is not there');
        expect(created.password).not.toBe(password);
        await expect(created.checkPassword(password)).resolves.toBe(true);
        // Changing it follows the same rule; a refusal leaves the hash as it was.
        const longer = `${password}!`;
        expect(await refusedAs(() => created.update({ password: longer }, { validate }))).toBe(
          !isStorablePassword(longer),
        );
        const hash = (await db.users.scope('withSecrets').findByPk(created.id))?.password;
        expect(await refusedAs(() => created.update({ password: [password] as never }, { validate }))).toBe(true);
        expect((await db.users.scope('withSecrets').findByPk(created.id))?.password).toBe(hash);
        outcomes.stored += 1;
      }),
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    expect(outcomes.stored).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  });
});

const SOME_ID = '6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b';

/** The required columns of each model, valid, for records built without the factories. */
const REQUIRED: Partial<Record<ModelTable, Record<string, unknown>>> = {
  users: { email: 'a@example.com', password: 'pw' },
  roles: { name: 'Role' },
  permissions: { name: 'READ_THINGS' },
  projects: { name: 'Tour', slug: 'tour' },
  project_memberships: {},
  production_presentation_access: { projectId: SOME_ID, userId: SOME_ID },
  tour_pages: { name: 'Page', slug: 'page' },
  assets: { asset_type: 'image' },
  element_type_defaults: { element_type: 'button', name: 'Button' },
  project_element_defaults: { element_type: 'button', projectId: SOME_ID },
  publish_events: { from_environment: 'dev', to_environment: 'stage' },
  publish_snapshots: { environment: 'stage', publishEventId: SOME_ID, projectId: SOME_ID },
  access_logs: { environment: 'admin' },
  project_transition_settings: { environment: 'dev', projectId: SOME_ID },
  project_ui_control_settings: { environment: 'dev', projectId: SOME_ID },
  file: { name: 'a.png', publicUrl: 'https://cdn.example.com/a.png' },
};

describe('the fast validation path never accepts what Sequelize’s validator refuses', () => {
  test.each(MODEL_TABLES)('%s', async (table) => {
    const db = t.db;
    const model = modelOf(db, table);
    const fields = generatedFields(db, table);
    const records = fc.record(
      Object.fromEntries(Object.entries(fields).map(([name, attribute]) => [name, valuesFor(name, attribute)])),
      { requiredKeys: [] },
    );
    let fastAccepted = 0;
    await fc.assert(
      fc.asyncProperty(records, async (record) => {
        // As save() does before validating: the timestamps are set.
        const now = new Date();
        const instance = model.build({ ...REQUIRED[table], ...record, createdAt: now, updatedAt: now } as never);
        if (!certainlyValid(instance)) return;
        fastAccepted += 1;
        // Sequelize's own validator, past the models' override: a rejection fails the property.
        await Model.prototype.validate.call(instance);
      }),
      { seed: SEED, numRuns: RUNS },
    );
    // Reached for every model but users, whose validation hooks (normalising, hashing) always need Sequelize.
    expect(fastAccepted > 0).toBe(table !== 'users');
  });
});
