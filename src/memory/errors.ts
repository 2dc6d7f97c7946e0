/**
 * Raised by the in-memory database (pg-mem) for a construct it cannot answer
 * the way PostgreSQL would. The in-memory mode refuses rather than return a
 * different answer; `construct` names what was refused, and the message says
 * what to do instead. The same code runs on PostgreSQL.
 */
export class InMemoryUnsupportedError extends Error {
  override name = 'InMemoryUnsupportedError';

  constructor(
    /** What pg-mem cannot do as PostgreSQL does (e.g. `a transaction inside another's callback`). */
    readonly construct: string,
    detail: string,
  ) {
    super(`The in-memory database does not support ${construct}: ${detail}`);
  }
}
