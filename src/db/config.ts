import type { Options } from 'sequelize';

/** The environments of the spec, plus `test` (in-memory pg-mem). `NODE_ENV` selects one. */
export const DB_ENVIRONMENTS = ['production', 'development', 'dev_stage', 'test'] as const;
export type DbEnvironment = (typeof DB_ENVIRONMENTS)[number];

export interface DbConfig {
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

function port(value: string | undefined, name = 'DB_PORT'): number {
  if (value === undefined || value === '') return 5432;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1 || parsed > 65535) {
    throw new DbConfigError(`${name} must be a port number, got "${value}"`);
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

/** The URL with its password replaced by `***`, for messages; a string that is no URL is withheld whole. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(a value that is not a URL)';
  }
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
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL parser refuses a bad port too; the value itself may hold a password, so it is not repeated.
    throw new DbConfigError(`${source} is not a valid URL (check its form, host and port)`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DbConfigError(`${source} must start with postgres:// or postgresql://, got "${parsed.protocol}//"`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database) throw new DbConfigError(`${source} names no database: "${redactUrl(url)}"`);
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
    ...(server.ssl ? { dialectOptions: { ssl: { require: true, rejectUnauthorized: true } } } : {}),
  };
}
