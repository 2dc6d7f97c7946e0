import { DatabaseError, UniqueConstraintError } from 'sequelize';
import { createDb, importRows } from '../../src';
import { build } from '../../src/testing/factories';
import { pagesToImport } from '../models/rows';
import { useTestDatabase } from '../support/db';
import { urlOf, workerDatabase } from '../support/server';

/** What importRows does on PostgreSQL only: COPY into a temporary table, savepoints, errors of the COPY. */

const t = useTestDatabase();

describe('importRows on PostgreSQL', () => {
  test('streams with COPY into a temporary table, then one INSERT ... SELECT a batch', async () => {
    const project = await build.project(t.db);
    const statements: string[] = [];
    const db = createDb({ url: urlOf(workerDatabase()), logging: (sql: string) => statements.push(sql) });
    try {
      expect(await importRows(db.tour_pages, pagesToImport(project.id, 0, 25), { batchSize: 10 })).toEqual({
        inserted: 25,
        skipped: 0,
      });
    } finally {
      await db.sequelize.close();
    }
    const kinds = statements.map((sql) => /Executing \([^)]*\): (\w+(?: TEMP)?)/.exec(sql)?.[1]);
    expect(kinds.filter((kind) => kind === 'COPY')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'INSERT')).toHaveLength(3);
    expect(kinds.filter((kind) => kind === 'CREATE TEMP')).toHaveLength(1);
    expect(statements.join('\n')).not.toContain('Page 7');
  });

  test('inside the caller’s transaction: a failed import leaves that transaction usable', async () => {
    const project = await build.project(t.db);
    await t.db.sequelize.transaction(async (transaction) => {
      await t.db.tour_pages.create({ name: 'Kept', slug: 'kept', projectId: project.id }, { transaction });
      const rows = pagesToImport(project.id, 0, 3).map((row) => ({ ...row, slug: 'same' }));
      await expect(importRows(t.db.tour_pages, rows, { transaction })).rejects.toBeInstanceOf(UniqueConstraintError);
      expect(await importRows(t.db.tour_pages, pagesToImport(project.id, 10, 2), { transaction })).toEqual({
        inserted: 2,
        skipped: 0,
      });
    });
    expect((await t.db.tour_pages.findAll()).map((page) => page.slug).sort()).toEqual(['kept', 'page-10', 'page-11']);
  });

  test('a value the table refuses at COPY is a DatabaseError naming the row and column, not the value', async () => {
    const project = await build.project(t.db);
    // The table drifts from the model: source_key becomes an integer, which the model still validates as text.
    // (Its length CHECK is about text: it goes for the time of the test.)
    await t.db.sequelize.query(
      'ALTER TABLE tour_pages DROP CONSTRAINT tour_pages_source_key_length, ALTER COLUMN source_key TYPE integer USING NULL',
    );
    try {
      const rows = pagesToImport(project.id, 0, 3).map((row, i) => ({
        ...row,
        source_key: i === 2 ? 'hunter2-secret' : '7',
      }));
      const error = (await importRows(t.db.tour_pages, rows).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(DatabaseError);
      expect(error.message).toMatch(/row 2, column source_key/);
      expect(`${error.message} ${error.stack} ${JSON.stringify(error)}`).not.toContain('hunter2');
      expect(await t.db.tour_pages.count()).toBe(0);
    } finally {
      await t.db.sequelize.query(
        'ALTER TABLE tour_pages ALTER COLUMN source_key TYPE text, ADD CONSTRAINT tour_pages_source_key_length CHECK (char_length(source_key) <= 2000)',
      );
    }
  });
});
