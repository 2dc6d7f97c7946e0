import { DbConfigError, dbConfig, parseDatabaseUrl, sequelizeOptions } from '../../src';

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
      /^DATABASE_URL is not a valid URL \(check its form, host and port\)$/,
    ],
    ['postgres://app:S3cret@127.0.0.1:70000/db', /^DATABASE_URL is not a valid URL/],
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
