import {
  ConnectionAcquireTimeoutError,
  ConnectionRefusedError,
  DatabaseError,
  TimeoutError,
  UniqueConstraintError,
} from 'sequelize';
import { isConnectionFailure, isRetryableRead, readRetryOptions } from '../../src/db/read-retry';

function databaseError(code: string | undefined, message: string): DatabaseError {
  return new DatabaseError(Object.assign(new Error(message), { code, sql: 'SELECT 1' }));
}

describe('which reads are retried', () => {
  test.each([
    ['SELECT "id" FROM "projects"', { type: 'SELECT' }, true],
    ['  (SELECT 1) UNION (SELECT 2)', { type: 'SELECT' }, true],
    ['SELECT 1', { type: 'SELECT', transaction: null }, true],
    ['SELECT 1', { type: 'SELECT', transaction: {} }, false],
    ['SELECT 1', { type: 'RAW' }, false],
    ['SELECT 1', undefined, false],
    ['INSERT INTO t VALUES (1) RETURNING id', { type: 'SELECT' }, false],
    ['WITH moved AS (DELETE FROM t RETURNING *) SELECT * FROM moved', { type: 'SELECT' }, false],
    ['UPDATE t SET a = 1', { type: 'UPDATE' }, false],
  ])('%p with %p: %p', (sql, options, expected) => {
    expect(isRetryableRead(sql, options)).toBe(expected);
    expect(isRetryableRead({ query: sql }, options)).toBe(expected);
  });
});

describe('which failures are a broken connection', () => {
  test.each([
    ['the server refused the connection', new ConnectionRefusedError(new Error('connect ECONNREFUSED')), true],
    [
      'terminated by an administrator (57P01)',
      databaseError('57P01', 'terminating connection due to administrator command'),
      true,
    ],
    ['the server is starting up (57P03)', databaseError('57P03', 'the database system is starting up'), true],
    [
      'a replica cancelled it (40001)',
      databaseError('40001', 'canceling statement due to conflict with recovery'),
      true,
    ],
    ['the socket closed', databaseError(undefined, 'Connection terminated unexpectedly'), true],
    [
      'the client broke before',
      databaseError(undefined, 'Client has encountered a connection error and is not queryable'),
      true,
    ],
    ['the pool is full', new ConnectionAcquireTimeoutError(new Error('Operation timeout')), false],
    [
      'a statement timeout',
      new TimeoutError(
        Object.assign(new Error('canceling statement due to statement timeout'), { code: '57014', sql: '' }),
      ),
      false,
    ],
    ['no answer in time', databaseError(undefined, 'Query read timeout'), false],
    ['a syntax error', databaseError('42601', 'syntax error at or near "SELEC"'), false],
    ['a unique violation', new UniqueConstraintError({}), false],
    ['not an error', undefined, false],
  ])('%s: %p', (_, error, expected) => {
    expect(isConnectionFailure(error)).toBe(expected);
  });

  test('Sequelize’s retry gets the attempts and the predicate', () => {
    const options = readRetryOptions(2);
    expect(options.max).toBe(3);
    const [match] = options.match as ((error: unknown) => boolean)[];
    expect(match?.(databaseError('57P01', 'terminating connection'))).toBe(true);
    expect(match?.(databaseError('42601', 'syntax error'))).toBe(false);
  });
});
