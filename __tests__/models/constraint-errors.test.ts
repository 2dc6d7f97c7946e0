import { ForeignKeyConstraintError, UniqueConstraintError } from 'sequelize';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';

const t = useTestDatabase(cheapHasher);

describe('constraint errors name their fields', () => {
  test('UniqueConstraintError on a single column', async () => {
    await build.user(t.db, { email: 'ann@example.com' });
    const error = (await build
      .user(t.db, { email: 'ann@example.com' })
      .catch((e: unknown) => e)) as UniqueConstraintError;
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(error.fields).toEqual({ email: 'ann@example.com' });
    expect(error.errors[0]?.path).toBe('email');
  });

  test('UniqueConstraintError on a composite key', async () => {
    const db = t.db;
    const [project, user] = [await build.project(db), await build.user(db)];
    await build.projectMembership(db, { projectId: project.id, userId: user.id });
    const error = (await build
      .projectMembership(db, { projectId: project.id, userId: user.id })
      .catch((e: unknown) => e)) as UniqueConstraintError;
    expect(error).toBeInstanceOf(UniqueConstraintError);
    expect(Object.keys(error.fields).sort()).toEqual(['projectId', 'userId']);
  });

  test('ForeignKeyConstraintError for a parent that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const error = (await t.db.tour_pages
      .create({ name: 'Orphan', slug: 'orphan', projectId: missing })
      .catch((e: unknown) => e)) as ForeignKeyConstraintError;
    expect(error).toBeInstanceOf(ForeignKeyConstraintError);
    expect(error.fields).toEqual({ projectId: missing });
    expect(error.table).toBe('tour_pages');
    expect(error.index).toBe('tour_pages_projectId_fkey');
    expect(await t.db.tour_pages.count({ paranoid: false })).toBe(0);
  });
});
