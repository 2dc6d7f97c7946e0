import type { ModelStatic, CreationAttributes as SequelizeCreation } from 'sequelize';
import type { Db } from '../db/create-db';
import type {
  AccessLog,
  Asset,
  AssetVariant,
  ElementTypeDefault,
  File,
  GlobalTransitionDefault,
  GlobalUiControlDefault,
  Permission,
  PresignedUrlRequest,
  ProductionPresentationAccess,
  Project,
  ProjectAudioTrack,
  ProjectElementDefault,
  ProjectMembership,
  ProjectTransitionSetting,
  ProjectUiControlSetting,
  PublishEvent,
  PublishSnapshot,
  PwaCache,
  Role,
  TourPage,
  User,
} from '../models';

let sequence = 0;
/** A number unique in this process, for unique names, slugs and emails. */
export function unique(): number {
  sequence += 1;
  return sequence;
}

/** The columns a factory's caller sets; the rest get plausible values. */
export type Overrides<M extends import('sequelize').Model> = Partial<SequelizeCreation<M>>;

async function make<M extends import('sequelize').Model>(
  model: ModelStatic<M>,
  defaults: SequelizeCreation<M>,
  overrides: Overrides<M> = {},
): Promise<M> {
  return model.create({ ...defaults, ...overrides } as SequelizeCreation<M>);
}

/** The project an override names, or a new one. */
async function projectId(db: Db, overrides: { projectId?: string | null }): Promise<string> {
  return overrides.projectId ?? (await build.project(db)).id;
}

async function userId(db: Db, overrides: { userId?: string | null }): Promise<string> {
  return overrides.userId ?? (await build.user(db)).id;
}

/**
 * Factories that create a valid row of every model, with the parents it needs:
 * `await build.tourPage(db)` is a page in a new project;
 * `await build.tourPage(db, { projectId })` one in yours.
 */
export const build = {
  user: (db: Db, overrides: Overrides<User> = {}) =>
    make(db.users, { email: `user${unique()}@example.com`, password: 'correct horse battery' }, overrides),
  role: (db: Db, overrides: Overrides<Role> = {}) => make(db.roles, { name: `Role ${unique()}` }, overrides),
  permission: (db: Db, overrides: Overrides<Permission> = {}) =>
    make(db.permissions, { name: `READ_THINGS_${unique()}` }, overrides),
  project: (db: Db, overrides: Overrides<Project> = {}) => {
    const n = unique();
    return make(db.projects, { name: `Tour ${n}`, slug: `tour-${n}` }, overrides);
  },
  projectMembership: async (db: Db, overrides: Overrides<ProjectMembership> = {}) =>
    make(
      db.project_memberships,
      { projectId: await projectId(db, overrides), userId: await userId(db, overrides) },
      overrides,
    ),
  productionPresentationAccess: async (db: Db, overrides: Overrides<ProductionPresentationAccess> = {}) =>
    make(
      db.production_presentation_access,
      { projectId: await projectId(db, overrides), userId: await userId(db, overrides) },
      overrides,
    ),
  tourPage: async (db: Db, overrides: Overrides<TourPage> = {}) => {
    const n = unique();
    return make(
      db.tour_pages,
      { name: `Page ${n}`, slug: `page-${n}`, projectId: await projectId(db, overrides) },
      overrides,
    );
  },
  asset: async (db: Db, overrides: Overrides<Asset> = {}) =>
    make(db.assets, { asset_type: 'image', projectId: await projectId(db, overrides) }, overrides),
  assetVariant: async (db: Db, overrides: Overrides<AssetVariant> = {}) =>
    make(
      db.asset_variants,
      { variant_type: 'thumbnail', assetId: overrides.assetId ?? (await build.asset(db)).id },
      overrides,
    ),
  elementTypeDefault: (db: Db, overrides: Overrides<ElementTypeDefault> = {}) => {
    const n = unique();
    return make(db.element_type_defaults, { element_type: `button_${n}`, name: `Button ${n}` }, overrides);
  },
  projectElementDefault: async (db: Db, overrides: Overrides<ProjectElementDefault> = {}) =>
    make(
      db.project_element_defaults,
      { element_type: `button_${unique()}`, projectId: await projectId(db, overrides) },
      overrides,
    ),
  publishEvent: async (db: Db, overrides: Overrides<PublishEvent> = {}) =>
    make(
      db.publish_events,
      { from_environment: 'dev', to_environment: 'stage', projectId: await projectId(db, overrides) },
      overrides,
    ),
  publishSnapshot: async (db: Db, overrides: Overrides<PublishSnapshot> = {}) => {
    const event = overrides.publishEventId
      ? await db.publish_events.findByPk(overrides.publishEventId)
      : await build.publishEvent(db, overrides.projectId ? { projectId: overrides.projectId } : {});
    return make(
      db.publish_snapshots,
      {
        environment: event?.to_environment ?? 'stage',
        publishEventId: event?.id ?? '',
        projectId: event?.projectId ?? (await projectId(db, overrides)),
      },
      overrides,
    );
  },
  accessLog: async (db: Db, overrides: Overrides<AccessLog> = {}) =>
    make(db.access_logs, { environment: 'production', projectId: await projectId(db, overrides) }, overrides),
  pwaCache: async (db: Db, overrides: Overrides<PwaCache> = {}) =>
    make(db.pwa_caches, { environment: 'production', projectId: await projectId(db, overrides) }, overrides),
  projectAudioTrack: async (db: Db, overrides: Overrides<ProjectAudioTrack> = {}) =>
    make(db.project_audio_tracks, { environment: 'dev', projectId: await projectId(db, overrides) }, overrides),
  projectTransitionSetting: async (db: Db, overrides: Overrides<ProjectTransitionSetting> = {}) =>
    make(db.project_transition_settings, { environment: 'dev', projectId: await projectId(db, overrides) }, overrides),
  globalTransitionDefault: (db: Db, overrides: Overrides<GlobalTransitionDefault> = {}) =>
    make(db.global_transition_defaults, {}, overrides),
  globalUiControlDefault: (db: Db, overrides: Overrides<GlobalUiControlDefault> = {}) =>
    make(db.global_ui_control_defaults, {}, overrides),
  projectUiControlSetting: async (db: Db, overrides: Overrides<ProjectUiControlSetting> = {}) =>
    make(db.project_ui_control_settings, { environment: 'dev', projectId: await projectId(db, overrides) }, overrides),
  presignedUrlRequest: async (db: Db, overrides: Overrides<PresignedUrlRequest> = {}) =>
    make(db.presigned_url_requests, { purpose: 'upload', projectId: await projectId(db, overrides) }, overrides),
  file: (db: Db, overrides: Overrides<File> = {}) => {
    const n = unique();
    return make(db.file, { name: `file-${n}.png`, publicUrl: `https://cdn.example.com/file-${n}.png` }, overrides);
  },
};

export type Factories = typeof build;
