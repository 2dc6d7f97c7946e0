import type { Options } from 'sequelize';
import { createDb, DbConfigError, dbConfig, parseDatabaseUrl, sequelizeOptions } from '../../src';
import { setLocalTimeouts } from '../../src/db/timeouts';

describe('dbConfig', () => {
  test('development defaults to db_tour_builder_platform on localhost, logging SQL', () => {
    expect(dbConfig('development', {})).toMatchObject({
      environment: 'development',
      inMemory: false,
      host: 'localhost',
      port: 5432,
      database: 'db_tour_builder_platform',
      username: 'postgres',
      ssl: false,
      logging: true,
    });
  });

  test('an unset NODE_ENV means development', () => {
    expect(dbConfig(undefined, {}).environment).toBe('development');
  });

  test('test runs in memory and quietly unless DATABASE_URL is set', () => {
    expect(dbConfig('test', {})).toMatchObject({ inMemory: true, logging: false });
    expect(dbConfig('test', { DATABASE_URL: 'postgres://u@h/db' })).toMatchObject({ inMemory: false });
  });

  test('production reads the server from the environment and logs nothing', () => {
    const env = { DB_HOST: 'db.internal', DB_PORT: '6543', DB_NAME: 'tbp', DB_USER: 'app', DB_PASSWORD: 's3cret' };
    expect(dbConfig('production', env)).toMatchObject({
      host: 'db.internal',
      port: 6543,
      database: 'tbp',
      username: 'app',
      password: 's3cret',
      logging: false,
    });
  });

  test.each(['production', 'dev_stage'])('%s without DATABASE_URL or DB_NAME is refused', (environment) => {
    expect(() => dbConfig(environment, {})).toThrow(DbConfigError);
    expect(() => dbConfig(environment, {})).toThrow(/DATABASE_URL or DB_NAME/);
  });

  test('DB_SSL and DB_LOGGING are flags; other values are refused by name', () => {
    expect(dbConfig('development', { DB_SSL: 'true', DB_LOGGING: 'false' })).toMatchObject({
      ssl: true,
      logging: false,
    });
    expect(() => dbConfig('development', { DB_SSL: 'sometimes' })).toThrow(
      'DB_SSL must be true or false, got "sometimes"',
    );
  });

  test('a bad port or environment name is refused with its value', () => {
    expect(() => dbConfig('development', { DB_PORT: 'abc' })).toThrow('DB_PORT must be a port number, got "abc"');
    expect(() => dbConfig('staging', {})).toThrow(/NODE_ENV must be one of .* got "staging"/);
  });
});

describe('parseDatabaseUrl', () => {
  test('reads host, port, database and credentials', () => {
    expect(parseDatabaseUrl('postgresql://ann:p%40ss@db.example.com:6000/tours?sslmode=require')).toEqual({
      host: 'db.example.com',
      port: 6000,
      database: 'tours',
      username: 'ann',
      password: 'p@ss',
      ssl: true,
    });
  });

  test.each([
    ['not a url', /^DATABASE_URL is not a valid URL/],
    [
      'postgres://app:S3cret@127.0.0.1:notaport/db',
      /^The port of DATABASE_URL "postgres:\/\/app:\*\*\*@127.0.0.1:notaport\/db" must be a port number, got "notaport"$/,
    ],
    [
      'postgres://app:S3cret@127.0.0.1:70000/db',
      /^The port of DATABASE_URL "postgres:\/\/app:\*\*\*@127.0.0.1:70000\/db" must be a port number, got "70000"$/,
    ],
    ['mysql://h/db', /must start with postgres:\/\//],
    ['postgres://app:S3cret@h', /^DATABASE_URL names no database: "postgres:\/\/app:\*\*\*@h"$/],
  ])('refuses %p, without its password', (url, message) => {
    expect(() => parseDatabaseUrl(url)).toThrow(message);
  });

  test('names the option the URL came from', () => {
    expect(() => parseDatabaseUrl('mysql://h/db', '--url')).toThrow(/^--url must start with postgres:\/\//);
  });
});

describe('sequelizeOptions', () => {
  test('turns TLS on with DB_SSL and takes the URL over the fields', () => {
    const config = dbConfig('production', { DATABASE_URL: 'postgres://app@db:5433/tbp', DB_SSL: 'true' });
    expect(sequelizeOptions(config)).toMatchObject({
      dialect: 'postgres',
      host: 'db',
      port: 5433,
      database: 'tbp',
      username: 'app',
      logging: false,
      dialectOptions: { ssl: { require: true, rejectUnauthorized: true } },
    });
  });
});

describe('server settings from the environment', () => {
  const server = { DATABASE_URL: 'postgres://app:s3cret@primary:5432/tbp' };

  test('DB_READ_URLS becomes Sequelize replication, the primary writing', () => {
    const config = dbConfig('production', {
      ...server,
      DB_READ_URLS: ' postgres://app:s3cret@replica-a:5432/tbp , postgres://app:s3cret@replica-b:6432/tbp',
    });
    expect(config.readUrls).toEqual([
      'postgres://app:s3cret@replica-a:5432/tbp',
      'postgres://app:s3cret@replica-b:6432/tbp',
    ]);
    expect(sequelizeOptions(config).replication).toEqual({
      write: { host: 'primary', port: 5432, database: 'tbp', username: 'app', password: 's3cret' },
      read: [
        { host: 'replica-a', port: 5432, database: 'tbp', username: 'app', password: 's3cret' },
        { host: 'replica-b', port: 6432, database: 'tbp', username: 'app', password: 's3cret' },
      ],
    });
  });

  test('pools, the connect timeout and the client-side statement timeout become Sequelize and node-postgres options', () => {
    const config = dbConfig('production', {
      ...server,
      DB_POOL_MAX: '20',
      DB_POOL_MIN: '2',
      DB_POOL_IDLE_MS: '30000',
      DB_POOL_ACQUIRE_MS: '5000',
      DB_CONNECT_TIMEOUT_MS: '3000',
      DB_STATEMENT_TIMEOUT_MS: '15000',
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '60000',
    });
    const options = sequelizeOptions(config);
    expect(options.pool).toEqual({ max: 20, min: 2, idle: 30000, acquire: 5000 });
    // Never node-postgres' statement_timeout: a startup parameter, which PgBouncer refuses.
    expect(options.dialectOptions).toEqual({ connectionTimeoutMillis: 3000, query_timeout: 15250 });
    expect(Object.keys(options.hooks ?? {})).toEqual(['beforeQuery']);
    expect(setLocalTimeouts(config)).toBe(
      'SET LOCAL statement_timeout = 15000; SET LOCAL idle_in_transaction_session_timeout = 60000',
    );
  });

  test('nothing set: Sequelize’s defaults, no replication, no hook', () => {
    const options = sequelizeOptions(dbConfig('production', server));
    expect(options).not.toHaveProperty('replication');
    expect(options).not.toHaveProperty('pool');
    expect(options).not.toHaveProperty('hooks');
    expect(options).not.toHaveProperty('dialectOptions');
  });

  test.each([
    ['true', 1],
    ['yes', 1],
    ['false', 0],
    ['3', 3],
    ['', undefined],
  ])('DB_READ_RETRY=%p retries a read %p time(s)', (value, retries) => {
    expect(dbConfig('production', { ...server, DB_READ_RETRY: value }).readRetry).toBe(retries);
  });

  test.each([
    ['true', true],
    ['on', true],
    ['0', false],
    ['', undefined],
  ])('DB_PREPARED_STATEMENTS=%p sets preparedStatements to %p', (value, prepared) => {
    expect(dbConfig('production', { ...server, DB_PREPARED_STATEMENTS: value }).preparedStatements).toBe(prepared);
  });

  test.each([
    ['DB_POOL_MAX', '0', 'DB_POOL_MAX must be a whole number from 1 to 10000, got "0"'],
    ['DB_POOL_MAX', 'ten', 'DB_POOL_MAX must be a whole number from 1 to 10000, got "ten"'],
    ['DB_POOL_MIN', '-1', 'DB_POOL_MIN must be a whole number from 0 to 10000, got "-1"'],
    ['DB_POOL_IDLE_MS', '1.5', 'DB_POOL_IDLE_MS must be a whole number of milliseconds from 1 to'],
    ['DB_POOL_ACQUIRE_MS', '0', 'DB_POOL_ACQUIRE_MS must be a whole number of milliseconds'],
    ['DB_CONNECT_TIMEOUT_MS', '5s', 'DB_CONNECT_TIMEOUT_MS must be a whole number of milliseconds'],
    ['DB_STATEMENT_TIMEOUT_MS', '99999999999', 'DB_STATEMENT_TIMEOUT_MS must be a whole number of milliseconds'],
    ['DB_IDLE_IN_TRANSACTION_TIMEOUT_MS', 'off', 'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS must be a whole number'],
    ['DB_READ_RETRY', 'maybe', 'DB_READ_RETRY must be true or false, got "maybe"'],
    ['DB_READ_RETRY', '11', 'DB_READ_RETRY must be a whole number from 0 to 10, got "11"'],
    ['DB_PREPARED_STATEMENTS', 'sometimes', 'DB_PREPARED_STATEMENTS must be true or false, got "sometimes"'],
  ])('%s=%p is refused, by name and value', (variable, value, message) => {
    expect(() => dbConfig('production', { ...server, [variable]: value })).toThrow(DbConfigError);
    expect(() => dbConfig('production', { ...server, [variable]: value })).toThrow(message);
  });

  test('a minimum pool above the maximum is refused, also against the default maximum', () => {
    expect(() => dbConfig('production', { ...server, DB_POOL_MAX: '4', DB_POOL_MIN: '6' })).toThrow(
      "DB_POOL_MIN (6) is above the pool's maximum (4)",
    );
    expect(() => dbConfig('production', { ...server, DB_POOL_MIN: '6' })).toThrow(
      "DB_POOL_MIN (6) is above the pool's maximum (5, the default; set DB_POOL_MAX)",
    );
  });

  test.each([
    [
      'postgres://app:s3cret@replica:99999/tbp',
      'The port of DB_READ_URLS (URL 2 of 2) "postgres://app:***@replica:99999/tbp" must be a port number',
    ],
    ['mysql://app:s3cret@replica/tbp', 'DB_READ_URLS (URL 2 of 2) must start with postgres://'],
    ['postgres://app:s3cret@replica', 'DB_READ_URLS (URL 2 of 2) names no database'],
    ['', 'DB_READ_URLS (URL 2 of 2) is empty'],
  ])('a bad replica URL %p is refused without its password', (bad, message) => {
    const env = { ...server, DB_READ_URLS: `postgres://app:s3cret@replica-a/tbp,${bad}` };
    let error: unknown;
    try {
      dbConfig('production', env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(DbConfigError);
    expect((error as Error).message).toContain(message);
    expect((error as Error).message).not.toContain('s3cret');
  });

  test('a replica asking for TLS when the primary has none is refused: node-postgres has one TLS setting', () => {
    const config = dbConfig('production', { ...server, DB_READ_URLS: 'postgres://app@replica/tbp?sslmode=require' });
    expect(() => sequelizeOptions(config)).toThrow(
      /Read replica URL 1 of 1 \(DB_READ_URLS or readUrls\) asks for sslmode with TLS, the primary is without/,
    );
  });
});

describe('server settings of createDb', () => {
  const url = 'postgres://app:s3cret@primary:5432/tbp';

  test.each([
    [{ statementTimeoutMs: -5 }, 'statementTimeoutMs must be a whole number of milliseconds from 1 to'],
    [{ connectTimeoutMs: 2.5 }, 'connectTimeoutMs must be a whole number of milliseconds'],
    [{ idleInTransactionTimeoutMs: Number.NaN }, 'idleInTransactionTimeoutMs must be a whole number'],
    [{ pool: { max: 0 } }, 'pool.max must be a whole number from 1 to 10000, got 0'],
    [{ pool: { max: 2, min: 3 } }, "pool.min (3) is above the pool's maximum (2)"],
    [{ readRetry: 20 }, 'readRetry must be a whole number from 0 to 10, got 20'],
    [{ preparedStatements: 'yes' as unknown as boolean }, 'preparedStatements must be true or false, got yes'],
    [{ readUrls: 'postgres://r/tbp' as unknown as string[] }, 'readUrls must be a list of postgres:// URLs'],
    [
      { readUrls: ['postgres://app:s3cret@r:0/tbp'] },
      'The port of readUrls (URL 1 of 1) "postgres://app:***@r:0/tbp" must be a port number, got "0"',
    ],
  ])('refuses %p with a DbConfigError naming the option', (settings, message) => {
    expect(() => createDb({ url, ...settings })).toThrow(DbConfigError);
    expect(() => createDb({ url, ...settings })).toThrow(message);
  });

  test('an in-memory database with replicas is refused', () => {
    expect(() => createDb({ inMemory: true, readUrls: ['postgres://r/tbp'] })).toThrow(
      'readUrls needs a PostgreSQL server',
    );
  });

  describe('with the environment', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });

    test('options win over variables; DB_READ_URLS goes only with the environment’s own server', async () => {
      process.env.DATABASE_URL = url;
      process.env.DB_READ_URLS = 'postgres://app:s3cret@replica:5432/tbp';
      process.env.DB_STATEMENT_TIMEOUT_MS = '1000';
      process.env.DB_POOL_MAX = '9';
      const fromEnv = createDb({ environment: 'production', pool: { min: 1 }, statementTimeoutMs: 2000 });
      const options = (fromEnv.sequelize as unknown as { options: Options }).options;
      expect(options.replication).toMatchObject({ read: [{ host: 'replica' }], write: { host: 'primary' } });
      expect(options.pool).toMatchObject({ max: 9, min: 1 });
      expect(options.dialectOptions).toEqual({ query_timeout: 2250 });
      expect(fromEnv.sequelize.hasHook('beforeQuery')).toBeTruthy();
      const elsewhere = createDb({ environment: 'production', url: 'postgres://app@other:5432/tbp' });
      expect((elsewhere.sequelize as unknown as { options: Options }).options.replication).toBeFalsy();
      await Promise.all([fromEnv.sequelize.close(), elsewhere.sequelize.close()]);
    });

    test('an in-memory database leaves the server settings aside', async () => {
      process.env.DB_READ_URLS = 'postgres://replica/tbp';
      process.env.DB_STATEMENT_TIMEOUT_MS = '1000';
      const db = createDb({ inMemory: true, logging: false });
      const options = (db.sequelize as unknown as { options: Options }).options;
      expect(options.replication).toBeFalsy();
      expect(options.dialectOptions ?? {}).not.toHaveProperty('query_timeout');
      expect(db.sequelize.hasHook('beforeQuery')).toBeFalsy();
      await db.sequelize.sync();
      await db.sequelize.transaction(async (transaction) => {
        expect(await db.projects.count({ transaction })).toBe(0);
      });
      expect(await db.onPrimary(() => db.projects.count())).toBe(0);
      await db.sequelize.close();
    });
  });
});
