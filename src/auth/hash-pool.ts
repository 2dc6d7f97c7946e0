import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { PasswordHasher } from './password';

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
  resolve(value: string | boolean): void;
  reject(error: Error): void;
}

interface Slot {
  worker: Worker;
  job?: Job | undefined;
}

export interface HashPoolOptions {
  /** bcrypt cost of new hashes. */
  rounds: number;
  /** Threads; by default one per core, at least one, at most four. */
  size?: number | undefined;
  /** An idle thread is ended after this many milliseconds (default 10 s). */
  idleMs?: number | undefined;
}

/**
 * A small worker_threads pool that hashes and checks passwords off the event
 * loop. Threads start on demand, are unref'd while idle (an idle pool never
 * keeps a process alive) and end after `idleMs` without work; `close()` ends
 * them at once.
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

  hash(plain: string): Promise<string> {
    return this.submit({ op: 'hash', plain, rounds: this.options.rounds }) as Promise<string>;
  }

  compare(plain: string, hash: string): Promise<boolean> {
    return this.submit({ op: 'compare', plain, hash }) as Promise<boolean>;
  }

  /** Ends every thread; jobs still queued are rejected. The pool starts threads again if used after. */
  async close(): Promise<void> {
    clearTimeout(this.idleTimer);
    for (const job of this.queue.splice(0)) job.reject(new Error('the password hasher was closed'));
    const slots = this.slots.splice(0);
    for (const slot of slots) slot.job?.reject(new Error('the password hasher was closed'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private submit(job: Omit<Job, 'id' | 'resolve' | 'reject'>): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      this.nextId += 1;
      this.queue.push({ ...job, id: this.nextId, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    clearTimeout(this.idleTimer);
    while (this.queue.length > 0) {
      const slot = this.slots.find((candidate) => !candidate.job) ?? this.spawn();
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
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs: require.resolve('bcryptjs') } });
    const slot: Slot = { worker };
    worker.on('message', (message: { id: number; result?: string | boolean; error?: string }) => {
      const job = slot.job;
      slot.job = undefined;
      worker.unref();
      if (job && job.id === message.id) {
        if (message.error === undefined) job.resolve(message.result as string | boolean);
        else job.reject(new Error(message.error));
      }
      this.dispatch();
      this.scheduleIdle();
    });
    worker.on('error', (error) => {
      slot.job?.reject(error);
      slot.job = undefined;
      this.slots.splice(this.slots.indexOf(slot), 1);
      this.dispatch();
    });
    this.slots.push(slot);
    return slot;
  }

  private scheduleIdle(): void {
    if (this.queue.length > 0 || this.slots.some((slot) => slot.job)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.close(), this.options.idleMs ?? 10_000);
    this.idleTimer.unref();
  }
}
