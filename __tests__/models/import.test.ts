import { UniqueConstraintError } from 'sequelize';
import { ImportValidationError, importRows, isBcryptHash } from '../../src';
import { build } from '../../src/testing/factories';
import { useTestDatabase } from '../support/db';

const t = useTestDatabase();

function pages(projectId: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    name: `Page ${from + i}`,
    slug: `page-${from + i}`,
    projectId,
    importHash: `import-${from + i}`,
    ui_schema_json: { elements: [{ type: 'hotspot', i: from + i }] },
  }));
}

describe('importRows', () => {
  test('inserts every row with its defaults, in batches', async () => {
    const project = await build.project(t.db);
    expect(await importRows(t.db.tour_pages, pages(project.id, 0, 25), { batchSize: 10 })).toEqual({
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
    await importRows(t.db.tour_pages, pages(project.id, 0, 10));
    const again = [...pages(project.id, 5, 10), ...pages(project.id, 14, 2)];
    expect(await importRows(t.db.tour_pages, again)).toEqual({ inserted: 6, skipped: 6 });
    expect(await t.db.tour_pages.count()).toBe(16);
  });

  test('an invalid row names itself and leaves nothing written', async () => {
    const project = await build.project(t.db);
    const rows = pages(project.id, 0, 5);
    rows[3] = { ...rows[3], slug: 'not a slug' } as (typeof rows)[number];
    const error = (await importRows(t.db.tour_pages, rows).catch((e: unknown) => e)) as ImportValidationError;
    expect(error).toBeInstanceOf(ImportValidationError);
    expect(error.row).toBe(3);
    expect(error.errors[0]?.path).toBe('slug');
    expect(await t.db.tour_pages.count()).toBe(0);
  });

  test('a conflict other than importHash fails the import', async () => {
    const project = await build.project(t.db);
    const rows = pages(project.id, 0, 2).map((row) => ({ ...row, slug: 'same' }));
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
