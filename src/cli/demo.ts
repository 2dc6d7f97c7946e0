import type { Model, ModelStatic, WhereOptions } from 'sequelize';
import { publishEnvironment } from '../content/publish';
import type { Db } from '../db/create-db';
import { onPrimary } from '../db/primary';
import { ENVIRONMENTS, type Environment } from '../models/base/columns';

/** Finds the row `where` names, or creates it: the demo can run twice on one database. */
async function ensure<M extends Model>(model: ModelStatic<M>, where: WhereOptions, values: object): Promise<M> {
  const found = await model.findOne({ where });
  return found ?? model.create({ ...where, ...values } as never);
}

function ui(title: string, hotspots: string[]): Record<string, unknown> {
  return {
    elements: [
      { type: 'text', id: `${title}-title`, content: title, x: 40, y: 24 },
      ...hotspots.map((target, i) => ({ type: 'hotspot', id: `to-${target}`, x: 120 + i * 160, y: 300, link: target })),
      { type: 'button', id: `${title}-info`, label: 'More', action: 'tooltip' },
    ],
    transitions: { in: 'fade', durationMs: 700 },
  };
}

const PAGES = [
  { slug: 'lobby', name: 'Lobby', sort_order: 0, links: ['gallery', 'rooftop'] },
  { slug: 'gallery', name: 'Gallery', sort_order: 1, links: ['lobby'] },
  { slug: 'rooftop', name: 'Rooftop', sort_order: 2, links: ['lobby'] },
];

/** A sample tour in `dev`: members, pages with UI schemas, assets with variants, transitions, an audio track. */
export async function createSampleTour(db: Db) {
  const admin = await db.roles.findOne({ where: { name: 'Administrator' } });
  const editorRole = await db.roles.findOne({ where: { name: 'Editor' } });
  const owner = await ensure(
    db.users,
    { email: 'owner@demo.example' },
    {
      firstName: 'Olivia',
      lastName: 'Owner',
      password: 'demo owner password',
      app_roleId: admin?.id ?? null,
    },
  );
  const editor = await ensure(
    db.users,
    { email: 'editor@demo.example' },
    {
      firstName: 'Eddie',
      lastName: 'Editor',
      password: 'demo editor password',
      app_roleId: editorRole?.id ?? null,
    },
  );
  const project = await ensure(
    db.projects,
    { slug: 'demo-tour' },
    {
      name: 'Demo Tour',
      description: 'A museum walk-through in three rooms',
      createdById: owner.id,
    },
  );
  const projectId = project.id;
  await ensure(db.project_memberships, { projectId, userId: owner.id }, { access_level: 'owner', is_active: true });
  await ensure(db.project_memberships, { projectId, userId: editor.id }, { access_level: 'editor', is_active: true });

  for (const page of PAGES) {
    await ensure(
      db.tour_pages,
      { projectId, environment: 'dev', slug: page.slug },
      {
        name: page.name,
        sort_order: page.sort_order,
        background_image_url: `https://cdn.demo.example/${page.slug}.jpg`,
        ui_schema_json: ui(page.name, page.links),
        createdById: editor.id,
      },
    );
  }
  for (const name of ['lobby', 'gallery']) {
    const asset = await ensure(
      db.assets,
      { projectId, storage_key: `demo/${name}.jpg` },
      {
        name: `${name}.jpg`,
        asset_type: 'image',
        type: 'background_image',
        cdn_url: `https://cdn.demo.example/${name}.jpg`,
        mime_type: 'image/jpeg',
        size_mb: 2.4,
        width_px: 4096,
        height_px: 2048,
      },
    );
    for (const [variant, width] of [
      ['thumbnail', 256],
      ['webp', 2048],
    ] as const) {
      await ensure(
        db.asset_variants,
        { assetId: asset.id, variant_type: variant },
        {
          cdn_url: `https://cdn.demo.example/${name}-${variant}`,
          width_px: width,
          height_px: width / 2,
          size_mb: width / 4096,
        },
      );
    }
  }
  await ensure(
    db.project_transition_settings,
    { projectId, environment: 'dev' },
    {
      transition_type: 'crossfade',
      duration_ms: 900,
      easing: 'ease-out',
      overlay_color: '#101820',
    },
  );
  await ensure(
    db.project_audio_tracks,
    { projectId, environment: 'dev', slug: 'ambience' },
    {
      name: 'Museum ambience',
      url: 'https://cdn.demo.example/ambience.mp3',
      loop: true,
      volume: 0.6,
      is_enabled: true,
    },
  );
  return { project, owner, editor };
}

/** Prints rows as an aligned text table. */
export function formatTable(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (value: unknown) => (value === null || value === undefined ? '-' : String(value));
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => cell(row[column]).length)));
  const line = (values: string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    line(columns),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map((row) => line(columns.map((c) => cell(row[c])))),
  ].join('\n');
}

/** The project's content per environment and its publish history, as text. */
export async function summarise(db: Db, projectId: string): Promise<string> {
  const parts: string[] = [];
  for (const environment of ENVIRONMENTS as readonly Environment[]) {
    const pages = await db.tour_pages.findAll({ where: { projectId, environment }, order: [['sort_order', 'ASC']] });
    const transition = await db.project_transition_settings.findOne({ where: { projectId, environment } });
    const tracks = await db.project_audio_tracks.findAll({ where: { projectId, environment } });
    parts.push(
      `${environment}: ${pages.length} pages, ${transition ? 1 : 0} transition setting, ${tracks.length} audio track`,
      formatTable(
        pages.map((page) => ({
          slug: page.slug,
          name: page.name,
          order: page.sort_order,
          elements: (page.ui_schema_json as { elements?: unknown[] } | null)?.elements?.length ?? 0,
          lineage: page.source_key ? page.source_key.slice(0, 8) : '(original)',
        })),
        ['slug', 'name', 'order', 'elements', 'lineage'],
      ),
      '',
    );
  }
  const events = await db.publish_events.findAll({ where: { projectId }, order: [['started_at', 'ASC']] });
  parts.push(
    'publish events',
    formatTable(
      events.map((event) => ({
        title: event.title,
        step: `${event.from_environment} -> ${event.to_environment}`,
        status: event.status,
        pages: event.pages_copied,
        transitions: event.transitions_copied,
        audios: event.audios_copied,
      })),
      ['title', 'step', 'status', 'pages', 'transitions', 'audios'],
    ),
  );
  return parts.join('\n');
}

/**
 * The demo: a sample tour in dev, saved to stage and published to production. Returns the summary. On the primary:
 * it reads back the roles just seeded, the rows it just made and the copies just published.
 */
export function runDemo(db: Db): Promise<string> {
  return onPrimary(db.sequelize, async () => {
    const { project, owner } = await createSampleTour(db);
    await publishEnvironment(db, project.id, 'dev', 'stage', { userId: owner.id, description: 'Demo: save to stage' });
    await publishEnvironment(db, project.id, 'stage', 'production', { userId: owner.id, description: 'Demo: publish' });
    return summarise(db, project.id);
  });
}
