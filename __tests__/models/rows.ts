import type { Model } from 'sequelize';
import type { Db, TableName } from '../../src';
import { build } from '../../src/testing/factories';

/** A row of any model, as the table-driven suites handle them. */
export type Row = Model & { id: string; deletedAt: Date | null } & Record<string, unknown>;

/** The 21 models of the spec and publish_snapshots (the join tables are not soft-deleted and have no id). */
export const MODEL_FACTORIES: Record<
  Exclude<TableName, 'usersCustom_permissionsPermissions' | 'rolesPermissionsPermissions'>,
  (db: Db, overrides?: Record<string, unknown>) => Promise<Row>
> = {
  users: (db, o) => build.user(db, o) as Promise<never>,
  roles: (db, o) => build.role(db, o) as Promise<never>,
  permissions: (db, o) => build.permission(db, o) as Promise<never>,
  projects: (db, o) => build.project(db, o) as Promise<never>,
  project_memberships: (db, o) => build.projectMembership(db, o) as Promise<never>,
  production_presentation_access: (db, o) => build.productionPresentationAccess(db, o) as Promise<never>,
  tour_pages: (db, o) => build.tourPage(db, o) as Promise<never>,
  assets: (db, o) => build.asset(db, o) as Promise<never>,
  asset_variants: (db, o) => build.assetVariant(db, o) as Promise<never>,
  element_type_defaults: (db, o) => build.elementTypeDefault(db, o) as Promise<never>,
  project_element_defaults: (db, o) => build.projectElementDefault(db, o) as Promise<never>,
  publish_events: (db, o) => build.publishEvent(db, o) as Promise<never>,
  access_logs: (db, o) => build.accessLog(db, o) as Promise<never>,
  pwa_caches: (db, o) => build.pwaCache(db, o) as Promise<never>,
  project_audio_tracks: (db, o) => build.projectAudioTrack(db, o) as Promise<never>,
  project_transition_settings: (db, o) => build.projectTransitionSetting(db, o) as Promise<never>,
  global_transition_defaults: (db, o) => build.globalTransitionDefault(db, o) as Promise<never>,
  global_ui_control_defaults: (db, o) => build.globalUiControlDefault(db, o) as Promise<never>,
  project_ui_control_settings: (db, o) => build.projectUiControlSetting(db, o) as Promise<never>,
  presigned_url_requests: (db, o) => build.presignedUrlRequest(db, o) as Promise<never>,
  file: (db, o) => build.file(db, o) as Promise<never>,
  publish_snapshots: (db, o) => build.publishSnapshot(db, o) as Promise<never>,
};

export type ModelTable = keyof typeof MODEL_FACTORIES;
export const MODEL_TABLES = Object.keys(MODEL_FACTORIES) as ModelTable[];

/** The model of a table, typed loosely for table-driven tests. */
export function modelOf(db: Db, table: TableName): typeof db.projects {
  return db[table] as unknown as typeof db.projects;
}

/** Pages to import into a project: `Page n`, `page-n`, importHash `import-n`, a small UI schema. */
export function pagesToImport(projectId: string, from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({
    name: `Page ${from + i}`,
    slug: `page-${from + i}`,
    projectId,
    importHash: `import-${from + i}`,
    ui_schema_json: { elements: [{ type: 'hotspot', i: from + i }] },
  }));
}
