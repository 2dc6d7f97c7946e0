import { UniqueConstraintError } from 'sequelize';
import {
  assertNoSchemaDrift,
  checkSchemaDrift,
  diffSchemas,
  executedMigrations,
  MIGRATION_TABLE,
  MIGRATIONS,
  migrate,
  pendingMigrations,
  readSchema,
  rollback,
  SchemaDriftError,
} from '../../src';
import { scratchDatabases } from '../support/scratch-databases';

// Whole databases are created, migrated and compared here: generous time on a busy machine.
jest.setTimeout(120_000);

const databases = scratchDatabases();
const ALL = MIGRATIONS.map((migration) => migration.name);
afterAll(() => databases.dropAll(), 120_000);

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
    expect(await pendingMigrations(db.sequelize)).toEqual(ALL);

    expect(await migrate(db.sequelize)).toEqual(ALL);
    expect(await pendingMigrations(db.sequelize)).toEqual([]);
    expect(await executedMigrations(db.sequelize)).toEqual(ALL);
    // The 21 models, the 2 join tables, publish_snapshots and the migrations' own table.
    expect(await tableNames(db)).toHaveLength(25);
    expect(await migrate(db.sequelize)).toEqual([]);

    expect(await rollback(db.sequelize, { to: 0 })).toEqual([...ALL].reverse());
    expect(await tableNames(db)).toEqual([MIGRATION_TABLE]);
    const types = await db.sequelize.query("SELECT typname FROM pg_type WHERE typname LIKE 'enum\\_%'", {
      type: 'SELECT',
    });
    expect(types).toEqual([]);

    expect(await migrate(db.sequelize)).toEqual(ALL);
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
    expect(events).toEqual(ALL.flatMap((name) => [`up start ${name}`, `up end ${name}`]));
  });
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
    expect(Object.keys(fromModels.enums)).toHaveLength(17);
    expect(Object.keys(fromModels.foreignKeys).length).toBeGreaterThan(60);
    expect(fromModels.indexes).toHaveProperty([
      'production_presentation_access (projectId, userId) UNIQUE WHERE ("deletedAt" IS NULL)',
    ]);
    for (const table of ['tour_pages', 'project_transition_settings', 'project_audio_tracks']) {
      expect(fromMigrations.indexes).toHaveProperty([
        `${table} (projectId, environment, source_key) UNIQUE WHERE (("deletedAt" IS NULL) AND (source_key IS NOT NULL))`,
      ]);
    }
    expect(fromMigrations.enums.enum_publish_events_status).toEqual([
      'queued',
      'running',
      'success',
      'failed',
      'abandoned',
    ]);
  });

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

describe('0004-publish-lineage-and-history', () => {
  const before0004 = MIGRATIONS.filter((migration) => migration.name < '0004');

  test('repairs duplicate copies (the newest live one stays), then one live copy per lineage holds', async () => {
    const db = await databases.open('lineage');
    await migrate(db.sequelize, { migrations: before0004 });
    const [project] = (await db.sequelize.query(
      `INSERT INTO projects (id, name, slug, "createdAt", "updatedAt")
       VALUES (gen_random_uuid(), 'Tour', 'tour', now(), now()) RETURNING id`,
      { type: 'SELECT' },
    )) as { id: string }[];
    const track = async (environment: string, sourceKey: string | null, updatedAt: string, deleted = false) => {
      const [row] = (await db.sequelize.query(
        `INSERT INTO project_audio_tracks (id, "projectId", environment, source_key, name, loop, is_enabled,
           "createdAt", "updatedAt", "deletedAt")
         VALUES (gen_random_uuid(), :projectId, :environment, :sourceKey, :name, false, true,
           '2026-01-01T00:00:00Z', :updatedAt, :deletedAt) RETURNING id`,
        {
          type: 'SELECT',
          replacements: {
            projectId: project?.id,
            environment,
            sourceKey,
            name: `${environment} ${sourceKey} ${updatedAt}`,
            updatedAt,
            deletedAt: deleted ? '2026-01-05T00:00:00Z' : null,
          },
        },
      )) as { id: string }[];
      return row?.id as string;
    };
    // Two publishes that raced: two live stage copies of each original, written a second apart.
    const olderA = await track('stage', 'a', '2026-01-02T00:00:00Z');
    const newerA = await track('stage', 'a', '2026-01-02T00:00:01Z');
    const olderB = await track('stage', 'b', '2026-01-02T00:00:00Z');
    const newerB = await track('stage', 'b', '2026-01-03T00:00:00Z');
    // Not duplicates: a copy deleted earlier, the same lineage in another environment, two hand-made rows.
    const deletedA = await track('stage', 'a', '2026-01-04T00:00:00Z', true);
    const productionA = await track('production', 'a', '2026-01-01T00:00:00Z');
    const handMade = [
      await track('stage', null, '2026-01-01T00:00:00Z'),
      await track('stage', null, '2026-01-01T00:00:00Z'),
    ];

    expect(await migrate(db.sequelize)).toEqual(['0004-publish-lineage-and-history', '0005-audio-tracks-index']);
    const rows = (await db.sequelize.query(
      'SELECT id, "deletedAt" IS NOT NULL AS deleted FROM project_audio_tracks ORDER BY id',
      { type: 'SELECT' },
    )) as { id: string; deleted: boolean }[];
    const deleted = Object.fromEntries(rows.map((row) => [row.id, row.deleted]));
    expect(deleted).toEqual({
      [olderA]: true,
      [newerA]: false,
      [olderB]: true,
      [newerB]: false,
      [deletedA]: true,
      [productionA]: false,
      [handMade[0] as string]: false,
      [handMade[1] as string]: false,
    });
    // From now on a second live copy of one original is refused by the database itself.
    await expect(track('stage', 'a', '2026-01-06T00:00:00Z')).rejects.toBeInstanceOf(UniqueConstraintError);
    await expect(track('stage', 'a', '2026-01-06T00:00:00Z', true)).resolves.toEqual(expect.any(String));
    await expect(track('stage', null, '2026-01-06T00:00:00Z')).resolves.toEqual(expect.any(String));
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
  });

  test('reverting it drops the snapshots and the index and turns abandoned events into failed ones', async () => {
    const db = await databases.open('lineage_down');
    await migrate(db.sequelize);
    const project = await db.projects.create({ name: 'Tour', slug: 'tour' });
    const event = await db.publish_events.create({
      projectId: project.id,
      from_environment: 'dev',
      to_environment: 'stage',
      status: 'abandoned',
    });
    expect(await rollback(db.sequelize, { to: '0004-publish-lineage-and-history' })).toEqual([
      '0005-audio-tracks-index',
      '0004-publish-lineage-and-history',
    ]);
    const schema = await readSchema(db.sequelize);
    expect(schema.enums.enum_publish_events_status).toEqual(['queued', 'running', 'success', 'failed']);
    expect(Object.keys(schema.columns).filter((column) => column.startsWith('publish_snapshots.'))).toEqual([]);
    expect(Object.keys(schema.indexes).filter((index) => index.includes('source_key'))).toEqual([]);
    const [row] = (await db.sequelize.query('SELECT status FROM publish_events WHERE id = :id', {
      type: 'SELECT',
      replacements: { id: event.id },
    })) as { status: string }[];
    expect(row?.status).toBe('failed');
    // And forward again, to the models' schema.
    expect(await migrate(db.sequelize)).toEqual(['0004-publish-lineage-and-history', '0005-audio-tracks-index']);
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
  });
});

describe('0005-audio-tracks-index', () => {
  /** The plan of the presentation's read of a project's tracks, with sequential scans priced out. */
  async function tracksPlan(db: Awaited<ReturnType<typeof databases.open>>): Promise<string> {
    return db.sequelize.transaction(async (transaction) => {
      await db.sequelize.query('SET LOCAL enable_seqscan = off', { transaction });
      const rows = (await db.sequelize.query(
        `EXPLAIN SELECT id FROM project_audio_tracks
          WHERE "projectId" = gen_random_uuid() AND environment = 'production' AND "deletedAt" IS NULL
          ORDER BY sort_order`,
        { type: 'SELECT', transaction },
      )) as { 'QUERY PLAN': string }[];
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
  }

  test("a project's tracks of one environment are found by the index; reverting it drops the index", async () => {
    const db = await databases.open('audio_index');
    await migrate(db.sequelize);
    expect(await tracksPlan(db)).toContain('project_audio_tracks_project_id_environment_sort_order');
    expect(await rollback(db.sequelize)).toEqual(['0005-audio-tracks-index']);
    expect(await tracksPlan(db)).not.toContain('project_id_environment_sort_order');
    expect(await migrate(db.sequelize)).toEqual(['0005-audio-tracks-index']);
    expect(await checkSchemaDrift(db.sequelize)).toEqual([]);
  });
});

describe('0003-text-bounds', () => {
  const upTo0001 = () => MIGRATIONS.filter((migration) => migration.name === '0001-initial-schema');

  test('refuses rows longer than a bound, naming the column and not the value, and stays pending', async () => {
    const db = await databases.open('bounds');
    await migrate(db.sequelize, { migrations: upTo0001() });
    const slug = `x${'y'.repeat(2000)}`;
    await db.sequelize.query(`INSERT INTO projects (id, name, slug, production_presentation_visibility, "createdAt", "updatedAt")
      VALUES (gen_random_uuid(), 'P', '${slug}', 'public', now(), now())`);
    const error = (await migrate(db.sequelize).catch((caught: unknown) => caught)) as Error;
    expect(error.message).toContain('projects.slug: 1 row(s) longer than 2000 characters');
    expect(error.message).not.toContain(slug);
    expect(await pendingMigrations(db.sequelize)).toContain('0003-text-bounds');

    await db.sequelize.query(`UPDATE projects SET slug = 'short'`);
    expect(await migrate(db.sequelize)).toContain('0003-text-bounds');
    // The database now refuses what the model refuses, also from raw SQL.
    await expect(db.sequelize.query(`UPDATE projects SET slug = '${slug}'`)).rejects.toThrow(/projects_slug_length/);
    expect(await rollback(db.sequelize, { to: '0003-text-bounds' })).toContain('0003-text-bounds');
    await expect(db.sequelize.query(`UPDATE projects SET slug = '${slug}'`)).resolves.toBeDefined();
  });

  test('a dropped CHECK is drift', async () => {
    const db = await databases.open('bounds_drift');
    await migrate(db.sequelize);
    await db.sequelize.query('ALTER TABLE users DROP CONSTRAINT users_email_length');
    expect(await checkSchemaDrift(db.sequelize)).toEqual([
      '- check users.users_email_length: CHECK ((char_length(email) <= 2000))  (missing from the database)',
    ]);
  });
});
