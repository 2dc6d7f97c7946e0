import { spawnSync } from 'node:child_process';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isBcryptHash } from '../../src';
import { HashPool } from '../../src/auth/hash-pool';

describe('HashPool', () => {
  const pool = new HashPool({ rounds: 10 });
  afterAll(() => pool.close());

  test('hashes and compares like bcrypt', async () => {
    const hash = await pool.hash('open sesame');
    expect(isBcryptHash(hash)).toBe(true);
    expect(hash.startsWith('$2b$10$')).toBe(true);
    await expect(pool.compare('open sesame', hash)).resolves.toBe(true);
    await expect(pool.compare('open sesame!', hash)).resolves.toBe(false);
  });

  test('sizes itself from the core count', () => {
    expect(pool.size).toBeGreaterThanOrEqual(1);
    expect(pool.size).toBeLessThanOrEqual(4);
  });

  test('20 concurrent hashes leave the event loop responsive', async () => {
    const delay = monitorEventLoopDelay({ resolution: 5 });
    const started = performance.now();
    delay.enable();
    const hashes = await Promise.all(Array.from({ length: 20 }, (_, i) => pool.hash(`password ${i}`)));
    delay.disable();
    const elapsed = performance.now() - started;
    expect(new Set(hashes).size).toBe(20);
    // Guards against a regression to hashing on the main thread, which stalls it for about as long as the
    // hashing takes (over a second here). Not an absolute bound: on a busy machine the scheduler alone delays
    // the loop by 100 ms and more, while the hashing takes longer still.
    expect(delay.max / 1e6).toBeLessThan(Math.max(100, elapsed / 4));
  });

  test('a failed job rejects without breaking the pool', async () => {
    await expect(pool.compare(42 as unknown as string, await pool.hash('x'))).rejects.toThrow(/Illegal arguments/);
    await expect(pool.hash('still works')).resolves.toMatch(/^\$2b\$10\$/);
  });

  test('close() rejects queued work; the pool starts again when used after', async () => {
    const small = new HashPool({ rounds: 10, size: 1 });
    const jobs = [small.hash('a'), small.hash('b'), small.hash('c')];
    await small.close();
    const results = await Promise.allSettled(jobs);
    expect(results.every((result) => result.status === 'rejected')).toBe(true);
    await expect(small.hash('again')).resolves.toMatch(/^\$2b\$/);
    await small.close();
  });
});

describe('the pool does not keep a process alive', () => {
  const script = (body: string) => `
    require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
    const { HashPool } = require('./src/auth/hash-pool');
    // How long the process stays after its work is done: what an idle thread that kept it alive would show.
    const done = () => {
      const finished = Date.now();
      console.log('hashed');
      process.on('exit', () => console.log('stayed ' + (Date.now() - finished) + ' ms'));
    };
    ${body}
  `;

  test.each([
    ['when idle after its work', 'new HashPool({ rounds: 10 }).hash("x").then(() => done());'],
    [
      'after the database is closed',
      `const { createDb } = require('./src');
       const { migrate } = require('./src/migrations/runner');
       const db = createDb({ inMemory: true, logging: false });
       migrate(db.sequelize)
         .then(() => db.users.create({ email: 'a@b.co', password: 'pw' }))
         .then(() => db.sequelize.close())
         .then(() => done());`,
    ],
  ])(
    '%s',
    (_, body) => {
      const child = spawnSync(process.execPath, ['-e', script(body)], {
        cwd: `${__dirname}/../..`,
        env: { ...process.env, BCRYPT_ROUNDS: '10' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(child.stderr).toBe('');
      const [said, stayed] = child.stdout.trim().split('\n');
      expect(said).toBe('hashed');
      expect(child.status).toBe(0);
      // The idle timeout is 10 s: a process that ends well before it, counted from the end of its work (not from
      // its start, which a busy machine slows down), was let go by its unref'd threads.
      expect(Number(/^stayed (\d+) ms$/.exec(stayed ?? '')?.[1] ?? Number.NaN)).toBeLessThan(5000);
    },
    90_000,
  );
});
