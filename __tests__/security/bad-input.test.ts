import { randomUUID } from 'node:crypto';
import { AggregateError as BulkErrors, Op, ValidationError, type ValidationErrorItem } from 'sequelize';
import { importRows, publishEnvironment } from '../../src';
import { InvalidArgumentError } from '../../src/db/arguments';
import { INDEXED_TEXT_MAX, MAX_JSON_DEPTH } from '../../src/models/base/columns';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';
import { failureOf, uniqueEmail } from './support';

/**
 * Bad input is a ValidationError (or our InvalidArgumentError, which is one)
 * naming the field or argument, before any SQL, and leaves nothing written:
 * over-long indexed text, non-UUID ids, non-finite numbers in `where`, JSON
 * nested deeper than the limit.
 */

jest.setTimeout(60_000);
const t = useTestDatabase();

/** The items of a refusal from any write path (bulkCreate wraps each row's ValidationError). */
function itemsOf(error: Error): ValidationErrorItem[] {
  if (error instanceof BulkErrors) {
    return error.errors.flatMap((bulk) => (bulk as unknown as { errors: ValidationError }).errors.errors);
  }
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).errors;
}

function nested(depth: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let at = root;
  for (let level = 1; level < depth; level += 1) {
    const next: Record<string, unknown> = {};
    at.a = next;
    at = next;
  }
  return root;
}

describe('indexed text is bounded (2,000 characters) in the model and by a CHECK', () => {
  const tenMegabytes = 'a'.repeat(10 * 1024 * 1024);

  test.each([
    ['projects', 'slug'],
    ['tour_pages', 'slug'],
    ['users', 'email'],
  ] as const)('a 10 MB %s.%s is a ValidationError naming it, on every write path', async (table, field) => {
    const project = await build.project(t.db);
    const valid: Record<string, () => Record<string, unknown>> = {
      projects: () => ({ name: 'P', slug: `p-${randomUUID()}` }),
      tour_pages: () => ({ name: 'Page', slug: `s-${randomUUID()}`, projectId: project.id }),
      users: () => ({ email: uniqueEmail(), password: 'pw-long-enough' }),
    };
    const model = t.db[table] as unknown as typeof t.db.projects;
    const existing = (await model.create(valid[table]?.() as never)) as unknown as {
      id: string;
      update(v: object): Promise<unknown>;
    };
    const bad = { ...valid[table]?.(), [field]: tenMegabytes };
    const before = await model.count();
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => model.create(bad as never)],
      ['instance update', () => existing.update({ [field]: tenMegabytes })],
      ['static update', () => model.update({ [field]: tenMegabytes } as never, { where: { id: existing.id } })],
      ['bulkCreate', () => model.bulkCreate([bad as never])],
      ['upsert', () => model.upsert(bad as never)],
      ['importRows', () => importRows(model, [bad])],
    ];
    for (const [path, write] of writes) {
      const items = itemsOf(await failureOf(write()));
      const item = items.find((candidate) => candidate.path === field);
      expect([path, item?.message]).toEqual([path, expect.stringMatching(/at most 2000 characters|valid email/)]);
      // The refused value does not travel in full with the error.
    }
    expect(await model.count()).toBe(before);
  });

  test('every indexed TEXT column of every model has a bound of at most 2,000 and a CHECK', () => {
    const checked: string[] = [];
    for (const model of Object.values(t.db.sequelize.models)) {
      const attributes = model.getAttributes() as Record<
        string,
        { type: { key: string }; unique?: unknown; lengthCheck?: number }
      >;
      const indexed = new Set<string>(Object.keys(attributes).filter((name) => attributes[name]?.unique));
      for (const index of model.options.indexes ?? []) {
        for (const field of index.fields ?? [])
          indexed.add(typeof field === 'string' ? field : String((field as { name: string }).name));
      }
      for (const name of indexed) {
        const attribute = attributes[name];
        if (attribute?.type.key !== 'TEXT') continue;
        expect([model.name, name, attribute.lengthCheck]).toEqual([model.name, name, expect.any(Number)]);
        expect(attribute.lengthCheck).toBeLessThanOrEqual(INDEXED_TEXT_MAX);
        checked.push(`${model.name}.${name}`);
      }
    }
    expect(checked.sort()).toEqual([
      'element_type_defaults.element_type',
      'permissions.name',
      'project_audio_tracks.source_key',
      'project_element_defaults.element_type',
      'project_transition_settings.source_key',
      'projects.slug',
      'tour_pages.slug',
      'tour_pages.source_key',
      'users.email',
    ]);
  });

  test('2,000 characters is the bound: 2,000 is stored, 2,001 is refused', async () => {
    expect(INDEXED_TEXT_MAX).toBe(2000);
    const slug = 's'.repeat(2000);
    const project = await t.db.projects.create({ name: 'P', slug });
    expect((await t.db.projects.findByPk(project.id))?.slug).toBe(slug);
    const error = await failureOf(t.db.projects.create({ name: 'P', slug: `${slug}x` }));
    expect((error as ValidationError).errors.map((item) => [item.path, item.message])).toEqual([
      ['slug', 'Slug must be at most 2000 characters'],
    ]);
  });

  test('the database refuses a longer value that does not come through the model', async () => {
    const slug = 's'.repeat(2001);
    await expect(
      t.db.sequelize.query(
        `INSERT INTO projects (id, name, slug, production_presentation_visibility, "createdAt", "updatedAt")
         VALUES ('${randomUUID()}', 'P', '${slug}', 'public', now(), now())`,
      ),
    ).rejects.toThrow(/projects_slug_length/);
  });
});

describe('ids given to package functions must be UUIDs', () => {
  test.each(["' OR 1=1 --", '', '1', 'not-a-uuid', `${randomUUID()}x`])(
    'publishEnvironment with projectId %p',
    async (projectId) => {
      const error = await failureOf(publishEnvironment(t.db, projectId, 'dev', 'stage'));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as InvalidArgumentError).argument).toBe('projectId');
      expect((error as ValidationError).errors[0]?.path).toBe('projectId');
      expect(error.message).toMatch(/^projectId must be a UUID, got /);
      expect(await t.db.publish_events.count()).toBe(0);
    },
  );

  test('publishEnvironment with a non-UUID userId, or a non-string projectId', async () => {
    const project = await build.project(t.db);
    const userError = await failureOf(publishEnvironment(t.db, project.id, 'dev', 'stage', { userId: '1 OR 1=1' }));
    expect((userError as InvalidArgumentError).argument).toBe('options.userId');
    for (const id of [42, null, { id: randomUUID() }, [randomUUID()]]) {
      const error = await failureOf(publishEnvironment(t.db, id as never, 'dev', 'stage'));
      expect((error as InvalidArgumentError).argument).toBe('projectId');
    }
    expect(await t.db.publish_events.count()).toBe(0);
  });

  test('a message shows a long value cut short', async () => {
    const error = await failureOf(publishEnvironment(t.db, 'x'.repeat(100_000), 'dev', 'stage'));
    expect(error.message.length).toBeLessThan(120);
    expect(JSON.stringify(error).length).toBeLessThan(1000);
  });

  test('findByPk and where on UUID columns', async () => {
    for (const run of [
      () => t.db.projects.findByPk("' OR 1=1 --"),
      () => t.db.tour_pages.findAll({ where: { projectId: { [Op.in]: [randomUUID(), 'nope'] } } }),
      () => t.db.tour_pages.destroy({ where: { projectId: 7 as never } }),
    ]) {
      const error = await failureOf(run());
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toMatch(/^where\.(id|projectId) must be a UUID, got /);
    }
  });
});

describe('non-finite numbers in where are refused before SQL, naming the attribute', () => {
  const values = [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NaN];

  test.each(values)('%p, on every query that takes a where', async (value) => {
    const page = await build.tourPage(t.db);
    const queries: (() => Promise<unknown>)[] = [
      () => t.db.tour_pages.findAll({ where: { sort_order: value } }),
      () => t.db.tour_pages.findOne({ where: { sort_order: { [Op.gt]: value } } }),
      () => t.db.tour_pages.count({ where: { [Op.or]: [{ sort_order: 1 }, { sort_order: [2, value] }] } }),
      () => t.db.tour_pages.findAndCountAll({ where: { sort_order: { [Op.between]: [0, value] } } }),
      () => t.db.tour_pages.update({ name: 'x' }, { where: { sort_order: value } }),
      () => t.db.tour_pages.destroy({ where: { sort_order: value } }),
      () => t.db.tour_pages.restore({ where: { sort_order: value } }),
    ];
    for (const query of queries) {
      const error = await failureOf(query());
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toBe(`where.sort_order must be a finite number, got ${value}`);
      expect((error as ValidationError).errors[0]?.path).toBe('where.sort_order');
    }
    const include = await failureOf(
      t.db.projects.findAll({ include: [{ association: 'tour_pages_project', where: { sort_order: value } }] }),
    );
    expect(include.message).toBe(`include(tour_pages_project).where.sort_order must be a finite number, got ${value}`);
    const json = await failureOf(t.db.tour_pages.findAll({ where: { ui_schema_json: { a: value } } as never }));
    expect(json.message).toBe(`where.ui_schema_json.a must be a finite number, got ${value}`);
    expect((await t.db.tour_pages.findByPk(page.id))?.name).toBe(page.name);
  });

  test('a where nested deeper than 100 levels is refused', async () => {
    // (Far deeper, Sequelize's own copy of the options overflows the stack before any hook runs: see the README.)
    let where: Record<string | symbol, unknown> = { sort_order: 1 };
    for (let level = 0; level < 150; level += 1) where = { [Op.and]: [where] };
    const error = await failureOf(t.db.tour_pages.findAll({ where }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toMatch(/^where must be nested at most 100 levels deep/);
  });

  test('finite numbers, big integers and dates still query', async () => {
    const page = await build.tourPage(t.db, { sort_order: 3 });
    const found = await t.db.tour_pages.findAll({
      where: { sort_order: { [Op.between]: [0, 2 ** 31 - 1] }, createdAt: { [Op.lte]: new Date() }, id: page.id },
    });
    expect(found.map((row) => row.id)).toEqual([page.id]);
  });
});

describe(`JSON deeper than ${MAX_JSON_DEPTH} levels is a ValidationError that says so`, () => {
  test('the limit: 100 levels are stored and read back, 101 are refused', async () => {
    expect(MAX_JSON_DEPTH).toBe(100);
    const cache = await build.pwaCache(t.db, { manifest_json: nested(100) });
    expect((await t.db.pwa_caches.findByPk(cache.id))?.manifest_json).toEqual(nested(100));
    const error = await failureOf(build.pwaCache(t.db, { manifest_json: nested(101) }));
    expect((error as ValidationError).errors.map((item) => [item.path, item.message])).toEqual([
      ['manifest_json', 'Manifest must be a JSON document nested at most 100 levels deep'],
    ]);
  });

  test.each([5_000, 100_000])('%p levels, on every write path', async (depth) => {
    const deep = nested(depth);
    const cache = await build.pwaCache(t.db);
    const projectId = cache.projectId as string;
    const before = await t.db.pwa_caches.count();
    const stored = (await t.db.pwa_caches.findByPk(cache.id))?.toJSON();
    const writes: [string, () => Promise<unknown>][] = [
      ['create', () => t.db.pwa_caches.create({ projectId, manifest_json: deep })],
      ['instance update', () => cache.update({ asset_list_json: deep as never })],
      ['static update', () => t.db.pwa_caches.update({ manifest_json: deep }, { where: { id: cache.id } })],
      ['bulkCreate', () => t.db.pwa_caches.bulkCreate([{ projectId, manifest_json: deep }])],
      ['upsert', () => t.db.pwa_caches.upsert({ projectId, manifest_json: deep })],
      ['importRows', () => importRows(t.db.pwa_caches, [{ projectId, manifest_json: deep }])],
    ];
    for (const [path, write] of writes) {
      const items = itemsOf(await failureOf(write()));
      expect([path, items.map((item) => item.message)]).toEqual([
        path,
        [expect.stringMatching(/^(Manifest|Asset list) must be a JSON document nested at most 100 levels deep$/)],
      ]);
    }
    expect(await t.db.pwa_caches.count()).toBe(before);
    expect((await t.db.pwa_caches.findByPk(cache.id))?.toJSON()).toEqual(stored);
  });
});
