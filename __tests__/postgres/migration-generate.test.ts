import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataTypes, type ModelStatic, type Sequelize } from 'sequelize';
import { diffSchemas, MIGRATIONS, type Migration, migrate, readSchema, rollback } from '../../src';
import { compareOwned, snapshotOf } from '../../src/migrations/drift';
import { generateMigration, nextNumber } from '../../src/migrations/generate';
import { modelsCatalog } from '../../src/migrations/scratch';
import { scratchDatabases } from '../support/scratch-databases';

const databases = scratchDatabases();
const folder = mkdtempSync(join(tmpdir(), 'tbp-mig-generated-'));
afterAll(async () => {
  rmSync(folder, { recursive: true, force: true });
  await databases.dropAll();
}, 60_000);

type Internals = ModelStatic<never> & {
  rawAttributes: Record<string, Record<string, unknown>>;
  _indexes: { name?: string; fields: string[]; unique?: boolean; where?: unknown }[];
  refreshAttributes(): void;
};

/** A developer's edit of the models, one of each kind the generator has to write. */
function changeModels(reference: Sequelize): void {
  const model = (name: string) => reference.model(name) as unknown as Internals;
  const users = model('users');
  // Added (nullable), retyped, new default.
  users.rawAttributes.nickname = { type: DataTypes.STRING(40), allowNull: true };
  users.rawAttributes.phoneNumber = { ...users.rawAttributes.phoneNumber, type: DataTypes.STRING(21) };
  users.rawAttributes.provider = { ...users.rawAttributes.provider, defaultValue: 'github' };
  // A partial composite index added; unique, so that a constraint-free unique index is covered too.
  users._indexes.push({
    name: 'users_last_name_first_name_live',
    fields: ['lastName', 'firstName'],
    unique: true,
    where: { deletedAt: null },
  });
  users.refreshAttributes();

  const projects = model('projects');
  // Renamed (drop + add), dropped, added NOT NULL with a default, made NOT NULL.
  projects.rawAttributes.logo_href = { ...projects.rawAttributes.logo_url, field: 'logo_href' };
  delete projects.rawAttributes.logo_url;
  delete projects.rawAttributes.og_image_url;
  projects.rawAttributes.priority = { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 };
  projects.rawAttributes.description = { ...projects.rawAttributes.description, allowNull: false };
  projects.refreshAttributes();

  // An ENUM label added, and used at once as the default (so it must be committed first).
  const pages = model('tour_pages');
  const environments = ['dev', 'stage', 'qa', 'production'];
  pages.rawAttributes.environment = {
    ...pages.rawAttributes.environment,
    type: DataTypes.ENUM(...environments),
    values: environments,
    defaultValue: 'qa',
  };
  // An index dropped.
  pages._indexes = pages._indexes.filter((index) => index.fields.join() !== 'deletedAt');
  pages.refreshAttributes();

  // An ENUM label removed; a foreign key's ON DELETE changed.
  const variants = model('asset_variants');
  const kinds = ['thumbnail', 'preview', 'webp', 'mp4_low', 'mp4_high'];
  variants.rawAttributes.variant_type = {
    ...variants.rawAttributes.variant_type,
    type: DataTypes.ENUM(...kinds),
    values: kinds,
  };
  variants.rawAttributes.assetId = { ...variants.rawAttributes.assetId, onDelete: 'SET NULL' };
  variants.refreshAttributes();

  // A table dropped (with its ENUM type), and one added with a new ENUM type, a foreign key and a composite index.
  reference.modelManager.removeModel(reference.model('pwa_caches'));
  const notes = reference.define(
    'tour_notes',
    {
      id: { type: DataTypes.UUID, primaryKey: true, defaultValue: DataTypes.UUIDV4 },
      body: { type: DataTypes.TEXT, allowNull: false },
      kind: { type: DataTypes.ENUM('note', 'warning'), allowNull: false, defaultValue: 'note' },
    },
    { tableName: 'tour_notes', timestamps: false, indexes: [{ fields: ['projectId', 'kind'] }] },
  );
  notes.belongsTo(reference.model('projects'), {
    foreignKey: { name: 'projectId', allowNull: false },
    onDelete: 'CASCADE',
  });
}

function load(source: string, name: string): Migration {
  const file = join(folder, `${name}.ts`);
  writeFileSync(file, source);
  const exported = Object.values(require(file) as Record<string, Migration>);
  expect(exported).toHaveLength(1);
  return exported[0] as Migration;
}

describe('generated migrations', () => {
  test('nothing to generate while the models match the migrations', async () => {
    const db = await databases.open('generate_none');
    expect(await generateMigration(db.sequelize, { name: '9001-nothing' })).toEqual({
      source: undefined,
      constant: undefined,
    });
  }, 120_000);

  test('the next number follows the last', () => {
    expect(nextNumber(['0001-initial-schema', '0004-publish-lineage', '0003-text-bounds'])).toBe('0005');
    expect(nextNumber([])).toBe('0001');
  });

  test('a bad name is refused', async () => {
    const db = await databases.open('generate_name');
    await expect(generateMigration(db.sequelize, { name: 'Add Stuff' })).rejects.toThrow(
      'A migration\'s name is NNNN-words-in-kebab-case, got "Add Stuff"',
    );
  });

  test('every kind of model change: generated, migrated without drift, rolled back to the old schema', async () => {
    const db = await databases.open('generate_all');
    await migrate(db.sequelize);
    // Rows, so that the statements meet data as they would in production.
    const user = await db.users.create({ email: 'ann@example.com', password: 'correct horse battery' });
    const project = await db.projects.create({
      name: 'Tour',
      slug: 'tour',
      description: 'a tour',
      createdById: user.id,
    });
    await db.tour_pages.create({ name: 'Home', slug: 'home', projectId: project.id, environment: 'dev' });
    const before = await readSchema(db.sequelize);

    const name = `${nextNumber(MIGRATIONS.map(({ name }) => name))}-model-changes`;
    const generated = await generateMigration(db.sequelize, { name, adjustModels: changeModels });
    const source = generated.source as string;
    expect(generated.constant).toMatch(/^migration\d{4}ModelChanges$/);

    // The new label is added before `up`, in a transaction of its own; up/down are there for every change.
    expect(source).toContain(
      "const BEFORE_UP: string[] = [\n  `ALTER TYPE \"enum_tour_pages_environment\" ADD VALUE IF NOT EXISTS 'qa' AFTER 'stage'`,\n];",
    );
    expect(source).toContain('async beforeUp({ context: { sequelize, transaction } }) {');
    for (const expected of [
      'ALTER TABLE "users" ADD COLUMN "nickname" character varying(40)',
      'ALTER TABLE "users" ALTER COLUMN "phoneNumber" TYPE character varying(21)',
      // (The types of existing columns are left open: other migrations may have changed them.)
      `ALTER TABLE "users" ALTER COLUMN "provider" SET DEFAULT 'github'::`,
      'ALTER TABLE "projects" DROP COLUMN "logo_url"',
      'ALTER TABLE "projects" ADD COLUMN "logo_href" ',
      '// projects: logo_url, og_image_url dropped and logo_href, priority added. If one is a rename, replace its DROP and ADD with ALTER TABLE ... RENAME COLUMN',
      'ALTER TABLE "projects" ADD COLUMN "priority" integer NOT NULL DEFAULT 0',
      'ALTER TABLE "projects" ALTER COLUMN "description" SET NOT NULL',
      '// projects.description becomes NOT NULL: this fails while a row holds NULL.',
      `ALTER TABLE "tour_pages" ALTER COLUMN "environment" SET DEFAULT 'qa'::enum_tour_pages_environment`,
      'DROP INDEX "tour_pages_deleted_at"',
      'CREATE UNIQUE INDEX users_last_name_first_name_live ON users USING btree ("lastName", "firstName") WHERE ("deletedAt" IS NULL)',
      '// enum_asset_variants_variant_type: original removed.',
      'ALTER TYPE "enum_asset_variants_variant_type" RENAME TO "enum_asset_variants_variant_type__old"',
      `CREATE TYPE "enum_asset_variants_variant_type" AS ENUM ('thumbnail', 'preview', 'webp', 'mp4_low', 'mp4_high')`,
      'ALTER TABLE "asset_variants" DROP CONSTRAINT "asset_variants_assetId_fkey"',
      'FOREIGN KEY ("assetId") REFERENCES "assets" ("id") ON DELETE SET NULL ON UPDATE CASCADE',
      'DROP TABLE "pwa_caches"',
      'DROP TYPE "enum_pwa_caches_environment"',
      `CREATE TYPE "enum_tour_notes_kind" AS ENUM ('note', 'warning')`,
      'CREATE TABLE "tour_notes" (',
      'CREATE INDEX tour_notes_project_id_kind ON tour_notes USING btree ("projectId", kind)',
      'REFERENCES "projects" ("id") ON DELETE CASCADE',
      // down: the removed label comes back with ADD VALUE, the dropped table with its type, keys and indexes.
      `ALTER TYPE "enum_asset_variants_variant_type" ADD VALUE IF NOT EXISTS 'original' AFTER 'mp4_high'`,
      'CREATE TABLE "pwa_caches" (',
      'DROP TABLE "tour_notes"',
    ]) {
      expect(source).toContain(expected);
    }

    const migration = load(source, name);
    expect(migration.name).toBe(name);
    // In one transaction, PostgreSQL refuses to use the label it has just added: hence beforeUp.
    const together: Migration = {
      name,
      up: async (params) => {
        await migration.beforeUp?.(params);
        await migration.up(params);
      },
      down: migration.down,
    };
    await expect(migrate(db.sequelize, { migrations: [...MIGRATIONS, together] })).rejects.toThrow(
      `Migration ${name} (up) failed: unsafe use of new value "qa" of enum type enum_tour_pages_environment (55P04)`,
    );
    expect(diffSchemas(before, await readSchema(db.sequelize))).toEqual([]);
    const migrations = [...MIGRATIONS, migration];
    expect(await migrate(db.sequelize, { migrations })).toEqual([name]);
    // No drift against the changed models, by the drift check's own measure.
    const expected = snapshotOf(await modelsCatalog(db.sequelize, changeModels));
    expect(compareOwned(expected, await readSchema(db.sequelize))).toEqual({ differences: [], notOurs: [] });
    // The rows came through.
    const [page] = (await db.sequelize.query('SELECT environment FROM tour_pages', { type: 'SELECT' })) as {
      environment: string;
    }[];
    expect(page?.environment).toBe('dev');

    expect(await rollback(db.sequelize, { migrations })).toEqual([name]);
    expect(diffSchemas(before, await readSchema(db.sequelize))).toEqual([]);
    expect(await db.tour_pages.count()).toBe(1);
  }, 180_000);
});
