import { availableParallelism } from 'node:os';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { bcryptNeedsRehash, checkedForHashing, type PasswordHasher } from './password';

/**
 * The worker's code, evaluated in each thread: bcryptjs is pure JavaScript and
 * blocks whichever thread runs it, so it runs here instead of on the event loop.
 * Inline (not a file) so it works the same from `src/` under ts-jest and from `dist/`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bcrypt = require(workerData.bcryptjs);
parentPort.on('message', ({ id, op, plain, hash, rounds }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(plain, rounds) : bcrypt.compareSync(plain, hash);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

interface Job {
  id: number;
  op: 'hash' | 'compare';
  plain: string;
  hash?: string | undefined;
  rounds?: number | undefined;
  /** Threads lost while working on this job. */
  losses: number;
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job | undefined;
  /** Ended, crashed or closed: its events no longer count. */
  gone?: boolean | undefined;
}

/** A job is tried on a second thread when the first one is lost under it, and given up after that. */
const MAX_LOSSES = 2;

/** A hashing thread ended, crashed or could not start; the message says which, never with a password. */
export class HashWorkerError extends Error {
  override name = 'HashWorkerError';
}

export interface HashPoolOptions {
  /** bcrypt cost of new hashes. */
  rounds: number;
  /** Threads; by default one per core, at least one, at most four. */
  size?: number | undefined;
  /** An idle thread is ended after this many milliseconds (default 10 s). */
  idleMs?: number | undefined;
  /** Starts a thread (default `new Worker(source, options)`); the tests use it to plant faults. */
  startWorker?: ((source: string, options: WorkerOptions) => Worker) | undefined;
}

/**
 * A small worker_threads pool that hashes and checks passwords off the event
 * loop. Threads start on demand, are unref'd while idle (an idle pool never
 * keeps a process alive) and end after `idleMs` without work; `close()` ends
 * them at once. A thread that exits, crashes or is terminated while working
 * loses its job to a new thread, once; a second loss rejects the job with a
 * HashWorkerError. No job is ever left pending.
 */
export class HashPool implements PasswordHasher {
  readonly size: number;
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 0;
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly options: HashPoolOptions) {
    this.size = Math.max(1, options.size ?? Math.min(4, availableParallelism()));
  }

  async hash(plain: string): Promise<string> {
    // Refused here, not in the thread: bcrypt would truncate past 72 bytes without a word.
    return (await this.submit({ op: 'hash', plain: checkedForHashing(plain), rounds: this.options.rounds })) as string;
  }

  compare(plain: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'compare', plain, hash }) as Promise<boolean>;
  }

  needsRehash(hash: string): boolean {
    return bcryptNeedsRehash(hash, this.options.rounds);
  }

  /** Ends every thread; jobs still queued are rejected. The pool starts threads again if used after. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    const closed = () => new HashWorkerError('the password hasher was closed');
    for (const job of this.queue.splice(0)) job.reject(closed());
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      slot.gone = true;
      slot.job?.reject(closed());
      slot.job = undefined;
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private submit(job: Omit<Job, 'id' | 'losses' | 'resolve' | 'reject'>): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.nextId += 1;
      this.queue.push({ ...job, id: this.nextId, losses: 0, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    clearTimeout(this.idleTimer);
    while (this.queue.length > 0) {
      let slot = this.slots.find((candidate) => !candidate.job);
      if (!slot) {
        try {
          slot = this.spawn();
        } catch (error) {
          // No thread could start. Those running will take the queue; with none, nothing would.
          if (this.slots.length === 0) {
            const reason = `the password hasher could not start a thread (${(error as Error).message})`;
            for (const job of this.queue.splice(0)) job.reject(new HashWorkerError(reason));
          }
          return;
        }
      }
      if (!slot) return;
      const job = this.queue.shift() as Job;
      slot.job = job;
      slot.worker.ref();
      const { id, op, plain, hash, rounds } = job;
      slot.worker.postMessage({ id, op, plain, hash, rounds });
    }
  }

  private spawn(): Slot | undefined {
    if (this.slots.length >= this.size) return undefined;
    const start = this.options.startWorker ?? ((source, options) => new Worker(source, options));
    const worker = start(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: require.resolve('bcryptjs') } });
    const slot: Slot = { worker };
    worker.on('message', (message: { id: number; result?: string | boolean; error?: string }) => {
      const job = slot.job;
      if (slot.gone || !job || job.id !== message.id) return;
      slot.job = undefined;
      worker.unref();
      if (message.error === undefined) job.resolve(message.result as string | boolean);
      else job.reject(new Error(message.error));
      this.dispatch();
      this.scheduleIdle();
    });
    // An uncaught error in the thread is followed by its exit; whichever comes first counts.
    worker.on('error', (error) => this.lose(slot, `failed (${error.message})`));
    worker.on('exit', (code) => this.lose(slot, `exited with code ${code}`));
    this.slots.push(slot);
    return slot;
  }

  /** A thread is gone: its job goes to another thread, or is rejected if it already lost one. */
  private lose(slot: Slot, how: string): void {
    if (slot.gone) return;
    slot.gone = true;
    const index = this.slots.indexOf(slot);
    if (index >= 0) this.slots.splice(index, 1);
    const job = slot.job;
    slot.job = undefined;
    if (job) {
      job.losses += 1;
      if (job.losses >= MAX_LOSSES) {
        job.reject(
          new HashWorkerError(`a password hashing thread ${how}; this ${job.op} lost ${job.losses} threads, given up`),
        );
      } else {
        this.queue.unshift(job);
      }
    }
    this.dispatch();
    this.scheduleIdle();
  }

  private scheduleIdle(): void {
    if (this.queue.length > 0 || this.slots.some((slot) => slot.job)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs ?? 10_000);
    this.idleTimer.unref();
  }
}
