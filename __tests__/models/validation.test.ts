import { UniqueConstraintError, ValidationError } from 'sequelize';
import { useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, type ModelTable, modelOf } from './rows';

const t = useTestDatabase();
const long = (n: number) => 'x'.repeat(n);

/** [table, field, a valid value that must be stored as given, invalid values]. */
const RULES: [ModelTable, string, unknown, unknown[]][] = [
  ['users', 'email', 'ann@example.com', ['not-an-email', '', null]],
  ['users', 'firstName', 'Ann', [['an', 'array']]],
  ['users', 'disabled', true, ['maybe']],
  ['users', 'app_roleId', null, ['not-a-uuid']],
  ['roles', 'name', 'Editor', ['', long(101), null]],
  ['permissions', 'name', 'READ_USERS', ['', long(101), null]],
  ['projects', 'name', long(255), ['', long(256), null]],
  ['projects', 'slug', 'my_tour-1', ['my tour', 'tour/x', '', null]],
  ['projects', 'production_presentation_visibility', 'private', ['secret', null]],
  ['tour_pages', 'environment', 'stage', ['qa', null]],
  ['tour_pages', 'name', 'Home', ['', long(256), null]],
  ['tour_pages', 'slug', 'home-2', ['home_2', 'home page', '', null]],
  ['tour_pages', 'sort_order', 3, [1.5, 'abc', '3', 2 ** 31, -(2 ** 31) - 1, Number.NaN, null]],
  ['tour_pages', 'source_key', 'page-1 \u00e9\u{1F600}', ['with\u0000nul', 'lone \ud800 surrogate', 42, true]],
  ['tour_pages', 'ui_schema_json', { elements: [{ type: 'hotspot', x: 1 }] }, []],
  ['assets', 'name', long(255), [long(256)]],
  ['assets', 'asset_type', 'video', ['pdf', null]],
  ['assets', 'type', 'logo', ['banner', null]],
  ['assets', 'mime_type', 'image/png', ['png', 'image/']],
  ['assets', 'size_mb', 1.25, ['big', '1.25', Number.NaN, Number.POSITIVE_INFINITY]],
  ['assets', 'width_px', 1920, [12.5, 'wide']],
  ['asset_variants', 'variant_type', 'webp', ['gif']],
  [
    'asset_variants',
    'cdn_url',
    'https://cdn.example.com/a.webp',
    ['ftp://cdn.example.com/a', 'javascript:alert(1)', `https://${long(2048)}`],
  ],
  ['asset_variants', 'width_px', 0, [-1]],
  ['asset_variants', 'height_px', 10, [-1]],
  ['asset_variants', 'size_mb', 0.5, [-0.5]],
  ['element_type_defaults', 'element_type', 'hotspot', ['', long(101), null]],
  ['element_type_defaults', 'name', 'Hotspot', ['', long(256), null]],
  ['project_element_defaults', 'element_type', 'gallery', ['', long(101), null]],
  ['project_element_defaults', 'name', long(255), [long(256)]],
  ['project_element_defaults', 'snapshot_version', 2, [null, 'two']],
  ['publish_events', 'title', long(255), [long(256)]],
  ['publish_events', 'description', long(5000), [long(5001)]],
  ['publish_events', 'from_environment', 'stage', ['qa', null]],
  ['publish_events', 'to_environment', 'production', ['qa', null]],
  ['publish_events', 'status', 'success', ['done', null]],
  ['publish_events', 'pages_copied', 0, [-1]],
  ['publish_events', 'transitions_copied', 3, [-1]],
  ['publish_events', 'audios_copied', 1, [-1]],
  [
    'publish_events',
    'started_at',
    new Date('2026-01-02T03:04:05.678Z'),
    ['not a date', new Date('+010000-01-01T00:00:00Z'), new Date('-000001-01-01T00:00:00Z')],
  ],
  ['access_logs', 'environment', 'admin', ['dev', null]],
  ['access_logs', 'path', long(2048), [long(2049)]],
  ['access_logs', 'ip_address', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', [long(46)]],
  ['access_logs', 'user_agent', long(1024), [long(1025)]],
  ['project_memberships', 'access_level', 'editor', ['admin', null]],
  ['project_audio_tracks', 'environment', 'production', ['qa']],
  ['project_audio_tracks', 'name', long(255), [long(256)]],
  ['project_audio_tracks', 'volume', 0.5, [1.5, -0.1]],
  ['project_transition_settings', 'environment', 'production', ['qa', null]],
  ['project_transition_settings', 'overlay_color', '#12345678', ['red', '#12345', null]],
  ['project_transition_settings', 'projectId', undefined, [null]],
  ['global_transition_defaults', 'transition_type', 'slide', ['', long(51)]],
  ['global_transition_defaults', 'duration_ms', 10000, [10001, -1]],
  ['global_transition_defaults', 'easing', 'linear', ['', long(101)]],
  ['global_transition_defaults', 'overlay_color', '#fff', ['blue']],
  ['global_ui_control_defaults', 'sound_enabled', false, ['maybe', null]],
  ['project_ui_control_settings', 'environment', 'stage', ['qa', null]],
  ['project_ui_control_settings', 'fullscreen_enabled', null, ['maybe']],
  ['pwa_caches', 'environment', 'stage', ['qa']],
  ['pwa_caches', 'cache_version', long(255), [long(256)]],
  ['presigned_url_requests', 'purpose', 'download', ['delete']],
  ['presigned_url_requests', 'asset_type', 'audio', ['pdf']],
  ['presigned_url_requests', 'requested_key', long(1024), [long(1025)]],
  ['presigned_url_requests', 'mime_type', 'video/mp4', ['nonsense', `image/${long(250)}`]],
  ['presigned_url_requests', 'requested_size_mb', 12.5, [-1]],
  ['production_presentation_access', 'userId', undefined, ['not-a-uuid', null]],
  ['file', 'name', 'avatar.png', ['', long(2084), null]],
  ['file', 'publicUrl', 'https://cdn.example.com/a.png', ['', null]],
  ['file', 'belongsTo', 'users', [long(256)]],
  ['file', 'privateUrl', long(2083), [long(2084)]],
];

const VALID = RULES.filter(([, , valid]) => valid !== undefined).map(
  ([table, field, valid]) => [table, field, valid] as const,
);
const INVALID = RULES.flatMap(([table, field, , invalid]) => invalid.map((value) => [table, field, value] as const));

describe('validation rules, model by model', () => {
  test.each(VALID)('%s.%s stores a valid value as given', async (table, field, value) => {
    const db = t.db;
    const row = await MODEL_FACTORIES[table](db, { [field]: value });
    const stored = await modelOf(db, table).findByPk(row.id);
    expect(stored?.get(field)).toEqual(value);
  });

  test.each(INVALID)(
    '%s.%s rejects %p with a ValidationError naming the field, and writes nothing',
    async (table, field, value) => {
      const db = t.db;
      const before = await modelOf(db, table).count({ paranoid: false });
      const error = await MODEL_FACTORIES[table](db, { [field]: value }).then(
        () => undefined,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(ValidationError);
      expect(error).not.toBeInstanceOf(UniqueConstraintError);
      expect((error as ValidationError).errors.map((item) => item.path)).toContain(field);
      expect((error as ValidationError).errors.every((item) => item.message.length > 0)).toBe(true);
      // The factory may have made parents in other tables; this table has no new row.
      expect(await modelOf(db, table).count({ paranoid: false })).toBe(before);
    },
  );
});
