import { ValidationError } from 'sequelize';
import { DurationError, logAccess, parseDuration, pruneAccessLogs } from '../../src';
import { build } from '../../src/testing/factories';
import { cheapHasher, useTestDatabase } from '../support/db';
import { roundTrips } from './world';

const t = useTestDatabase(cheapHasher);
jest.setTimeout(60_000);

const DAY = 86_400_000;

describe('logAccess', () => {
  test('records one access with its project, user, path, address and agent', async () => {
    const db = t.db;
    const project = await build.project(db);
    const user = await build.user(db);
    const log = await logAccess(db, {
      environment: 'production',
      path: '/p/tour/welcome?lang=en',
      ip: '203.0.113.7',
      userAgent: 'Mozilla/5.0',
      projectId: project.id,
      userId: user.id,
    });
    const stored = await db.access_logs.findByPk(log.id);
    expect(stored?.get({ plain: true })).toMatchObject({
      environment: 'production',
      path: '/p/tour/welcome?lang=en',
      ip_address: '203.0.113.7',
      user_agent: 'Mozilla/5.0',
      projectId: project.id,
      userId: user.id,
    });
    expect(stored?.accessed_at).toBeInstanceOf(Date);
  });

  test.each([
    '::1',
    '2001:db8::8a2e:370:7334',
    '::ffff:127.0.0.1',
    '10.0.0.1',
    'ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255',
  ])('takes the address %s', async (ip) => {
    const log = await logAccess(t.db, { environment: 'admin', ip });
    expect((await t.db.access_logs.findByPk(log.id))?.ip_address).toBe(ip);
  });

  test.each(['localhost', '256.1.1.1', '1.2.3', "1.2.3.4'; DROP TABLE access_logs; --", ''])(
    'refuses the address %j with a ValidationError on ip_address, writing nothing',
    async (ip) => {
      const error = await logAccess(t.db, { environment: 'admin', ip }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors.map((item) => item.path)).toEqual(['ip_address']);
      expect(await t.db.access_logs.count()).toBe(0);
    },
  );

  test('cuts path and user agent to the spec’s bounds, counting characters as PostgreSQL does', async () => {
    const log = await logAccess(t.db, {
      environment: 'stage',
      path: `/${'é'.repeat(3000)}`,
      userAgent: '🙂'.repeat(2000),
    });
    const stored = await t.db.access_logs.findByPk(log.id);
    expect(Array.from(stored?.path ?? '')).toHaveLength(2048);
    expect(Array.from(stored?.user_agent ?? '')).toHaveLength(1024);
    expect(stored?.user_agent).toBe('🙂'.repeat(1024));
  });

  test('the model still refuses what no bound fixes: an unknown environment', async () => {
    await expect(logAccess(t.db, { environment: 'dev' as never })).rejects.toThrow(ValidationError);
  });

  test('inside withActor the user defaults to the actor', async () => {
    const user = await build.user(t.db);
    const log = await t.db.withActor(user.id, () => logAccess(t.db, { environment: 'admin', path: '/admin' }));
    expect([log.userId, log.createdById]).toEqual([user.id, user.id]);
    const anonymous = await t.db.withActor(user.id, () => logAccess(t.db, { environment: 'production', userId: null }));
    expect(anonymous.userId).toBeNull();
  });
});

describe('pruneAccessLogs', () => {
  async function logsAged(days: number[]): Promise<void> {
    await t.db.access_logs.bulkCreate(
      days.map((age) => ({ environment: 'production' as const, accessed_at: new Date(Date.now() - age * DAY) })),
    );
  }

  test('deletes for good what is older than the cutoff, in batches, and returns the count', async () => {
    await logsAged([100, 95, 91, 91, 120, 89, 10, 0]);
    const { result, queries } = await roundTrips(t.db, () =>
      pruneAccessLogs(t.db, { olderThan: parseDuration('90d'), batchSize: 2 }),
    );
    expect(result).toBe(5);
    // 2 + 2 + 1: the short batch says the work is done.
    expect(queries.filter((sql) => sql.startsWith('DELETE')).map((sql) => sql.match(/\$\d+/g)?.length)).toEqual([
      2, 2, 1,
    ]);
    expect(await t.db.access_logs.count({ paranoid: false })).toBe(3);
    const left = await t.db.access_logs.findAll();
    expect(left.every((log) => log.accessed_at.getTime() > Date.now() - 90 * DAY)).toBe(true);
  });

  test('takes a date as the cutoff; nothing to prune is one statement and 0', async () => {
    await logsAged([5, 3]);
    expect(await pruneAccessLogs(t.db, { olderThan: new Date(Date.now() - 4 * DAY) })).toBe(1);
    const { result, queries } = await roundTrips(t.db, () =>
      pruneAccessLogs(t.db, { olderThan: new Date(Date.now() - 4 * DAY) }),
    );
    expect([result, queries.length]).toEqual([0, 1]);
    expect(queries[0]).toMatch(/^SELECT/);
  });

  test('also removes soft-deleted rows past the cutoff', async () => {
    await logsAged([200]);
    await t.db.access_logs.destroy({ where: {} });
    expect(await pruneAccessLogs(t.db, { olderThan: 30 * DAY })).toBe(1);
    expect(await t.db.access_logs.count({ paranoid: false })).toBe(0);
  });

  test('refuses a batch size that is not a positive integer', async () => {
    await expect(pruneAccessLogs(t.db, { olderThan: DAY, batchSize: 0 })).rejects.toThrow(RangeError);
    await expect(pruneAccessLogs(t.db, { olderThan: new Date('nope') })).rejects.toThrow(RangeError);
  });
});

describe('parseDuration', () => {
  test.each([
    ['90d', 90 * DAY],
    ['12h', 12 * 3_600_000],
    ['30m', 30 * 60_000],
    ['45s', 45_000],
    ['2w', 14 * DAY],
    ['500ms', 500],
    [' 7d ', 7 * DAY],
  ])('%s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  test.each(['', '90', 'd', '1.5d', '-3d', '90 days', '3y', '99999999999999999w'])('refuses %j', (text) => {
    expect(() => parseDuration(text)).toThrow(DurationError);
  });
});
