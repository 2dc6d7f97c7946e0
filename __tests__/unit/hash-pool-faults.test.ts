import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { isBcryptHash } from '../../src';
import { HashPool, HashWorkerError } from '../../src/auth/hash-pool';

/**
 * The hash pool survives threads that exit, crash or are terminated: the job
 * of a lost thread goes to a new thread once, and is rejected with a clear
 * error when that one is lost too. No job is ever left pending, and a pool
 * whose threads are all gone starts new ones.
 */

jest.setTimeout(60_000);

/** Code run in a thread before the pool's own: ends the thread when it is given `plain` of `trigger`. */
function fault(kind: 'exit' | 'throw' | 'exit 0', trigger: string): string {
  const act =
    kind === 'exit' ? 'process.exit(3)' : kind === 'exit 0' ? 'process.exit(0)' : "throw new Error('thread crashed')";
  return `require('node:worker_threads').parentPort.on('message', (m) => { if (m.plain === ${JSON.stringify(trigger)}) ${act}; });\n`;
}

/** A pool whose threads are all kept in `threads`; the first `faulty` threads start with `prefix`. */
function watchedPool(options: { prefix?: string; faulty?: number; size?: number } = {}) {
  const threads: Worker[] = [];
  const pool = new HashPool({
    rounds: 10,
    size: options.size ?? 2,
    startWorker: (source: string, workerOptions: WorkerOptions) => {
      const planted = options.prefix && threads.length < (options.faulty ?? Number.POSITIVE_INFINITY);
      const thread = new Worker(planted ? options.prefix + source : source, workerOptions);
      threads.push(thread);
      return thread;
    },
  });
  return { pool, threads };
}

/** Settles within `ms`, or fails the test: a job left pending would hang it otherwise. */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function expectWorking(pool: HashPool, count = 6): Promise<void> {
  const hashes = await within(30_000, Promise.all(Array.from({ length: count }, (_, i) => pool.hash(`later ${i}`))));
  for (const hash of hashes) expect(isBcryptHash(hash)).toBe(true);
  await expect(pool.compare('later 0', hashes[0] as string)).resolves.toBe(true);
}

describe('a thread lost in the middle of a job', () => {
  test.each([
    ['terminated from outside', undefined],
    ['exiting with an error code', fault('exit', 'victim')],
    ['exiting with code 0', fault('exit 0', 'victim')],
    ['crashing with an uncaught error', fault('throw', 'victim')],
  ])('%s: the job is done on a new thread, and every later hash succeeds', async (_, prefix) => {
    const { pool, threads } = watchedPool(prefix ? { prefix, faulty: 1 } : {});
    try {
      const job = pool.hash('victim');
      expect(threads).toHaveLength(1);
      if (!prefix) {
        await once(threads[0] as Worker, 'online');
        await (threads[0] as Worker).terminate();
      }
      const hash = await within(20_000, job);
      expect(isBcryptHash(hash)).toBe(true);
      await expect(pool.compare('victim', hash)).resolves.toBe(true);
      expect(threads.length).toBeGreaterThanOrEqual(2);
      await expectWorking(pool);
    } finally {
      await pool.close();
    }
  });

  test('a job whose threads keep dying is rejected with a clear error, in bounded time', async () => {
    const { pool, threads } = watchedPool({ prefix: fault('exit', 'poison') });
    try {
      const started = Date.now();
      const error = await within(20_000, pool.hash('poison')).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(HashWorkerError);
      expect((error as Error).message).toMatch(/exited with code 3; this hash lost 2 threads, given up/);
      expect((error as Error).message).not.toContain('poison');
      // Two threads, one try each: no endless respawning.
      expect(threads).toHaveLength(2);
      expect(Date.now() - started).toBeLessThan(20_000);
      // Other jobs are not affected: the threads that replace them hash normally.
      await expectWorking(pool);
    } finally {
      await pool.close();
    }
  });

  test('every thread gone at once: the jobs in flight and new ones all complete', async () => {
    const { pool, threads } = watchedPool({ size: 3 });
    try {
      const jobs = Array.from({ length: 3 }, (_, i) => pool.hash(`in flight ${i}`));
      await Promise.all(threads.map((thread) => once(thread, 'online')));
      await Promise.all(threads.map((thread) => thread.terminate()));
      const hashes = await within(30_000, Promise.all(jobs));
      expect(hashes.every((hash) => isBcryptHash(hash))).toBe(true);
      // Idle threads gone too: the next jobs start new ones.
      const idle = threads.slice(-3);
      await Promise.all(idle.map((thread) => thread.terminate()));
      await expectWorking(pool);
    } finally {
      await pool.close();
    }
  });

  test('a thread that cannot start rejects the jobs waiting for it, clearly', async () => {
    const pool = new HashPool({
      rounds: 10,
      startWorker: () => {
        throw new Error('no threads left');
      },
    });
    const error = await within(5_000, pool.hash('x')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HashWorkerError);
    expect((error as Error).message).toMatch(/could not start a thread \(no threads left\)/);
  });

  test('close() rejects the jobs in flight, and their threads’ exits retry nothing', async () => {
    const { pool, threads } = watchedPool({ size: 1 });
    const job = pool.hash('closing').catch((caught: unknown) => caught);
    await once(threads[0] as Worker, 'online');
    await pool.close();
    expect(String(await within(5_000, job))).toMatch(/HashWorkerError: the password hasher was closed/);
    expect(threads).toHaveLength(1);
  });
});

describe('a hasher refuses what bcrypt would truncate', () => {
  const pool = new HashPool({ rounds: 10, size: 1 });
  afterAll(() => pool.close());

  test.each<[string, unknown]>([
    ['73 bytes', 'x'.repeat(73)],
    ['a number', 12345678],
    ['an empty string', ''],
  ])('%s', async (_, plain) => {
    const error = await pool.hash(plain as string).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TypeError);
    expect(String(error)).not.toContain('12345678');
    expect(String(error)).not.toContain('xxxx');
  });

  test('needsRehash: a lower cost than its own', async () => {
    const weak = new HashPool({ rounds: 4, size: 1 });
    const low = await weak.hash('x').finally(() => weak.close());
    expect(pool.needsRehash(low)).toBe(true);
    expect(pool.needsRehash(await pool.hash('x'))).toBe(false);
    expect(pool.needsRehash('not a hash')).toBe(false);
  });
});

describe('a script awaiting users.create never exits 0 with the work undone', () => {
  const script = (prefix: string, faulty: number) => `
    require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } });
    const { Worker } = require('node:worker_threads');
    const { createDb } = require('./src');
    const { HashPool } = require('./src/auth/hash-pool');
    const { migrate } = require('./src/migrations/runner');
    let started = 0;
    const hasher = new HashPool({
      rounds: 10,
      startWorker: (source, options) => new Worker((started++ < ${faulty} ? ${JSON.stringify(prefix)} : '') + source, options),
    });
    const db = createDb({ inMemory: true, logging: false, hasher });
    (async () => {
      await migrate(db.sequelize);
      const user = await db.users.create({ email: 'a@b.co', password: 'doomed' });
      console.log('created ' + (await db.users.count()));
      await db.sequelize.close();
    })();
  `;

  function run(prefix: string, faulty: number) {
    return spawnSync(process.execPath, ['-e', script(prefix, faulty)], {
      cwd: `${__dirname}/../..`,
      env: { ...process.env, BCRYPT_ROUNDS: '10' },
      encoding: 'utf8',
      timeout: 40_000,
    });
  }

  test('a thread that exits (code 0) under the first try: the user is created', () => {
    const child = run(fault('exit 0', 'doomed'), 1);
    expect(child.stdout.trim()).toBe('created 1');
    expect(child.status).toBe(0);
  });

  test('threads that always exit: the create fails loudly', () => {
    const child = run(fault('exit 0', 'doomed'), Number.MAX_SAFE_INTEGER);
    expect(child.stdout).not.toContain('created');
    expect(child.status).not.toBe(0);
    expect(child.stderr).toMatch(/HashWorkerError: a password hashing thread exited with code 0/);
    expect(child.stderr).not.toContain('doomed');
  });
});
