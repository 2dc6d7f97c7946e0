import { randomBytes } from 'node:crypto';
import {
  type Attributes,
  type BulkCreateOptions,
  type CreationAttributes,
  type CreationOptional,
  type ModelStatic,
  type NonAttribute,
  type Model as SequelizeModel,
  type UpdateOptions,
  ValidationError,
  ValidationErrorItem,
} from 'sequelize';
import {
  AfterValidate,
  BeforeBulkCreate,
  BeforeBulkUpdate,
  BeforeSave,
  BeforeUpsert,
  BeforeValidate,
  BelongsTo,
  BelongsToMany,
  Column,
  DefaultScope,
  HasMany,
  Model,
  Scopes,
  Table,
} from 'sequelize-typescript';
import { hasherFor, isHashOf, MAX_PASSWORD_BYTES } from '../auth/password';
import { AccessLog } from './access_logs';
import { boolean, date, foreignKey, table, text } from './base/columns';
import { BaseModel } from './base/model';
import { File } from './file';
import { Permission } from './permissions';
import { PresignedUrlRequest } from './presigned_url_requests';
import { ProductionPresentationAccess } from './production_presentation_access';
import { ProjectMembership } from './project_memberships';
import { PublishEvent } from './publish_events';
import { Role } from './roles';
import { UserCustomPermission } from './users_custom_permissions_permissions';

/** Columns that never leave the model unless the `withSecrets` scope asks for them. */
export const USER_SECRET_FIELDS = ['password', 'emailVerificationToken', 'passwordResetToken'] as const;
export type UserSecretField = (typeof USER_SECRET_FIELDS)[number];

function trimmed(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.trim() : value;
}

@DefaultScope(() => ({ attributes: { exclude: [...USER_SECRET_FIELDS] } }))
@Scopes(() => ({ withSecrets: {} }))
@Table(
  table('users', {
    indexes: [{ fields: ['email'], unique: true }, { fields: ['app_roleId'] }, { fields: ['deletedAt'] }],
  }),
)
export class User extends BaseModel<User> {
  @Column(text('First name'))
  declare firstName: CreationOptional<string | null>;

  @Column(text('Last name'))
  declare lastName: CreationOptional<string | null>;

  @Column(text('Phone number'))
  declare phoneNumber: CreationOptional<string | null>;

  @Column({
    ...text('Email', { allowNull: false, notEmpty: true }),
    validate: {
      notNull: { msg: 'Email is required' },
      notEmpty: { msg: 'Email is required' },
      isEmail: { msg: 'Must be a valid email address' },
    },
  })
  declare email: string;

  // Optional on create only for OAuth users, who get a generated one.
  @Column({
    ...text('Password', { allowNull: false, notEmpty: true }),
    validate: {
      notNull: { msg: 'Password is required' },
      notEmpty: { msg: 'Password must not be empty' },
      maxBytes(value: unknown) {
        if (typeof value === 'string' && Buffer.byteLength(value, 'utf8') > MAX_PASSWORD_BYTES) {
          throw new Error(`Password must be at most ${MAX_PASSWORD_BYTES} bytes`);
        }
      },
    },
  })
  declare password: CreationOptional<string>;

  @Column(boolean('Disabled', { allowNull: false, defaultValue: false }))
  declare disabled: CreationOptional<boolean>;

  @Column(boolean('Email verified', { allowNull: false, defaultValue: false }))
  declare emailVerified: CreationOptional<boolean>;

  @Column(text('Email verification token'))
  declare emailVerificationToken: CreationOptional<string | null>;

  @Column(date('Email verification token expiry'))
  declare emailVerificationTokenExpiresAt: CreationOptional<Date | null>;

  @Column(text('Password reset token'))
  declare passwordResetToken: CreationOptional<string | null>;

  @Column(date('Password reset token expiry'))
  declare passwordResetTokenExpiresAt: CreationOptional<Date | null>;

  @Column(text('Provider', { allowNull: false, defaultValue: 'local', notEmpty: true }))
  declare provider: CreationOptional<string>;

  @Column(foreignKey('Role', 'SET NULL'))
  declare app_roleId: CreationOptional<string | null>;

  // associations

  @BelongsTo(() => Role, { foreignKey: 'app_roleId', as: 'app_role', onDelete: 'SET NULL', onUpdate: 'CASCADE' })
  declare app_role?: NonAttribute<Role | null>;

  @BelongsToMany(() => Permission, {
    through: () => UserCustomPermission,
    as: 'custom_permissions',
    foreignKey: 'users_custom_permissionsId',
    otherKey: 'permissionId',
  })
  declare custom_permissions?: NonAttribute<Permission[]>;

  @HasMany(() => ProjectMembership, { foreignKey: 'userId', onDelete: 'SET NULL' })
  declare project_memberships_user?: NonAttribute<ProjectMembership[]>;

  @HasMany(() => PresignedUrlRequest, { foreignKey: 'userId', onDelete: 'SET NULL' })
  declare presigned_url_requests_user?: NonAttribute<PresignedUrlRequest[]>;

  @HasMany(() => PublishEvent, { foreignKey: 'userId', onDelete: 'SET NULL' })
  declare publish_events_user?: NonAttribute<PublishEvent[]>;

  @HasMany(() => AccessLog, { foreignKey: 'userId', onDelete: 'SET NULL' })
  declare access_logs_user?: NonAttribute<AccessLog[]>;

  @HasMany(() => ProductionPresentationAccess, { foreignKey: 'userId', onDelete: 'CASCADE' })
  declare production_presentation_access_user?: NonAttribute<ProductionPresentationAccess[]>;

  // Polymorphic: `file` rows point here through belongsTo/belongsToId/belongsToColumn, so no FK constraint.
  @HasMany(() => File, {
    as: 'avatar',
    foreignKey: 'belongsToId',
    constraints: false,
    scope: { belongsTo: 'users', belongsToColumn: 'avatar' },
  })
  declare avatar?: NonAttribute<File[]>;

  // hooks

  @BeforeValidate
  @BeforeSave
  static normaliseFields(user: User): void {
    if (user.changed('firstName')) user.firstName = trimmed(user.firstName) ?? null;
    if (user.changed('lastName')) user.lastName = trimmed(user.lastName) ?? null;
    if (typeof user.email === 'string' && user.changed('email')) user.email = user.email.trim().toLowerCase();
  }

  @BeforeValidate
  static completeOAuthAccount(user: User): void {
    if (!user.isNewRecord || !user.provider || user.provider === 'local') return;
    user.emailVerified = true;
    if (user.password === undefined || user.password === null || user.password === '') {
      user.password = randomBytes(32).toString('hex');
    }
  }

  /**
   * Hashes a changed password. It runs after validation (so the 72-byte rule
   * sees the plain text, and `upsert`, which copies the values right after
   * validating, stores the hash) and again before saving (for saves with
   * `validate: false`). A value that is already a bcrypt hash is kept, which
   * makes the hook idempotent and lets an import bring existing hashes.
   */
  @AfterValidate
  @BeforeSave
  static async hashPassword(user: User, options?: { where?: unknown }): Promise<void> {
    // A static update validates a throwaway copy of its values (options.where is set): hashing there would
    // give every row the same salt. The per-row hooks that runRowHooksOnBulkUpdate turns on hash each row.
    if (options?.where !== undefined && user.isNewRecord) return;
    if (!user.changed('password') || typeof user.password !== 'string') return;
    const hasher = hasherFor(user.sequelize);
    if (!isHashOf(hasher, user.password)) user.password = await hasher.hash(user.password);
  }

  @BeforeUpsert
  static refuseUnhashedUpsert(_values: unknown, options: { instance?: User }): void {
    const { instance } = options;
    if (
      instance &&
      typeof instance.password === 'string' &&
      !isHashOf(hasherFor(instance.sequelize), instance.password)
    ) {
      throw new ValidationError('An upsert with validate: false would store the password unhashed', [
        new ValidationErrorItem(
          'Password must be hashed: upsert with validation on',
          'validation error',
          'password',
          '',
          options.instance as User,
          'hashed',
          'hashPassword',
          [],
        ),
      ]);
    }
  }

  // Without these, bulkCreate and the static update would skip the per-row hooks and validation above
  // and store a password in plain text.
  @BeforeBulkCreate
  static runRowHooksOnBulkCreate(_users: User[], options: BulkCreateOptions<User>): void {
    options.individualHooks = true;
    options.validate = true;
  }

  @BeforeBulkUpdate
  static runRowHooksOnBulkUpdate(options: UpdateOptions<User>): void {
    options.individualHooks = true;
  }

  /**
   * With per-row hooks, Sequelize saves the rows one by one and all at once: without a transaction, a row
   * that fails leaves the others saved, some of them after the call has already failed. In one transaction
   * (the caller's, or one of its own) a failed bulk create leaves no row.
   */
  static override async bulkCreate<M extends SequelizeModel>(
    this: ModelStatic<M>,
    records: ReadonlyArray<CreationAttributes<M>>,
    options: BulkCreateOptions<Attributes<M>> = {},
  ): Promise<M[]> {
    const bulkCreate = (withTransaction: BulkCreateOptions<Attributes<M>>) =>
      Model.bulkCreate.call(this, records as never, withTransaction as never) as Promise<M[]>;
    if (options.transaction || !this.sequelize) return bulkCreate(options);
    return this.sequelize.transaction((transaction) => bulkCreate({ ...options, transaction }));
  }

  // methods

  /** Whether `plain` is this user's password. Needs the hash: load the user with the `withSecrets` scope. */
  async checkPassword(plain: string): Promise<boolean> {
    const hash = this.getDataValue('password');
    if (typeof hash !== 'string') {
      throw new Error('checkPassword needs the password hash: load the user with scope("withSecrets")');
    }
    return hasherFor(this.sequelize).compare(plain, hash);
  }

  override toJSON<T extends object>(): T {
    const json = { ...(super.toJSON() as Record<string, unknown>) };
    for (const field of USER_SECRET_FIELDS) delete json[field];
    return json as T;
  }
}
