import type { CreationOptional, NonAttribute, Transaction } from 'sequelize';
import { AccessLog } from './access_logs';
import { Asset } from './assets';
import { enumeration, table, text } from './base/columns';
import { BeforeDestroy, BeforeRestore, Column, HasMany, Table } from './base/decorators';
import { BaseModel } from './base/model';
import { lockProject } from './base/project-lock';
import { PresignedUrlRequest } from './presigned_url_requests';
import { ProductionPresentationAccess } from './production_presentation_access';
import { ProjectAudioTrack } from './project_audio_tracks';
import { ProjectElementDefault } from './project_element_defaults';
import { ProjectMembership } from './project_memberships';
import { ProjectTransitionSetting } from './project_transition_settings';
import { ProjectUiControlSetting } from './project_ui_control_settings';
import { PublishEvent } from './publish_events';
import { PublishSnapshot } from './publish_snapshots';
import { PwaCache } from './pwa_caches';
import { TourPage } from './tour_pages';

export const PRESENTATION_VISIBILITIES = ['public', 'private'] as const;
export type PresentationVisibility = (typeof PRESENTATION_VISIBILITIES)[number];

// Each child's projectId column states its ON DELETE rule (CASCADE): see base/project-scoped.ts.
const byProject = { foreignKey: 'projectId' } as const;

@Table(table('projects', { indexes: [{ fields: ['slug'], unique: true }, { fields: ['deletedAt'] }] }))
export class Project extends BaseModel<Project> {
  @Column(text('Name', { allowNull: false, notEmpty: true, len: [1, 255] }))
  declare name: string;

  @Column(
    text('Slug', {
      allowNull: false,
      notEmpty: true,
      indexed: true,
      pattern: { is: /^[A-Za-z0-9_-]+$/, msg: 'Slug may contain only letters, digits, dashes and underscores' },
    }),
  )
  declare slug: string;

  @Column(text('Description'))
  declare description: CreationOptional<string | null>;

  @Column(text('Logo URL'))
  declare logo_url: CreationOptional<string | null>;

  @Column(text('Favicon URL'))
  declare favicon_url: CreationOptional<string | null>;

  @Column(text('Open Graph image URL'))
  declare og_image_url: CreationOptional<string | null>;

  @Column(
    enumeration('Production presentation visibility', PRESENTATION_VISIBILITIES, {
      allowNull: false,
      defaultValue: 'public',
    }),
  )
  declare production_presentation_visibility: CreationOptional<PresentationVisibility>;

  // associations

  @HasMany(() => ProjectMembership, byProject)
  declare project_memberships_project?: NonAttribute<ProjectMembership[]>;

  @HasMany(() => Asset, byProject)
  declare assets_project?: NonAttribute<Asset[]>;

  @HasMany(() => PresignedUrlRequest, byProject)
  declare presigned_url_requests_project?: NonAttribute<PresignedUrlRequest[]>;

  @HasMany(() => TourPage, byProject)
  declare tour_pages_project?: NonAttribute<TourPage[]>;

  @HasMany(() => ProjectAudioTrack, byProject)
  declare project_audio_tracks_project?: NonAttribute<ProjectAudioTrack[]>;

  @HasMany(() => ProjectTransitionSetting, byProject)
  declare project_transition_settings_project?: NonAttribute<ProjectTransitionSetting[]>;

  @HasMany(() => PublishEvent, byProject)
  declare publish_events_project?: NonAttribute<PublishEvent[]>;

  @HasMany(() => PwaCache, byProject)
  declare pwa_caches_project?: NonAttribute<PwaCache[]>;

  @HasMany(() => AccessLog, byProject)
  declare access_logs_project?: NonAttribute<AccessLog[]>;

  @HasMany(() => ProjectElementDefault, byProject)
  declare project_element_defaults_project?: NonAttribute<ProjectElementDefault[]>;

  @HasMany(() => ProductionPresentationAccess, byProject)
  declare production_presentation_access_project?: NonAttribute<ProductionPresentationAccess[]>;

  @HasMany(() => ProjectUiControlSetting, byProject)
  declare project_ui_control_settings_project?: NonAttribute<ProjectUiControlSetting[]>;

  @HasMany(() => PublishSnapshot, byProject)
  declare publish_snapshots_project?: NonAttribute<PublishSnapshot[]>;

  // hooks

  /**
   * A soft delete or restore takes the project's lock before it touches the
   * row, so that it never interleaves with a publish: the cascade then reads
   * the children after any publish that was writing them has committed, and a
   * publish that comes second finds the project deleted. (Both static and
   * instance deletes get here: the soft cascade turns on row hooks.)
   */
  @BeforeDestroy
  @BeforeRestore
  static async waitForPublishes(project: Project, options: { transaction?: Transaction | null }): Promise<void> {
    if (options.transaction && project.sequelize) {
      await lockProject(project.sequelize, project.id, options.transaction);
    }
  }
}
