import { AccessLog } from './access_logs';
import { AssetVariant } from './asset_variants';
import { Asset } from './assets';
import { ElementTypeDefault } from './element_type_defaults';
import { File } from './file';
import { GlobalTransitionDefault } from './global_transition_defaults';
import { GlobalUiControlDefault } from './global_ui_control_defaults';
import { Permission } from './permissions';
import { PresignedUrlRequest } from './presigned_url_requests';
import { ProductionPresentationAccess } from './production_presentation_access';
import { ProjectAudioTrack } from './project_audio_tracks';
import { ProjectElementDefault } from './project_element_defaults';
import { ProjectMembership } from './project_memberships';
import { ProjectTransitionSetting } from './project_transition_settings';
import { ProjectUiControlSetting } from './project_ui_control_settings';
import { Project } from './projects';
import { PublishEvent } from './publish_events';
import { PublishSnapshot } from './publish_snapshots';
import { PwaCache } from './pwa_caches';
import { Role } from './roles';
import { RolePermission } from './roles_permissions_permissions';
import { TourPage } from './tour_pages';
import { User } from './users';
import { UserCustomPermission } from './users_custom_permissions_permissions';

/** Every model class under its table name: the keys of the `db` registry. */
export const modelsByTable = {
  users: User,
  roles: Role,
  permissions: Permission,
  usersCustom_permissionsPermissions: UserCustomPermission,
  rolesPermissionsPermissions: RolePermission,
  projects: Project,
  project_memberships: ProjectMembership,
  production_presentation_access: ProductionPresentationAccess,
  tour_pages: TourPage,
  assets: Asset,
  asset_variants: AssetVariant,
  element_type_defaults: ElementTypeDefault,
  project_element_defaults: ProjectElementDefault,
  publish_events: PublishEvent,
  access_logs: AccessLog,
  pwa_caches: PwaCache,
  project_audio_tracks: ProjectAudioTrack,
  project_transition_settings: ProjectTransitionSetting,
  global_transition_defaults: GlobalTransitionDefault,
  global_ui_control_defaults: GlobalUiControlDefault,
  project_ui_control_settings: ProjectUiControlSetting,
  presigned_url_requests: PresignedUrlRequest,
  file: File,
  publish_snapshots: PublishSnapshot,
} as const;

export type ModelsByTable = typeof modelsByTable;
export type TableName = keyof ModelsByTable;

/** The model classes, for `new Sequelize({ models })` or `SequelizeModule.forRoot({ models })`. */
export const models = Object.values(modelsByTable);

export {
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
  RolePermission,
  TourPage,
  User,
  UserCustomPermission,
};
