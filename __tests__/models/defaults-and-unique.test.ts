import { UniqueConstraintError } from 'sequelize';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, MODEL_TABLES, type ModelTable, modelOf } from './rows';

const t = useTestDatabase(cheapHasher);
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const DEFAULTS: [ModelTable, Record<string, unknown>][] = [
  ['users', { disabled: false, emailVerified: false, provider: 'local', app_roleId: null, importHash: null }],
  ['projects', { production_presentation_visibility: 'public', description: null }],
  [
    'tour_pages',
    { environment: 'dev', sort_order: 0, background_loop: false, requires_auth: false, ui_schema_json: null },
  ],
  ['assets', { type: 'general', is_public: false }],
  ['element_type_defaults', { sort_order: 0, is_active: true, default_settings_json: null }],
  ['project_element_defaults', { sort_order: 0, snapshot_version: 1 }],
  ['publish_events', { status: 'queued', pages_copied: null }],
  ['project_memberships', { access_level: 'viewer', is_active: false, invited_at: null }],
  ['project_audio_tracks', { loop: false, is_enabled: false, volume: null }],
  [
    'project_transition_settings',
    { transition_type: 'fade', duration_ms: 700, easing: 'ease-in-out', overlay_color: '#000000' },
  ],
  [
    'global_transition_defaults',
    { transition_type: 'fade', duration_ms: 700, easing: 'ease-in-out', overlay_color: '#000000' },
  ],
  ['global_ui_control_defaults', { fullscreen_enabled: true, sound_enabled: true, offline_enabled: false }],
  ['project_ui_control_settings', { fullscreen_enabled: null, sound_enabled: null, offline_enabled: null }],
  ['pwa_caches', { is_active: false }],
];

describe('defaults', () => {
  test.each(DEFAULTS)('%s applies the spec’s defaults', async (table, expected) => {
    const db = t.db;
    const row = await MODEL_FACTORIES[table](db);
    const stored = await modelOf(db, table).findByPk(row.id);
    expect(stored?.get({ plain: true })).toMatchObject(expected);
  });

  test.each(MODEL_TABLES)('%s gets a UUID v4 id and timestamps', async (table) => {
    const db = t.db;
    const row = await MODEL_FACTORIES[table](db);
    expect(row.id).toMatch(UUID_V4);
    expect(row.get('createdAt')).toBeInstanceOf(Date);
    expect(row.get('updatedAt')).toBeInstanceOf(Date);
    expect(row.get('deletedAt') ?? null).toBeNull();
  });

  test('access_logs.accessed_at defaults to now', async () => {
    const before = Date.now();
    const log = await build.accessLog(t.db);
    const stored = await t.db.access_logs.findByPk(log.id);
    expect(stored?.accessed_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(stored?.accessed_at.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });
});

describe('field mapping and virtual fields', () => {
  test('element_type_defaults.default_settings_json is stored in the settings_json column', async () => {
    const db = t.db;
    const row = await build.elementTypeDefault(db, { default_settings_json: '{"color":"red"}' });
    const [raw] = (await db.sequelize.query('SELECT "settings_json" FROM "element_type_defaults" WHERE "id" = :id', {
      replacements: { id: row.id },
      type: 'SELECT',
    })) as { settings_json: string }[];
    expect(raw?.settings_json).toBe('{"color":"red"}');
    expect((await db.element_type_defaults.findByPk(row.id))?.default_settings_json).toBe('{"color":"red"}');
  });

  test('element_type_defaults.is_active is always true and has no column', async () => {
    const db = t.db;
    const row = await build.elementTypeDefault(db, { is_active: false });
    expect(row.is_active).toBe(true);
    expect((await db.element_type_defaults.findByPk(row.id))?.toJSON()).toMatchObject({ is_active: true });
    const [raw] = (await db.sequelize.query('SELECT * FROM "element_type_defaults"', { type: 'SELECT' })) as object[];
    expect(Object.keys(raw ?? {})).toContain('settings_json');
    expect(Object.keys(raw ?? {})).not.toContain('is_active');
  });

  test('DECIMAL columns read back as numbers', async () => {
    const db = t.db;
    const asset = await build.asset(db, { size_mb: 12.75, duration_sec: 3.5 });
    const stored = await db.assets.findByPk(asset.id);
    expect(stored?.size_mb).toBe(12.75);
    expect(stored?.duration_sec).toBe(3.5);
    expect(stored?.toJSON()).toMatchObject({ size_mb: 12.75, duration_sec: 3.5 });
  });
});

async function rejectsAsDuplicate(promise: Promise<unknown>): Promise<void> {
  await expect(promise).rejects.toBeInstanceOf(UniqueConstraintError);
}

describe('unique indexes', () => {
  test('users.email is unique, whatever its case and padding', async () => {
    await build.user(t.db, { email: 'ann@example.com' });
    await rejectsAsDuplicate(build.user(t.db, { email: '  Ann@Example.COM ' }));
  });

  test.each([
    ['projects', 'slug', 'same-slug'],
    ['permissions', 'name', 'READ_USERS'],
    ['element_type_defaults', 'element_type', 'button'],
  ] as const)('%s.%s is unique', async (table, field, value) => {
    await MODEL_FACTORIES[table](t.db, { [field]: value });
    await rejectsAsDuplicate(MODEL_FACTORIES[table](t.db, { [field]: value }));
  });

  test.each(MODEL_TABLES)('%s.importHash is unique', async (table) => {
    await MODEL_FACTORIES[table](t.db, { importHash: 'import-1' });
    await rejectsAsDuplicate(MODEL_FACTORIES[table](t.db, { importHash: 'import-1' }));
  });

  test('tour_pages: one slug per project and environment', async () => {
    const db = t.db;
    const { id: projectId } = await build.project(db);
    await build.tourPage(db, { projectId, environment: 'dev', slug: 'home' });
    await build.tourPage(db, { projectId, environment: 'stage', slug: 'home' });
    await build.tourPage(db, { environment: 'dev', slug: 'home' });
    await rejectsAsDuplicate(build.tourPage(db, { projectId, environment: 'dev', slug: 'home' }));
  });

  test('project_element_defaults: one element type per project', async () => {
    const db = t.db;
    const { id: projectId } = await build.project(db);
    await build.projectElementDefault(db, { projectId, element_type: 'button' });
    await build.projectElementDefault(db, { element_type: 'button' });
    await rejectsAsDuplicate(build.projectElementDefault(db, { projectId, element_type: 'button' }));
  });

  test('project_memberships: one membership per user per project', async () => {
    const db = t.db;
    const [{ id: projectId }, { id: userId }] = [await build.project(db), await build.user(db)];
    await build.projectMembership(db, { projectId, userId });
    await build.projectMembership(db, { userId });
    await rejectsAsDuplicate(build.projectMembership(db, { projectId, userId }));
  });
});

describe('partial unique indexes: unique among live rows, reusable after a soft delete', () => {
  const cases: [ModelTable, (projectId: string, userId: string) => Record<string, unknown>][] = [
    ['production_presentation_access', (projectId, userId) => ({ projectId, userId })],
    ['project_transition_settings', (projectId) => ({ projectId, environment: 'stage' })],
    ['project_ui_control_settings', (projectId) => ({ projectId, environment: 'production' })],
  ];

  test.each(cases)('%s', async (table, key) => {
    const db = t.db;
    const [{ id: projectId }, { id: userId }] = [await build.project(db), await build.user(db)];
    const first = await MODEL_FACTORIES[table](db, key(projectId, userId));
    await rejectsAsDuplicate(MODEL_FACTORIES[table](db, key(projectId, userId)));
    await first.destroy();
    const again = await MODEL_FACTORIES[table](db, key(projectId, userId));
    expect(again.id).not.toBe(first.id);
    await expect(first.restore()).rejects.toBeInstanceOf(UniqueConstraintError);
  });
});
