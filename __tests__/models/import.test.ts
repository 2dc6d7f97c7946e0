import fc from 'fast-check';
import { UniqueConstraintError } from 'sequelize';
import { ImportValidationError, importRows, isBcryptHash } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';
import { pagesToImport } from './rows';

const t = useTestDatabase();

describe('importRows', () => {
  test('inserts every row with its defaults, in batches', async () => {
    const project = await build.project(t.db);
    expect(await importRows(t.db.tour_pages, pagesToImport(project.id, 0, 25), { batchSize: 10 })).toEqual({
      inserted: 25,
      skipped: 0,
    });
    const stored = await t.db.tour_pages.findOne({ where: { importHash: 'import-7' } });
    expect(stored).toMatchObject({ slug: 'page-7', environment: 'dev', sort_order: 0, requires_auth: false });
    expect(stored?.ui_schema_json).toEqual({ elements: [{ type: 'hotspot', i: 7 }] });
    expect(stored?.createdAt).toBeInstanceOf(Date);
  });

  test('skips rows whose importHash is already there, or earlier in the same import', async () => {
    const project = await build.project(t.db);
    await importRows(t.db.tour_pages, pagesToImport(project.id, 0, 10));
    const again = [...pagesToImport(project.id, 5, 10), ...pagesToImport(project.id, 14, 2)];
    expect(await importRows(t.db.tour_pages, again)).toEqual({ inserted: 6, skipped: 6 });
    expect(await t.db.tour_pages.count()).toBe(16);
  });

  test('an invalid row names itself and leaves nothing written', async () => {
    const project = await build.project(t.db);
    const rows = pagesToImport(project.id, 0, 5);
    rows[3] = { ...rows[3], slug: 'not a slug' } as (typeof rows)[number];
    const error = (await importRows(t.db.tour_pages, rows).catch((e: unknown) => e)) as ImportValidationError;
    expect(error).toBeInstanceOf(ImportValidationError);
    expect(error.row).toBe(3);
    expect(error.errors[0]?.path).toBe('slug');
    expect(await t.db.tour_pages.count()).toBe(0);
  });

  test('an invalid row of the first batch fails before any statement goes out', async () => {
    const project = await build.project(t.db);
    const rows = pagesToImport(project.id, 0, 30);
    rows[7] = { ...rows[7], environment: 'nowhere' } as unknown as (typeof rows)[number];
    const sent: string[] = [];
    const record = (options: unknown) => {
      sent.push(String((options as { type?: string }).type));
    };
    t.db.sequelize.addHook('beforeQuery', 'import-test', record);
    try {
      const error = await importRows(t.db.tour_pages, rows, { batchSize: 10 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImportValidationError);
      expect((error as ImportValidationError).row).toBe(7);
      // Not even the transaction's BEGIN.
      expect(sent).toEqual([]);
      // The hook does see what a valid import sends.
      await importRows(t.db.tour_pages, pagesToImport(project.id, 0, 3));
      expect(sent.length).toBeGreaterThan(0);
    } finally {
      t.db.sequelize.removeHook('beforeQuery', 'import-test');
    }
  });

  test('a conflict other than importHash fails the import', async () => {
    const project = await build.project(t.db);
    const rows = pagesToImport(project.id, 0, 2).map((row) => ({ ...row, slug: 'same' }));
    await expect(importRows(t.db.tour_pages, rows)).rejects.toBeInstanceOf(UniqueConstraintError);
  });

  test('imported users get hashed passwords and normalised emails', async () => {
    const result = await importRows(t.db.users, [
      { email: ' Imported@Example.com ', password: 'imported pw', importHash: 'u1' },
    ]);
    expect(result.inserted).toBe(1);
    const user = await t.db.users.scope('withSecrets').findOne({ where: { importHash: 'u1' } });
    expect(user?.email).toBe('imported@example.com');
    expect(isBcryptHash(user?.password)).toBe(true);
    await expect(user?.checkPassword('imported pw')).resolves.toBe(true);
  });
});

describe('importRows: what goes in comes back (COPY on PostgreSQL, INSERT on pg-mem)', () => {
  // Text that COPY's format escapes (tab, newline, carriage return, backslash) and text it does not.
  const tricky = fc.oneof(
    fc.constantFrom('a\tb', 'a\nb', 'a\r\nb', 'back\\slash', '\\N', '\\.', 'ünïcödé 💥', 'quote \' and " both', ''),
    fc.string({ unit: fc.constantFrom('a', 'Z', ' ', '\t', '\n', '\r', '\\', 'N', '.', '"', "'", 'é', '💥') }),
  );

  test('text, JSON, numbers, booleans, dates and NULLs, as create() stores them', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            name: tricky,
            url: fc.option(tricky),
            loop: fc.boolean(),
            volume: fc.option(fc.integer({ min: 0, max: 100 }).map((n) => n / 100)),
            sort_order: fc.option(fc.integer({ min: -1000, max: 1000 })),
            environment: fc.option(fc.constantFrom('dev' as const, 'stage' as const, 'production' as const)),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        tricky,
        async (tracks, key) => {
          const project = await build.project(t.db);
          const rows = tracks.map((track, i) => ({ ...track, projectId: project.id, importHash: `${key}-${i}` }));
          expect(await importRows(t.db.project_audio_tracks, rows, { batchSize: 4 })).toEqual({
            inserted: rows.length,
            skipped: 0,
          });
          const created = await Promise.all(
            rows.map((row) => t.db.project_audio_tracks.create({ ...row, importHash: `created-${row.importHash}` })),
          );
          const read = async (importHash: string) =>
            (await t.db.project_audio_tracks.findOne({ where: { importHash } }))?.get({ plain: true }) as Record<
              string,
              unknown
            >;
          for (const [i, row] of rows.entries()) {
            const { id, importHash, createdAt, updatedAt, ...imported } = await read(row.importHash);
            const {
              id: _,
              importHash: __,
              createdAt: ___,
              updatedAt: ____,
              ...made
            } = await read(created[i]?.importHash as string);
            expect(imported).toEqual(made);
            expect(createdAt).toBeInstanceOf(Date);
          }
          await t.db.project_audio_tracks.destroy({ where: { projectId: project.id }, force: true });
        },
      ),
      { numRuns: 15, seed: 20261127 },
    );
  }, 120_000);

  test('UI schemas with escapes, nesting and unicode round-trip exactly', async () => {
    const project = await build.project(t.db);
    const documents = [
      { text: 'tab\there', lines: 'one\ntwo\r\nthree', path: 'C:\\tours\\new', nul: '\\u0000 stays text' },
      { nested: { deeper: [1, 2.5, -3e-7, true, null, 'x'] }, emoji: '🎉', quote: '"\'' },
      [],
      { empty: {} },
    ];
    const rows = documents.map((ui_schema_json, i) => ({
      name: `Page ${i}`,
      slug: `page-${i}`,
      projectId: project.id,
      importHash: `doc-${i}`,
      ui_schema_json,
    }));
    await importRows(t.db.tour_pages, rows);
    for (const [i, document] of documents.entries()) {
      const page = await t.db.tour_pages.findOne({ where: { importHash: `doc-${i}` } });
      expect(page?.ui_schema_json).toEqual(document);
    }
  });

  test('an invalid row in a later batch leaves the earlier batches unwritten too', async () => {
    const project = await build.project(t.db);
    const rows = pagesToImport(project.id, 0, 30);
    rows[25] = { ...rows[25], name: '' } as (typeof rows)[number];
    const error = await importRows(t.db.tour_pages, rows, { batchSize: 10 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImportValidationError);
    expect((error as ImportValidationError).row).toBe(25);
    expect(await t.db.tour_pages.count()).toBe(0);
  });

  test('duplicates within the import across batches: the first one is written', async () => {
    const project = await build.project(t.db);
    const rows = [
      ...pagesToImport(project.id, 0, 5),
      ...pagesToImport(project.id, 0, 5).map((row) => ({ ...row, slug: `${row.slug}-again` })),
    ];
    expect(await importRows(t.db.tour_pages, rows, { batchSize: 3 })).toEqual({ inserted: 5, skipped: 5 });
    expect((await t.db.tour_pages.findAll()).map((page) => page.slug).sort()).toEqual([
      'page-0',
      'page-1',
      'page-2',
      'page-3',
      'page-4',
    ]);
  });

  test('no rows: nothing to do', async () => {
    expect(await importRows(t.db.tour_pages, [])).toEqual({ inserted: 0, skipped: 0 });
  });
});
