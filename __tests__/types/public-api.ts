/**
 * Compile-time assertions on the public API, checked by `tsc --noEmit` in `npm test`.
 * Each `@ts-expect-error` line must fail to compile: if a type is loosened
 * (to `any`, say), the line compiles and tsc reports the unused directive.
 */
import { expectTypeOf } from 'expect-type';
import type { CreationAttributes } from 'sequelize';
import {
  type AccessAction,
  type AccessDecision,
  type AccessLevel,
  type Asset,
  can,
  canWhy,
  createDb,
  type Db,
  type EditorView,
  type Environment,
  loadEditorView,
  loadPresentation,
  type Permission,
  type Presentation,
  type Project,
  type ProjectMembership,
  type Role,
  type TourPage,
  type UiSchema,
  type User,
  visibleProductionPages,
} from '../../src';

declare const db: Db;

/** True when A and B are assignable both ways and neither is `any` (Sequelize brands CreationOptional columns). */
type IsAny<T> = 0 extends 1 & T ? true : false;
type Same<A, B> =
  IsAny<A> extends true
    ? false
    : IsAny<B> extends true
      ? false
      : [A] extends [B]
        ? [B] extends [A]
          ? true
          : false
        : false;
function same<A, B>(_proof: Same<A, B>): void {}

export async function typedFinds(id: string): Promise<void> {
  const found = await db.users.findByPk(id);
  same<typeof found, User | null>(true);
  // With rejectOnEmpty, never null (Sequelize's overload, kept by the package's findByPk).
  const sure = await db.users.findByPk(id, { rejectOnEmpty: true });
  same<typeof sure, User>(true);
  if (!found) return;
  const user = found;
  same<typeof user.email, string>(true);
  same<typeof user.firstName, string | null>(true);
  same<typeof user.disabled, boolean>(true);
  same<typeof user.app_roleId, string | null>(true);
  same<typeof user.createdAt, Date>(true);
  same<typeof user.deletedAt, Date | null>(true);
  expectTypeOf(user.checkPassword).returns.toEqualTypeOf<Promise<boolean>>();
  expectTypeOf(user.issuePasswordReset).returns.toEqualTypeOf<Promise<string>>();
  expectTypeOf(user.issueEmailVerification).returns.toEqualTypeOf<Promise<string>>();
  same<Awaited<ReturnType<typeof db.users.findByPasswordResetToken>>, User | null>(true);
  same<Awaited<ReturnType<typeof db.users.resetPassword>>, User | null>(true);
  same<Awaited<ReturnType<typeof db.users.verifyEmail>>, User | null>(true);
  // @ts-expect-error the lifetime is a number of milliseconds
  await user.issuePasswordReset({ ttlMs: '1h' });

  const page = (await db.tour_pages.findOne({ where: { slug: 'home' } })) as TourPage;
  same<typeof page.environment, 'dev' | 'stage' | 'production'>(true);
  same<typeof page.environment, Environment>(true);
  same<typeof page.sort_order, number>(true);
  same<typeof page.ui_schema_json, UiSchema | null>(true);

  const asset = (await db.assets.findByPk(id)) as Asset;
  same<typeof asset.size_mb, number | null>(true);
  same<typeof asset.asset_type, 'image' | 'video' | 'audio' | 'file'>(true);
  same<
    Asset['type'],
    'icon' | 'background_image' | 'audio' | 'video' | 'transition' | 'logo' | 'favicon' | 'document' | 'general'
  >(true);
  same<ProjectMembership['access_level'], AccessLevel>(true);
  // @ts-expect-error an ENUM column is not any string
  same<typeof page.environment, string>(true);
  // @ts-expect-error a nullable column includes null
  same<typeof user.firstName, string>(true);
  // @ts-expect-error a column loosened to any is caught: `any` is never the same as a column's type
  // biome-ignore lint/suspicious/noExplicitAny: the point of this line is an `any`
  same<any, string | null>(true);
}

export async function typedIncludes(id: string): Promise<void> {
  const project = await db.projects.findOne({
    where: { id },
    include: [{ association: 'tour_pages_project' }, { association: 'project_memberships_project', include: ['user'] }],
  });
  same<typeof project, Project | null>(true);
  if (!project) return;
  same<typeof project.tour_pages_project, TourPage[] | undefined>(true);
  const membership = project.project_memberships_project?.[0] as ProjectMembership;
  same<typeof membership.user, User | null | undefined>(true);
}

export function creationAttributes(): void {
  // Exactly the non-null columns without a default are required.
  expectTypeOf<{ name: string; slug: string }>().toMatchTypeOf<CreationAttributes<Project>>();
  expectTypeOf<{ email: string }>().toMatchTypeOf<CreationAttributes<User>>();
  expectTypeOf<{ name: string; slug: string; projectId: string }>().toMatchTypeOf<CreationAttributes<TourPage>>();
  expectTypeOf<{ asset_type: 'image' }>().toMatchTypeOf<CreationAttributes<Asset>>();

  // @ts-expect-error a project needs a slug
  db.projects.create({ name: 'Tour' });
  // @ts-expect-error an asset needs its asset_type
  db.assets.create({ projectId: 'p' });
  // @ts-expect-error environment is a literal union, not any string
  db.tour_pages.create({ name: 'Home', slug: 'home', environment: 'qa' });
  // @ts-expect-error sort_order is a number
  db.tour_pages.create({ name: 'Home', slug: 'home', sort_order: '1' });
  // @ts-expect-error no such column
  db.users.create({ email: 'a@b.co', nickname: 'x' });
}

export function registry(): void {
  expectTypeOf(createDb).returns.toEqualTypeOf<Db>();
  expectTypeOf<keyof Db>().toEqualTypeOf<
    | 'users'
    | 'roles'
    | 'permissions'
    | 'usersCustom_permissionsPermissions'
    | 'rolesPermissionsPermissions'
    | 'projects'
    | 'project_memberships'
    | 'production_presentation_access'
    | 'tour_pages'
    | 'assets'
    | 'asset_variants'
    | 'element_type_defaults'
    | 'project_element_defaults'
    | 'publish_events'
    | 'access_logs'
    | 'pwa_caches'
    | 'project_audio_tracks'
    | 'project_transition_settings'
    | 'global_transition_defaults'
    | 'global_ui_control_defaults'
    | 'project_ui_control_settings'
    | 'presigned_url_requests'
    | 'file'
    | 'publish_snapshots'
    | 'sequelize'
    | 'Sequelize'
    | 'withActor'
    | 'onPrimary'
  >();
  expectTypeOf(db.withActor('u', () => 1)).toEqualTypeOf<number>();
  expectTypeOf(db.withActor('u', async () => 'x')).toEqualTypeOf<Promise<string>>();
  expectTypeOf(createDb().onPrimary(async () => 1)).toEqualTypeOf<Promise<number>>();
  // @ts-expect-error the registry has no such table
  db.customers;
}

export async function manyToManyMethods(user: User, role: Role, permission: Permission): Promise<void> {
  same<Awaited<ReturnType<typeof user.getCustom_permissions>>, Permission[]>(true);
  await user.setCustom_permissions([permission]);
  await user.addCustom_permission(permission.id);
  same<Awaited<ReturnType<typeof user.hasCustom_permission>>, boolean>(true);
  same<Awaited<ReturnType<typeof role.countPermissions>>, number>(true);
  await role.addPermissions([permission]);
  await role.removePermission(permission);
  // @ts-expect-error a role's permissions are Permission rows, not users
  await role.addPermission(user);
  // @ts-expect-error the alias is custom_permissions: there is no getPermissions on a user
  await user.getPermissions();
}

export async function presentationReads(projectId: string): Promise<void> {
  const shown = await loadPresentation(db, projectId, 'production', { viewer: null, transaction: undefined });
  expectTypeOf(shown).toEqualTypeOf<Presentation | null>();
  if (shown) {
    same<(typeof shown.pages)[number]['ui_schema_json'], UiSchema | null>(true);
    same<(typeof shown.audioTracks)[number]['volume'], number | null>(true);
    same<typeof shown.project.createdAt, Date>(true);
    same<typeof shown.transitionSettings, null>(false);
  }
  const view = await loadEditorView(db.sequelize, 'my-tour', 'dev', { useMaster: true });
  expectTypeOf(view).toEqualTypeOf<EditorView | null>();
  const user = view?.members[0]?.user;
  if (user) {
    same<typeof user.email, string>(true);
    // @ts-expect-error the secrets are not in a member's user
    user.password;
  }
  // @ts-expect-error no such environment
  await loadPresentation(db, projectId, 'live');
}

export async function accessDecisions(userId: string, projectId: string, action: AccessAction): Promise<void> {
  expectTypeOf(
    await can(db, userId, 'UPDATE', 'tour_pages', { projectId, environment: 'dev' }),
  ).toEqualTypeOf<boolean>();
  expectTypeOf(await canWhy(db, null, 'PUBLISH', 'projects', { projectId })).toEqualTypeOf<AccessDecision>();
  // A guard that takes its action from route metadata: any action, any entity.
  await can(db.sequelize, userId, action, 'tour_pages', { projectId });
  expectTypeOf(await visibleProductionPages(db, projectId, null)).toEqualTypeOf<TourPage[]>();
  // @ts-expect-error a project action is about the project itself
  await can(db, userId, 'PUBLISH', 'tour_pages', { projectId });
  // @ts-expect-error a project action names the project
  await can(db, userId, 'PUBLISH', 'projects');
  // @ts-expect-error no such action
  await can(db, userId, 'FLY', 'projects');
  // @ts-expect-error no such table
  await can(db, userId, 'READ', 'customers');
  // @ts-expect-error permissions are named after tables, not join tables
  await can(db, userId, 'READ', 'rolesPermissionsPermissions');
  // @ts-expect-error the environment is a literal union
  await can(db, userId, 'UPDATE', 'tour_pages', { projectId, environment: 'qa' });
}

export function secretsMayBeAbsent(user: User): void {
  // The default scope leaves the secrets out: the compiler makes the reader handle their absence.
  same<typeof user.password, string | undefined>(true);
  same<typeof user.passwordResetToken, string | null | undefined>(true);
  // @ts-expect-error the hash is not there unless the user was loaded with scope('withSecrets')
  const hash: string = user.password;
  void hash;
}
