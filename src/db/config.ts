import type { Options } from 'sequelize';
import { clientTimeoutMs, transactionTimeoutHooks } from './timeouts';

/** The environments of the spec, plus `test` (in-memory pg-mem). `NODE_ENV` selects one. */
export const DB_ENVIRONMENTS = ['production', 'development', 'dev_stage', 'test'] as const;
export type DbEnvironment = (typeof DB_ENVIRONMENTS)[number];

/** The pools of an instance: one for the primary and, with replicas, one shared by them. */
export interface PoolSettings {
  /** Most connections per pool (`DB_POOL_MAX`; Sequelize's default is 5). */
  max?: number | undefined;
  /** Connections kept open when idle (`DB_POOL_MIN`; default 0). */
  min?: number | undefined;
  /** A connection idle this long is closed (`DB_POOL_IDLE_MS`; default 10000). */
  idleMs?: number | undefined;
  /** A query that waited this long for a free connection fails (`DB_POOL_ACQUIRE_MS`; default 60000). */
  acquireMs?: number | undefined;
}

/**
 * How the package uses its servers: read replicas, pools, timeouts, read
 * retries and prepared statements. Each has a variable (`DB_READ_URLS`,
 * `DB_POOL_*`, `DB_*_TIMEOUT_MS`, `DB_READ_RETRY`, `DB_PREPARED_STATEMENTS`)
 * and a `createDb` option of the same meaning; unset means
 * Sequelize's and PostgreSQL's defaults (no timeout, no retry).
 */
export interface ServerSettings {
  /** `postgres://` URLs of read replicas (`DB_READ_URLS`, comma-separated): reads outside a transaction go there. */
  readUrls?: readonly string[] | undefined;
  pool?: PoolSettings | undefined;
  /** Give up opening a connection after this long (`DB_CONNECT_TIMEOUT_MS`). */
  connectTimeoutMs?: number | undefined;
  /**
   * Longest statement (`DB_STATEMENT_TIMEOUT_MS`): `SET LOCAL statement_timeout` in every transaction (works behind
   * PgBouncer in transaction mode), and a client-side timeout 250 ms longer on every statement, for those outside a
   * transaction and for a server that does not answer at all.
   */
  statementTimeoutMs?: number | undefined;
  /** The server ends a session idle inside a transaction this long (`DB_IDLE_IN_TRANSACTION_TIMEOUT_MS`, by `SET LOCAL`). */
  idleInTransactionTimeoutMs?: number | undefined;
  /**
   * How many times a read (a SELECT outside a transaction) is retried after its connection failed (`DB_READ_RETRY`:
   * a number, or `true` for 1); writes never are. Default 0.
   */
  readRetry?: number | undefined;
  /**
   * Sends the package's fixed statements (`findByPk`'s reads by key, `loadPresentation`, `loadEditorView`) as named
   * prepared statements, planned once per connection (`DB_PREPARED_STATEMENTS`: true or false; default false). Leave
   * it off behind PgBouncer in transaction mode older than 1.21, or without `max_prepared_statements`.
   */
  preparedStatements?: boolean | undefined;
}

export interface DbConfig extends ServerSettings {
  environment: DbEnvironment;
  /** pg-mem instead of a server. */
  inMemory: boolean;
  /** A `postgres://` URL; when set it wins over the separate fields. */
  url?: string | undefined;
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string | undefined;
  ssl: boolean;
  logging: boolean;
}

/** The environment variables configuration is read from (`process.env` by default). */
export type Env = Record<string, string | undefined>;

/** Raised for a configuration that cannot work, naming the variable and its value (a URL's password shown as `***`). */
export class DbConfigError extends Error {
  override name = 'DbConfigError';
}

/**
 * A connection URL fit for a message: the password, in the userinfo or as a
 * `password=` parameter, shown as `***`. It works on text that is not a valid
 * URL (a bad port, say), which is exactly when a URL ends up in a message, so
 * it reads the userinfo up to the last `@` before the query: a password with
 * an unencoded `@` or `/` is still covered.
 */
export function redactUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  // Without a scheme there is no telling the password apart: anything that may hold one is withheld whole.
  if (!scheme) return /[@:]/.test(url) ? '(a value that is not a URL)' : url;
  const rest = url.slice(scheme.length);
  const queryStart = rest.search(/[?#]/);
  const beforeQuery = queryStart === -1 ? rest : rest.slice(0, queryStart);
  const at = beforeQuery.lastIndexOf('@');
  let result = url;
  if (at !== -1) {
    const userinfo = beforeQuery.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon !== -1) result = `${scheme}${userinfo.slice(0, colon)}:***${rest.slice(at)}`;
  }
  return result.replace(/([?&]password=)[^&#]*/gi, '$1***');
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new DbConfigError(`${name} must be true or false, got "${value}"`);
}

function port(value: string | undefined, source = 'DB_PORT'): number {
  if (value === undefined || value === '') return 5432;
  const parsed = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
    throw new DbConfigError(`${source} must be a port number, got "${value}"`);
  }
  return parsed;
}

/** The port written in a URL's authority (after any userinfo), which `new URL` refuses without saying why. */
function portOfUrl(url: string): string | undefined {
  const authority = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url)?.[1] ?? '';
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  return /^(?:\[[^\]]*\]|[^:]*):(.*)$/.exec(host)?.[1];
}

function environment(value: string | undefined): DbEnvironment {
  const name = value === undefined || value === '' ? 'development' : value;
  if (!(DB_ENVIRONMENTS as readonly string[]).includes(name)) {
    throw new DbConfigError(`NODE_ENV must be one of ${DB_ENVIRONMENTS.join(', ')}, got "${name}"`);
  }
  return name as DbEnvironment;
}

/**
 * The database configuration of an environment (`NODE_ENV` of `env` when
 * not named), read from `env` (`process.env` by default): `DATABASE_URL`, or `DB_HOST`, `DB_PORT`,
 * `DB_NAME`, `DB_USER`, `DB_PASSWORD`; `DB_SSL`; `DB_LOGGING`; and the `ServerSettings` (`DB_READ_URLS`,
 * `DB_POOL_*`, the timeouts, `DB_READ_RETRY`).
 */
export function dbConfig(name?: string, env: Env = process.env): DbConfig {
  const environmentName = environment(name ?? env.NODE_ENV);
  const fromServer = environmentName === 'production' || environmentName === 'dev_stage';
  const url = env.DATABASE_URL || undefined;
  if (fromServer && !url && !env.DB_NAME) {
    throw new DbConfigError(
      `The ${environmentName} environment needs DATABASE_URL or DB_NAME (with DB_HOST, DB_USER, ...)`,
    );
  }
  return {
    environment: environmentName,
    inMemory: environmentName === 'test' && !url,
    url,
    host: env.DB_HOST || 'localhost',
    port: port(env.DB_PORT),
    database: env.DB_NAME || 'db_tour_builder_platform',
    username: env.DB_USER || 'postgres',
    password: env.DB_PASSWORD || undefined,
    ssl: flag('DB_SSL', env.DB_SSL) ?? false,
    logging:
      flag('DB_LOGGING', env.DB_LOGGING) ?? (environmentName === 'development' || environmentName === 'dev_stage'),
    ...serverSettingsFromEnv(env),
  };
}

/**
 * Host, port, database and credentials of a `postgres://` URL. `source` names
 * where the URL came from (an option or variable) in error messages.
 */
export function parseDatabaseUrl(
  url: string,
  source = 'DATABASE_URL',
): Pick<DbConfig, 'host' | 'port' | 'database' | 'username' | 'password'> & {
  ssl?: boolean | undefined;
} {
  const shown = redactUrl(url);
  const givenPort = portOfUrl(url);
  if (givenPort) port(givenPort, `The port of ${source} "${shown}"`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL parser refuses a bad port too; the value itself may hold a password, so it is not repeated.
    throw new DbConfigError(`${source} is not a valid URL (check its form, host and port): "${shown}"`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbConfigError(`${source} must start with postgres:// or postgresql://, got "${parsed.protocol}//"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new DbConfigError(`${source} names no database: "${shown}"`);
  const sslMode = parsed.searchParams.get('sslmode');
  return {
    host: parsed.hostname || 'localhost',
    port: port(parsed.port, `the port of ${source}`),
    database,
    username: decodeURIComponent(parsed.username) || 'postgres',
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    ...(sslMode ? { ssl: sslMode !== 'disable' } : {}),
  };
}

/** The name of each setting as a variable and as a `createDb` option, for messages. */
const SETTING_NAMES = {
  readUrls: ['DB_READ_URLS', 'readUrls'],
  max: ['DB_POOL_MAX', 'pool.max'],
  min: ['DB_POOL_MIN', 'pool.min'],
  idleMs: ['DB_POOL_IDLE_MS', 'pool.idleMs'],
  acquireMs: ['DB_POOL_ACQUIRE_MS', 'pool.acquireMs'],
  connectTimeoutMs: ['DB_CONNECT_TIMEOUT_MS', 'connectTimeoutMs'],
  statementTimeoutMs: ['DB_STATEMENT_TIMEOUT_MS', 'statementTimeoutMs'],
  idleInTransactionTimeoutMs: ['DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 'idleInTransactionTimeoutMs'],
  readRetry: ['DB_READ_RETRY', 'readRetry'],
  preparedStatements: ['DB_PREPARED_STATEMENTS', 'preparedStatements'],
} as const;

type SettingName = keyof typeof SETTING_NAMES;
/** Where settings came from: the variables, or the options of `createDb`. */
export type SettingsSource = 'environment' | 'options';

function settingName(setting: SettingName, source: SettingsSource): string {
  return SETTING_NAMES[setting][source === 'environment' ? 0 : 1];
}

// setTimeout's limit, and that of PostgreSQL's integer settings; minus the client-side grace of the statement timeout.
const MAX_MS = 2_147_483_647 - 1000;
const MAX_POOL = 10_000;
const MAX_RETRIES = 10;

/** A whole number in `[min, max]`, or an error naming the setting and the value given. */
function wholeNumber(value: unknown, name: string, min: number, max: number, unit = ''): number | undefined {
  if (value === undefined) return undefined;
  const parsed = typeof value === 'string' ? (/^\d+$/.test(value.trim()) ? Number(value) : Number.NaN) : value;
  if (typeof parsed !== 'number' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    const shown = typeof value === 'string' ? `"${value}"` : String(value);
    throw new DbConfigError(`${name} must be a whole number${unit} from ${min} to ${max}, got ${shown}`);
  }
  return parsed;
}

/** Checks a list of replica URLs (without repeating any of them: a URL may hold a password). */
function replicaUrls(urls: readonly unknown[], name: string): string[] {
  return urls.map((url, i) => {
    const which = `${name} (URL ${i + 1} of ${urls.length})`;
    if (typeof url !== 'string') throw new DbConfigError(`${which} is not a string`);
    if (url.trim() === '') throw new DbConfigError(`${which} is empty`);
    parseDatabaseUrl(url.trim(), which);
    return url.trim();
  });
}

/**
 * `settings` checked: whole numbers in range, a minimum pool no larger than
 * its maximum, replica URLs that parse. A `DbConfigError` names the variable
 * (`source: 'environment'`) or the option, and the value (never a URL).
 */
export function checkServerSettings(settings: ServerSettings, source: SettingsSource): ServerSettings {
  const name = (setting: SettingName) => settingName(setting, source);
  const ms = (setting: SettingName, value: unknown) => wholeNumber(value, name(setting), 1, MAX_MS, ' of milliseconds');
  const pool = settings.pool ?? {};
  const max = wholeNumber(pool.max, name('max'), 1, MAX_POOL);
  const min = wholeNumber(pool.min, name('min'), 0, MAX_POOL);
  if (min !== undefined && min > (max ?? 5)) {
    throw new DbConfigError(
      `${name('min')} (${min}) is above the pool's maximum (${max ?? `5, the default; set ${name('max')}`})`,
    );
  }
  if (settings.preparedStatements !== undefined && typeof settings.preparedStatements !== 'boolean') {
    throw new DbConfigError(
      `${name('preparedStatements')} must be true or false, got ${String(settings.preparedStatements)}`,
    );
  }
  if (settings.readUrls !== undefined && !Array.isArray(settings.readUrls)) {
    throw new DbConfigError(`${name('readUrls')} must be a list of postgres:// URLs`);
  }
  const checked: ServerSettings = {
    readUrls: settings.readUrls === undefined ? undefined : replicaUrls(settings.readUrls, name('readUrls')),
    pool: { max, min, idleMs: ms('idleMs', pool.idleMs), acquireMs: ms('acquireMs', pool.acquireMs) },
    connectTimeoutMs: ms('connectTimeoutMs', settings.connectTimeoutMs),
    statementTimeoutMs: ms('statementTimeoutMs', settings.statementTimeoutMs),
    idleInTransactionTimeoutMs: ms('idleInTransactionTimeoutMs', settings.idleInTransactionTimeoutMs),
    readRetry: wholeNumber(settings.readRetry, name('readRetry'), 0, MAX_RETRIES),
    preparedStatements: settings.preparedStatements,
  };
  return withoutUndefined(checked);
}

function withoutUndefined(settings: ServerSettings): ServerSettings {
  const pool = Object.fromEntries(Object.entries(settings.pool ?? {}).filter(([, value]) => value !== undefined));
  const rest = Object.entries({ ...settings, pool: Object.keys(pool).length > 0 ? pool : undefined });
  return Object.fromEntries(rest.filter(([, value]) => value !== undefined)) as ServerSettings;
}

/**
 * The settings of a `createDb` call: its options (checked, errors naming the
 * option) over the environment's. Replicas from `DB_READ_URLS` go only with
 * the environment's own server: with a `url` of its own, a call takes
 * `readUrls` from its options alone.
 */
export function mergeServerSettings(
  fromEnv: ServerSettings,
  options: ServerSettings,
  environmentServer: boolean,
): ServerSettings {
  const given = checkServerSettings(options, 'options');
  return checkServerSettings(
    {
      readUrls: given.readUrls ?? (environmentServer ? fromEnv.readUrls : undefined),
      pool: { ...fromEnv.pool, ...given.pool },
      connectTimeoutMs: given.connectTimeoutMs ?? fromEnv.connectTimeoutMs,
      statementTimeoutMs: given.statementTimeoutMs ?? fromEnv.statementTimeoutMs,
      idleInTransactionTimeoutMs: given.idleInTransactionTimeoutMs ?? fromEnv.idleInTransactionTimeoutMs,
      readRetry: given.readRetry ?? fromEnv.readRetry,
      preparedStatements: given.preparedStatements ?? fromEnv.preparedStatements,
    },
    'options',
  );
}

/** `config` with `settings` in place of its own server settings (none when `settings` is empty). */
export function withServerSettings(config: DbConfig, settings: ServerSettings): DbConfig {
  const {
    readUrls: _readUrls,
    pool: _pool,
    connectTimeoutMs: _connectTimeoutMs,
    statementTimeoutMs: _statementTimeoutMs,
    idleInTransactionTimeoutMs: _idleInTransactionTimeoutMs,
    readRetry: _readRetry,
    preparedStatements: _preparedStatements,
    ...connection
  } = config;
  return { ...connection, ...settings };
}

/** The `ServerSettings` of the environment's variables; an empty variable counts as unset. */
function serverSettingsFromEnv(env: Env): ServerSettings {
  const value = (variable: string) => {
    const text = env[variable]?.trim();
    return text === '' ? undefined : text;
  };
  const readUrls = value('DB_READ_URLS');
  const retry = value('DB_READ_RETRY');
  let readRetry: string | number | undefined = retry;
  if (retry !== undefined && !/^\d+$/.test(retry)) {
    const on = flag('DB_READ_RETRY', retry);
    readRetry = on ? 1 : 0;
  }
  return checkServerSettings(
    {
      readUrls: readUrls?.split(','),
      pool: {
        max: value('DB_POOL_MAX') as never,
        min: value('DB_POOL_MIN') as never,
        idleMs: value('DB_POOL_IDLE_MS') as never,
        acquireMs: value('DB_POOL_ACQUIRE_MS') as never,
      },
      connectTimeoutMs: value('DB_CONNECT_TIMEOUT_MS') as never,
      statementTimeoutMs: value('DB_STATEMENT_TIMEOUT_MS') as never,
      idleInTransactionTimeoutMs: value('DB_IDLE_IN_TRANSACTION_TIMEOUT_MS') as never,
      readRetry: readRetry as never,
      preparedStatements: flag('DB_PREPARED_STATEMENTS', value('DB_PREPARED_STATEMENTS')),
    },
    'environment',
  );
}

/**
 * The Sequelize connection options of a configuration: the server, TLS, and
 * its `ServerSettings` (pools, `replication` with the replicas, the connect and
 * client-side timeouts, and the hook that sets the transaction timeouts).
 * `createDb` adds what only its instances do: read retries, typed timeout
 * errors and `onPrimary`.
 */
export function sequelizeOptions(config: DbConfig): Options {
  const server = config.url ? { ...config, ...parseDatabaseUrl(config.url) } : config;
  const connection = {
    host: server.host,
    port: server.port,
    database: server.database,
    username: server.username,
    password: server.password,
  };
  const replicas = (config.readUrls ?? []).map((url, i, urls) => {
    const which = `Read replica URL ${i + 1} of ${urls.length} (DB_READ_URLS or readUrls)`;
    const { ssl, ...replica } = parseDatabaseUrl(url, which);
    // node-postgres gets one TLS setting per instance (dialectOptions), shared by every server.
    if (ssl !== undefined && ssl !== server.ssl) {
      throw new DbConfigError(
        `${which} asks for sslmode ${ssl ? 'with' : 'without'} TLS, the primary is ${server.ssl ? 'with' : 'without'}: TLS is one setting for all servers`,
      );
    }
    return replica;
  });
  const pool = config.pool ?? {};
  const poolOptions = Object.fromEntries(
    Object.entries({ max: pool.max, min: pool.min, idle: pool.idleMs, acquire: pool.acquireMs }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  const dialectOptions = {
    ...(server.ssl ? { ssl: { require: true, rejectUnauthorized: true } } : {}),
    ...(config.connectTimeoutMs ? { connectionTimeoutMillis: config.connectTimeoutMs } : {}),
    ...(config.statementTimeoutMs ? { query_timeout: clientTimeoutMs(config.statementTimeoutMs) } : {}),
  };
  const hooks = transactionTimeoutHooks(config);
  return {
    dialect: 'postgres',
    logging: config.logging ? (sql: string) => console.log(sql) : false,
    // PostgreSQL cuts column names at 63 bytes, and the aliases Sequelize gives the columns of nested
    // includes are longer (`custom_permissions.usersCustom_permissionsPermissions.permissionId`): short ones.
    minifyAliases: true,
    ...connection,
    ...(Object.keys(dialectOptions).length > 0 ? { dialectOptions } : {}),
    ...(Object.keys(poolOptions).length > 0 ? { pool: poolOptions } : {}),
    ...(replicas.length > 0 ? { replication: { write: connection, read: replicas } } : {}),
    ...(hooks ? { hooks } : {}),
  };
}
