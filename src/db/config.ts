import type { Options } from 'sequelize';

/** The environments of the spec, plus `test` (in-memory pg-mem). `NODE_ENV` selects one. */
export const DB_ENVIRONMENTS = ['production', 'development', 'dev_stage', 'test'] as const;
export type DbEnvironment = (typeof DB_ENVIRONMENTS)[number];

export interface DbConfig {
  environment: DbEnvironment;
  /** pg-mem instead of a server. */
  inMemory: boolean;
  /** A `postgres://` URL; when set it wins over the separate fields. */
  url?: string;
  host: string;
  port: number;
  database: string;
  username: string;
  password?: string;
  ssl: boolean;
  logging: boolean;
}

type Env = Record<string, string | undefined>;

/** Raised for a configuration that cannot work, naming the variable and its value. */
export class DbConfigError extends Error {
  override name = 'DbConfigError';
}

function flag(name: string, value: string | undefined): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw new DbConfigError(`${name} must be true or false, got "${value}"`);
}

function port(value: string | undefined): number {
  if (value === undefined || value === '') return 5432;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
    throw new DbConfigError(`DB_PORT must be a port number, got "${value}"`);
  }
  return parsed;
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
 * `DB_NAME`, `DB_USER`, `DB_PASSWORD`; `DB_SSL`; `DB_LOGGING`.
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
  };
}

/** Host, port, database and credentials of a `postgres://` URL. */
export function parseDatabaseUrl(url: string): Pick<
  DbConfig,
  'host' | 'port' | 'database' | 'username' | 'password'
> & {
  ssl?: boolean;
} {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DbConfigError(`DATABASE_URL is not a URL: "${url}"`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbConfigError(`DATABASE_URL must start with postgres:// or postgresql://, got "${parsed.protocol}//"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new DbConfigError(`DATABASE_URL names no database: "${url}"`);
  const sslMode = parsed.searchParams.get('sslmode');
  return {
    host: parsed.hostname || 'localhost',
    port: port(parsed.port),
    database,
    username: decodeURIComponent(parsed.username) || 'postgres',
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    ...(sslMode ? { ssl: sslMode !== 'disable' } : {}),
  };
}

/** The Sequelize connection options of a configuration. */
export function sequelizeOptions(config: DbConfig): Options {
  const server = config.url ? { ...config, ...parseDatabaseUrl(config.url) } : config;
  return {
    dialect: 'postgres',
    logging: config.logging ? (sql: string) => console.log(sql) : false,
    host: server.host,
    port: server.port,
    database: server.database,
    username: server.username,
    password: server.password,
    // PostgreSQL cuts column names at 63 bytes, and the aliases Sequelize gives the columns of nested
    // includes are longer (`custom_permissions.usersCustom_permissionsPermissions.permissionId`): short ones.
    minifyAliases: true,
    ...(server.ssl ? { dialectOptions: { ssl: { require: true, rejectUnauthorized: true } } } : {}),
  };
}
