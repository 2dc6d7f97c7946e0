import { randomBytes } from 'node:crypto';
import { type InspectOptions, inspect } from 'node:util';
import {
  type Attributes,
  type BulkCreateOptions,
  type CreationAttributes,
  type CreationOptional,
  fn,
  type Model,
  type ModelStatic,
  type NonAttribute,
  Op,
  type SaveOptions,
  type Transaction,
  type UpdateOptions,
  type UpsertOptions,
  ValidationError,
  ValidationErrorItem,
  type WhereOptions,
} from 'sequelize';
import type { Col, Fn, Literal } from 'sequelize/types/utils';
import { hasherFor, isHashOf, passwordProblem } from '../auth/password';
import { isTokenDigest, MAX_TOKEN_LENGTH, newToken, tokenDigest } from '../auth/tokens';
import { AccessLog } from './access_logs';
import { boolean, date, foreignKey, table, text } from './base/columns';
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
  Scopes,
  Table,
} from './base/decorators';
import type { BelongsToManyMethods } from './base/many-to-many';
import { BaseModel } from './base/model';
import { inspectWithoutSecrets } from './base/secrets';
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

/** The columns that hold one-time tokens, stored as digests (see auth/tokens.ts). */
export const USER_TOKEN_FIELDS = ['emailVerificationToken', 'passwordResetToken'] as const;

/** Each kind of one-time token: its digest's column, its expiry's column, and its lifetime by default. */
const TOKEN_KINDS = {
  passwordReset: { token: 'passwordResetToken', expiresAt: 'passwordResetTokenExpiresAt', ttlMs: 60 * 60 * 1000 },
  emailVerification: {
    token: 'emailVerificationToken',
    expiresAt: 'emailVerificationTokenExpiresAt',
    ttlMs: 24 * 60 * 60 * 1000,
  },
} as const;
type TokenKind = (typeof TOKEN_KINDS)[keyof typeof TOKEN_KINDS];

/** A token may live at most this long (30 days): longer is a standing credential, not a one-time token. */
export const MAX_TOKEN_TTL_MS = 30 * 24 * 60 * 60 * 1000;

export interface IssueTokenOptions {
  /** How long the token is valid, in milliseconds (whole, at least 1, at most 30 days). */
  ttlMs?: number;
  transaction?: Transaction;
}

export interface TokenOptions {
  transaction?: Transaction;
}

const LABELS: Record<string, string> = {
  password: 'Password',
  emailVerificationToken: 'Email verification token',
  passwordResetToken: 'Password reset token',
  token: 'Token',
};

function trimmed(value: string | null | undefined): string | null | undefined {
  return typeof value === 'string' ? value.trim() : value;
}

/**
 * A ValidationError about a secret column or argument. Neither its message
 * nor its item holds the value given, nor the row (whose values hold it too).
 */
function refusedSecret(path: string, message: string, validatorKey: string): ValidationError {
  // Sequelize's types ask for a value and an instance; both are left out on purpose.
  const item = new ValidationErrorItem(
    message,
    'validation error',
    path,
    null as never,
    null as never,
    validatorKey,
    'refuseUnsafeSecrets',
    [],
  );
  return new ValidationError(`Validation error: ${message}`, [item]);
}

/** Why a value given for the password cannot be written, as a ValidationError. */
function passwordRefusal(value: unknown, sequelize: object | undefined): ValidationError | undefined {
  if (value === null || value === undefined) return refusedSecret('password', 'Password is required', 'notNull');
  // A hash is stored as given (imports); its length is the hasher's business, not bcrypt's input limit.
  if (typeof value === 'string' && isHashOf(hasherFor(sequelize), value)) return undefined;
  const problem = passwordProblem(value);
  if (!problem) return undefined;
  const key = typeof value !== 'string' ? 'isString' : value.trim() === '' ? 'notEmpty' : 'maxBytes';
  return refusedSecret('password', problem, key);
}

/** A token given for a token column, or as an argument: a string; anything else is refused. */
function tokenRefusal(path: string, value: unknown, required = false): ValidationError | undefined {
  if (typeof value === 'string' || (!required && (value === null || value === undefined))) return undefined;
  return refusedSecret(path, `${LABELS[path] ?? path} must be a string`, 'isString');
}

/**
 * With `hooks: false` nothing hashes or digests: the secret columns then take
 * only values already in their stored form (a hash, a digest), or NULL for a token.
 */
function refuseUnhookedSecrets(
  model: { sequelize?: object | undefined },
  values: Record<string, unknown>,
  inserting: boolean,
): void {
  if (inserting || 'password' in values) {
    const refusal = passwordRefusal(values.password, model.sequelize);
    if (refusal) throw refusal;
    if (!isHashOf(hasherFor(model.sequelize), values.password as string)) {
      throw refusedSecret('password', 'Password must be hashed: write it with hooks on', 'hashed');
    }
  }
  for (const field of USER_TOKEN_FIELDS) {
    const value = values[field];
    if (value === undefined || value === null) continue;
    const refusal = tokenRefusal(field, value);
    if (refusal) throw refusal;
    if (!isTokenDigest(value)) {
      throw refusedSecret(field, `${LABELS[field]} must be digested: write it with hooks on`, 'digested');
    }
  }
}

/** `ttlMs` as an interval PostgreSQL (and pg-mem) reads; refused unless a whole number of ms in range. */
function ttlInterval(ttlMs: unknown): string {
  if (typeof ttlMs !== 'number' || !Number.isInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_TOKEN_TTL_MS) {
    throw new RangeError(`ttlMs must be a whole number of milliseconds from 1 to ${MAX_TOKEN_TTL_MS}`);
  }
  return `${ttlMs} milliseconds`;
}

/** The digest to look a presented token up by, or undefined when it cannot be one of ours. */
function lookupDigest(token: unknown): string | undefined {
  const refusal = tokenRefusal('token', token, true);
  if (refusal) throw refusal;
  const given = token as string;
  return given === '' || given.length > MAX_TOKEN_LENGTH ? undefined : tokenDigest(given);
}

@DefaultScope(() => ({ attributes: { exclude: [...USER_SECRET_FIELDS] } }))
@Scopes(() => ({ withSecrets: {} }))
@Table(
  table('users', {
    indexes: [{ fields: ['email'], unique: true }, { fields: ['app_roleId'] }, { fields: ['deletedAt'] }],
  }),
)
export class User extends BaseModel<User> {
  static override readonly secretFields: readonly string[] = USER_SECRET_FIELDS;

  @Column(text('First name'))
  declare firstName: CreationOptional<string | null>;

  @Column(text('Last name'))
  declare lastName: CreationOptional<string | null>;

  @Column(text('Phone number'))
  declare phoneNumber: CreationOptional<string | null>;

  @Column({
    ...text('Email', { allowNull: false, notEmpty: true, indexed: true }),
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
      // Its type and length (at most 72 bytes) are checked by refuseUnsafeSecrets, on every write path.
    },
  })
  /** Absent (undefined) unless the user was loaded with `scope('withSecrets')`: the default scope leaves it out. */
  declare password: CreationOptional<string | undefined>;

  @Column(boolean('Disabled', { allowNull: false, defaultValue: false }))
  declare disabled: CreationOptional<boolean>;

  @Column(boolean('Email verified', { allowNull: false, defaultValue: false }))
  declare emailVerified: CreationOptional<boolean>;

  @Column(text('Email verification token'))
  /** A SHA-256 digest, never the token; absent (undefined) outside `scope('withSecrets')`. */
  declare emailVerificationToken: CreationOptional<string | null | undefined>;

  @Column(date('Email verification token expiry'))
  declare emailVerificationTokenExpiresAt: CreationOptional<Date | null>;

  @Column(text('Password reset token'))
  /** A SHA-256 digest, never the token; absent (undefined) outside `scope('withSecrets')`. */
  declare passwordResetToken: CreationOptional<string | null | undefined>;

  @Column(date('Password reset token expiry'))
  declare passwordResetTokenExpiresAt: CreationOptional<Date | null>;

  @Column(text('Provider', { allowNull: false, defaultValue: 'local', notEmpty: true }))
  declare provider: CreationOptional<string>;

  @Column(foreignKey('Role', 'SET NULL'))
  declare app_roleId: CreationOptional<string | null>;

  // associations

  @BelongsTo(() => Role, { foreignKey: 'app_roleId', as: 'app_role' })
  declare app_role?: NonAttribute<Role | null>;

  @BelongsToMany(() => Permission, {
    through: () => UserCustomPermission,
    as: 'custom_permissions',
    foreignKey: 'users_custom_permissionsId',
    otherKey: 'permissionId',
  })
  declare custom_permissions?: NonAttribute<Permission[]>;

  @HasMany(() => ProjectMembership, { foreignKey: 'userId' })
  declare project_memberships_user?: NonAttribute<ProjectMembership[]>;

  @HasMany(() => PresignedUrlRequest, { foreignKey: 'userId' })
  declare presigned_url_requests_user?: NonAttribute<PresignedUrlRequest[]>;

  @HasMany(() => PublishEvent, { foreignKey: 'userId' })
  declare publish_events_user?: NonAttribute<PublishEvent[]>;

  @HasMany(() => AccessLog, { foreignKey: 'userId' })
  declare access_logs_user?: NonAttribute<AccessLog[]>;

  @HasMany(() => ProductionPresentationAccess, { foreignKey: 'userId' })
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
  @BeforeSave
  static completeOAuthAccount(user: User): void {
    if (!user.isNewRecord || !user.provider || user.provider === 'local') return;
    user.emailVerified = true;
    if (user.password === undefined || user.password === null || user.password === '') {
      user.password = randomBytes(32).toString('hex');
    }
  }

  /**
   * Refuses a password that is not a string, is blank or is over 72 bytes
   * (unless it already is a hash), and a token that is not a string, with a ValidationError that holds
   * neither; digests the tokens. Before validation (so nothing else sees a
   * hostile value) and before saving (for writes with `validate: false`).
   */
  @BeforeValidate
  @BeforeSave
  static refuseUnsafeSecrets(user: User, options?: { skip?: string[] }): void {
    const written = (field: string) =>
      user.isNewRecord ? !options?.skip?.includes(field) : user.changed(field as never);
    if (written('password')) {
      const refusal = passwordRefusal(user.getDataValue('password'), user.sequelize);
      if (refusal) throw refusal;
    }
    for (const field of USER_TOKEN_FIELDS) {
      if (!written(field)) continue;
      const value = user.getDataValue(field) as unknown;
      const refusal = tokenRefusal(field, value);
      if (refusal) throw refusal;
      if (typeof value === 'string' && !isTokenDigest(value)) user.setDataValue(field, tokenDigest(value));
    }
  }

  /**
   * Hashes a changed password. It runs after validation (so that an invalid
   * row costs no hashing, and `upsert`, which copies the values right after
   * validating, stores the hash) and again before saving (for saves with
   * `validate: false`). A value that is already a bcrypt hash is kept, which
   * makes the hook idempotent and lets an import bring existing hashes (of any
   * cost: `checkPassword` upgrades a weak one at the first login).
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

  // upsert builds its INSERT before this hook, which can then only refuse: with validation off, the
  // hooks above did not run, and a value not yet hashed or digested would be stored as given.
  @BeforeUpsert
  static refuseUnhashedUpsert(_values: unknown, options: { instance?: User }): void {
    if (options.instance) refuseUnhookedSecrets(options.instance, options.instance.get({ plain: true }), true);
  }

  // Without these, bulkCreate and the static update would skip the per-row hooks and validation above
  // and store a password in plain text. The values are checked here too: a bulkCreate would report a bad
  // one as an AggregateError, and a static update matching no row would not check it at all.
  @BeforeBulkCreate
  static runRowHooksOnBulkCreate(users: User[], options: BulkCreateOptions<User>): void {
    options.individualHooks = true;
    options.validate = true;
    for (const user of users) User.refuseUnsafeSecrets(user, {});
  }

  @BeforeBulkUpdate
  static runRowHooksOnBulkUpdate(
    options: UpdateOptions<User> & { attributes?: Record<string, unknown>; model?: { sequelize?: object } },
  ): void {
    options.individualHooks = true;
    const values = options.attributes ?? {};
    if ('password' in values) {
      const refusal = passwordRefusal(values.password, options.model?.sequelize);
      if (refusal) throw refusal;
    }
    for (const field of USER_TOKEN_FIELDS) {
      const refusal = tokenRefusal(field, values[field]);
      if (refusal) throw refusal;
    }
  }

  // methods

  /**
   * Whether `plain` is this user's password. Needs the hash: load the user
   * with the `withSecrets` scope. Anything that could not have been stored
   * (not a string, blank, over 72 bytes) is simply not the password. After a
   * successful check, a hash weaker than the hasher's (a lower bcrypt cost)
   * is replaced by a new one.
   */
  async checkPassword(plain: unknown, options: TokenOptions = {}): Promise<boolean> {
    const hash = this.getDataValue('password');
    if (typeof hash !== 'string') {
      throw new Error('checkPassword needs the password hash: load the user with scope("withSecrets")');
    }
    // bcrypt compares only 72 bytes: a longer string that starts with the password would pass.
    if (passwordProblem(plain)) return false;
    const hasher = hasherFor(this.sequelize);
    if (!(await hasher.compare(plain as string, hash))) return false;
    if (hasher.needsRehash?.(hash) && !this.changed('password')) await this.upgradeHash(plain as string, hash, options);
    return true;
  }

  /**
   * Stores a new hash of `plain` in place of `old`: that column only, only
   * while it still holds `old` (a password changed meanwhile wins), and with
   * updatedAt left alone: the account did not change, its hash got stronger.
   */
  private async upgradeHash(plain: string, old: string, options: TokenOptions): Promise<void> {
    const fresh = await hasherFor(this.sequelize).hash(plain);
    const table = quotedTable(this);
    // Bound parameters: the hashes never enter the SQL text a logger prints.
    await this.sequelize.query(`UPDATE ${table} SET "password" = $1 WHERE "id" = $2 AND "password" = $3`, {
      bind: [fresh, this.id, old],
      transaction: options.transaction ?? null,
    });
    this.setDataValue('password', fresh);
    this.changed('password', false);
  }

  /**
   * Issues a password reset token: returns it, once, and stores only its
   * digest, with an expiry of now (the database's clock) plus `ttlMs`
   * (default one hour). A new token replaces the previous one.
   */
  issuePasswordReset(options: IssueTokenOptions = {}): Promise<string> {
    return this.issueToken(TOKEN_KINDS.passwordReset, options);
  }

  /** Issues an email verification token, as `issuePasswordReset` does (default lifetime 24 hours). */
  issueEmailVerification(options: IssueTokenOptions = {}): Promise<string> {
    return this.issueToken(TOKEN_KINDS.emailVerification, options);
  }

  private async issueToken(kind: TokenKind, options: IssueTokenOptions): Promise<string> {
    const interval = ttlInterval(options.ttlMs ?? kind.ttlMs);
    const token = newToken();
    const digest = tokenDigest(token);
    const table = quotedTable(this);
    // The expiry is the database's now(), the clock the lookups compare it with.
    const [rows] = (await this.sequelize.query(
      `UPDATE ${table} SET "${kind.token}" = $1, "${kind.expiresAt}" = now() + CAST($2 AS interval)
       WHERE "id" = $3 AND "deletedAt" IS NULL RETURNING "${kind.expiresAt}"`,
      { bind: [digest, interval, this.id], transaction: options.transaction ?? null },
    )) as [Record<string, Date>[], unknown];
    const expiresAt = rows[0]?.[kind.expiresAt];
    if (!expiresAt) throw new Error('a token can only be issued for a saved user that is not deleted');
    for (const [field, value] of [
      [kind.token, digest],
      [kind.expiresAt, new Date(expiresAt)],
    ] as const) {
      this.setDataValue(field, value as never);
      this.changed(field, false);
    }
    return token;
  }

  /** The user a password reset token was issued to, while it has not expired (by the database's clock); or null. */
  static findByPasswordResetToken<M extends User>(
    this: ModelStatic<M>,
    token: string,
    options: TokenOptions = {},
  ): Promise<M | null> {
    return findByToken(this, TOKEN_KINDS.passwordReset, token, options);
  }

  /**
   * Sets a new password with a password reset token, and consumes the token:
   * returns the user, or null (and changes nothing) when the token is
   * unknown, expired or already used. The password is checked first, as on
   * every write: a bad one is a ValidationError whatever the token.
   */
  static async resetPassword<M extends User>(
    this: ModelStatic<M>,
    token: string,
    newPassword: string,
    options: TokenOptions = {},
  ): Promise<M | null> {
    const refusal = passwordRefusal(newPassword, this.sequelize);
    if (refusal) throw refusal;
    return consumeToken(this, TOKEN_KINDS.passwordReset, token, { password: newPassword }, options);
  }

  /** Marks the email verified with an email verification token, and consumes the token; null as `resetPassword`. */
  static verifyEmail<M extends User>(
    this: ModelStatic<M>,
    token: string,
    options: TokenOptions = {},
  ): Promise<M | null> {
    return consumeToken(this, TOKEN_KINDS.emailVerification, token, { emailVerified: true }, options);
  }

  // With hooks off nothing would hash or digest: see refuseUnhookedSecrets.

  override async save(options?: SaveOptions<Attributes<User>>): Promise<this> {
    if (options?.hooks === false) {
      const values = this.get({ plain: true }) as Record<string, unknown>;
      const written = this.isNewRecord
        ? values
        : Object.fromEntries((this.changed() || []).map((key) => [key, values[key]]));
      refuseUnhookedSecrets(this, written, this.isNewRecord);
    }
    return super.save(options);
  }

  /**
   * With `hooks: false` only stored forms (hashes, digests) are taken. With per-row hooks, Sequelize saves the
   * rows one by one: without a transaction, a row that fails leaves the others saved, some of them after the call
   * has already failed. In one transaction (the caller's, or one of its own) a failed bulk create leaves no row.
   */
  static override async bulkCreate<M extends Model>(
    this: ModelStatic<M>,
    records: ReadonlyArray<CreationAttributes<M>>,
    options: BulkCreateOptions<Attributes<M>> = {},
  ): Promise<M[]> {
    if (options.hooks === false)
      for (const record of records) refuseUnhookedSecrets(this, record as Record<string, unknown>, true);
    const bulkCreate = (withTransaction: BulkCreateOptions<Attributes<M>>) =>
      super.bulkCreate.call(this, records, withTransaction) as Promise<M[]>;
    if (options.transaction || !this.sequelize) return bulkCreate(options);
    return this.sequelize.transaction((transaction) => bulkCreate({ ...options, transaction }));
  }

  static override async upsert<M extends Model>(
    this: ModelStatic<M>,
    values: CreationAttributes<M>,
    options?: UpsertOptions<Attributes<M>>,
  ): Promise<[M, boolean | null]> {
    if (options?.hooks === false) refuseUnhookedSecrets(this, values as Record<string, unknown>, true);
    return super.upsert.call(this, values, options) as Promise<[M, boolean | null]>;
  }

  static override update<M extends Model>(
    this: ModelStatic<M>,
    values: { [key in keyof Attributes<M>]?: Attributes<M>[key] | Fn | Col | Literal },
    options: Omit<UpdateOptions<Attributes<M>>, 'returning'> & {
      returning: Exclude<UpdateOptions<Attributes<M>>['returning'], undefined | false>;
    },
  ): Promise<[affectedCount: number, affectedRows: M[]]>;
  static override update<M extends Model>(
    this: ModelStatic<M>,
    values: { [key in keyof Attributes<M>]?: Attributes<M>[key] | Fn | Col | Literal },
    options: UpdateOptions<Attributes<M>>,
  ): Promise<[affectedCount: number]>;
  static override async update<M extends Model>(
    this: ModelStatic<M>,
    values: Record<string, unknown>,
    options: UpdateOptions<Attributes<M>>,
  ): Promise<[number, M[]] | [number]> {
    // As Sequelize does: an undefined value leaves its column as it is.
    const given = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined));
    if (options?.hooks === false) refuseUnhookedSecrets(this, given, false);
    return super.update.call(this, values as never, options) as Promise<[number]>;
  }

  /** `console.log(user)` and `util.inspect(user)` show the values with each loaded secret as `[REDACTED]`. */
  [inspect.custom](_depth: number, options: InspectOptions, inspectValue: typeof inspect): string {
    return inspectWithoutSecrets(this, USER_SECRET_FIELDS, options, inspectValue);
  }
}

/** The users table of `user`'s model, quoted (with its schema, when the instance has one). */
function quotedTable(user: User): string {
  // QueryInterface declares quoteTable in its types but has it only on its query generator.
  const generator = user.sequelize.getQueryInterface().queryGenerator as { quoteTable(table: unknown): string };
  return generator.quoteTable((user.constructor as typeof User).getTableName());
}

/** The live row a token was issued to: digest lookup, expiry compared with the database's clock. */
function tokenWhere(kind: TokenKind, digest: string): WhereOptions {
  return { [kind.token]: digest, [kind.expiresAt]: { [Op.gt]: fn('now') } };
}

async function findByToken<M extends User>(
  model: ModelStatic<M>,
  kind: TokenKind,
  token: unknown,
  options: TokenOptions,
): Promise<M | null> {
  const digest = lookupDigest(token);
  if (!digest) return null;
  return model.findOne({
    where: tokenWhere(kind, digest) as WhereOptions<Attributes<M>>,
    transaction: options.transaction ?? null,
    // A token is presented soon after it was issued: a replica may not have it yet.
    useMaster: true,
  });
}

/** Applies `changes` to the user a live token was issued to and clears the token, in one transaction. */
async function consumeToken<M extends User>(
  model: ModelStatic<M>,
  kind: TokenKind,
  token: unknown,
  changes: Record<string, unknown>,
  options: TokenOptions,
): Promise<M | null> {
  const digest = lookupDigest(token);
  const sequelize = model.sequelize;
  if (!digest || !sequelize) return null;
  const consume = async (transaction: Transaction): Promise<M | null> => {
    const where = tokenWhere(kind, digest) as WhereOptions<Attributes<M>>;
    const user = await model.findOne({ where, transaction });
    if (!user) return null;
    // The token stays in the WHERE: of two uses at once, the second finds it cleared and changes nothing.
    const [count] = await model.update({ ...changes, [kind.token]: null, [kind.expiresAt]: null } as never, {
      where: { [Op.and]: [where, { id: user.get('id') }] } as WhereOptions<Attributes<M>>,
      transaction,
    });
    return count === 0 ? null : user.reload({ transaction });
  };
  return options.transaction ? consume(options.transaction) : sequelize.transaction(consume);
}

// Sequelize adds these methods at run time; the merge types them (the class itself declares no such members).
export interface User extends BelongsToManyMethods<Permission, 'Custom_permission', 'Custom_permissions'> {}
