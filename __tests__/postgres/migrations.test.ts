import {
  assertNoSchemaDrift,
  checkSchemaDrift,
  diffSchemas,
  executedMigrations,
  MIGRATION_TABLE,
  migrate,
  pendingMigrations,
  readSchema,
  rollback,
  SchemaDriftError,
} from '../../src';
import { scratchDatabases } from '../support/scratch-databases';

const databases = scratchDatabases();
afterAll(() => databases.dropAll(), 60_000);

async function tableNames(db: Awaited<ReturnType<typeof databases.open>>): Promise<string[]> {
  const rows = (await db.sequelize.query(
    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename",
    { type: 'SELECT' },
  )) as { tablename: string }[];
  return rows.map((row) => row.tablename);
}

describe('migrations', () => {
  test('migrate, rollback and migrate again on an empty database, with no drift after', async () => {
    const db = await databases.open('cycle');
    const all = ['0001-initial-schema', '0002-hashed-tokens'];
    expect(await pendingMigrations(db.sequelize)).toEqual(all);

    expect(await migrate(db.sequelize)).toEqual(all);
    expect(await pendingMigrations(db.sequelize)).toEqual([]);
    expect(await executedMigrations(db.sequelize)).toEqual(all);
    expect(await tableNames(db)).toHaveLength(24);
    expect(await migrate(db.sequelize)).toEqual([]);

    expect(await rollback(db.sequelize, { to: 0 })).toEqual([...all].reverse());
    expect(await tableNames(db)).toEqual([MIGRATION_TABLE]);
    const types = await db.sequelize.query("SELECT typname FROM pg_type WHERE typname LIKE 'enum\\_%'", {
      type: 'SELECT',
    });
    expect(types).toEqual([]);

    expect(await migrate(db.sequelize)).toEqual(all);
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
    await expect(assertNoSchemaDrift(db.sequelize)).resolves.toBeUndefined();

    // The migrated schema works end to end.
    const user = await db.users.create({ email: 'ann@example.com', password: 'secret' });
    expect((await db.users.findByPk(user.id))?.email).toBe('ann@example.com');
  }, 60_000);

  test('a migration that fails leaves no trace and is still pending', async () => {
    const db = await databases.open('failing');
    const broken = {
      name: '0001-broken',
      up: async ({ context }: { context: { sequelize: typeof db.sequelize; transaction: unknown } }) => {
        await context.sequelize.query('CREATE TABLE half_done (id int)', { transaction: context.transaction as never });
        await context.sequelize.query('CREATE TABLE half_done (id int)', { transaction: context.transaction as never });
      },
      down: async () => undefined,
    };
    await expect(migrate(db.sequelize, { migrations: [broken as never] })).rejects.toThrow(/half_done/);
    expect(await tableNames(db)).toEqual([MIGRATION_TABLE]);
    expect(await pendingMigrations(db.sequelize, { migrations: [broken as never] })).toEqual(['0001-broken']);
  }, 60_000);

  test('reports progress for each migration', async () => {
    const db = await databases.open('progress');
    const events: string[] = [];
    await migrate(db.sequelize, { onProgress: (e) => events.push(`${e.direction} ${e.phase} ${e.name}`) });
    expect(events).toEqual([
      'up start 0001-initial-schema',
      'up end 0001-initial-schema',
      'up start 0002-hashed-tokens',
      'up end 0002-hashed-tokens',
    ]);
  }, 60_000);
});

describe('schema drift', () => {
  test('a database built by the migrations equals one built by the models’ sync()', async () => {
    const migrated = await databases.open('migrated');
    const synced = await databases.open('synced');
    await migrate(migrated.sequelize);
    await synced.sequelize.sync();
    const [fromMigrations, fromModels] = [await readSchema(migrated.sequelize), await readSchema(synced.sequelize)];
    expect(diffSchemas(fromModels, fromMigrations)).toEqual([]);
    // The snapshot is not trivially empty: it holds every table, type, index and key.
    expect(Object.keys(fromModels.columns).length).toBeGreaterThan(250);
    expect(Object.keys(fromModels.enums)).toHaveLength(16);
    expect(Object.keys(fromModels.foreignKeys).length).toBeGreaterThan(60);
    expect(fromModels.indexes).toHaveProperty([
      'production_presentation_access (projectId, userId) UNIQUE WHERE ("deletedAt" IS NULL)',
    ]);
  }, 60_000);

  test('a model changed without a migration is detected, with a readable diff', async () => {
    const migrated = await databases.open('changed');
    await migrate(migrated.sequelize);
    const changed = await databases.open('changed_models');
    // A developer edits the models: a default, a column's type, an index and an ON DELETE rule.
    // (Sequelize keeps a model's indexes in `_indexes` and rebuilds attributes in `refreshAttributes`.)
    type Internals = { _indexes: { fields: string[] }[]; refreshAttributes(): void };
    const users = changed.users.getAttributes();
    (users.provider as { defaultValue: unknown }).defaultValue = 'github';
    (users.phoneNumber as { type: unknown }).type = changed.Sequelize.STRING(32);
    const pages = changed.tour_pages as unknown as Internals;
    pages._indexes = pages._indexes.filter((index) => index.fields.join() !== 'deletedAt');
    (changed.asset_variants.getAttributes().assetId as { onDelete: string }).onDelete = 'SET NULL';
    (changed.users as unknown as Internals).refreshAttributes();
    (changed.asset_variants as unknown as Internals).refreshAttributes();
    await changed.sequelize.sync();

    const diff = diffSchemas(await readSchema(changed.sequelize), await readSchema(migrated.sequelize));
    expect(diff).toEqual(
      expect.arrayContaining([
        "~ column users.provider: expected text NOT NULL DEFAULT 'github'::text, found text NOT NULL DEFAULT 'local'::text",
        '~ column users.phoneNumber: expected character varying(32) NULL, found text NULL',
        '+ index tour_pages (deletedAt): tour_pages_deleted_at  (not in the models)',
        '~ foreign key asset_variants (assetId) -> assets (id): expected ON DELETE SET NULL ON UPDATE CASCADE, found ON DELETE CASCADE ON UPDATE CASCADE',
      ]),
    );
    expect(diff).toHaveLength(4);
  }, 60_000);

  test('checkSchemaDrift finds a live database altered by hand', async () => {
    const db = await databases.open('altered');
    await migrate(db.sequelize);
    await db.sequelize.query(`
      ALTER TABLE users ALTER COLUMN provider SET DEFAULT 'github';
      ALTER TABLE projects ALTER COLUMN description SET NOT NULL;
      DROP INDEX tour_pages_project_id;
      ALTER TYPE enum_tour_pages_environment ADD VALUE 'qa';
      ALTER TABLE pwa_caches ADD COLUMN notes text;`);
    const diff = await checkSchemaDrift(db.sequelize);
    expect(diff).toEqual(
      expect.arrayContaining([
        "~ column users.provider: expected text NOT NULL DEFAULT 'local'::text, found text NOT NULL DEFAULT 'github'::text",
        '~ column projects.description: expected text NULL, found text NOT NULL',
        '+ column pwa_caches.notes: text NULL  (not in the models)',
        '~ enum enum_tour_pages_environment: expected dev, stage, production, found dev, stage, production, qa',
        '- index tour_pages (projectId): tour_pages_project_id  (missing from the database)',
      ]),
    );
    expect(diff).toHaveLength(5);
    await expect(assertNoSchemaDrift(db.sequelize)).rejects.toBeInstanceOf(SchemaDriftError);
    // The scratch namespace is gone again.
    const schemas = await db.sequelize.query(
      "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'tbp\\_scratch\\_%'",
      {
        type: 'SELECT',
      },
    );
    expect(schemas).toEqual([]);
  }, 60_000);
});
