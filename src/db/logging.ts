import type { Sequelize } from 'sequelize';

/**
 * The one place that reaches Sequelize's undocumented `Sequelize#log`: every
 * logged statement, whichever logging function prints it (the instance's,
 * one given to a single query, `benchmark` timings), goes through it as
 * `log(message, [elapsed,] options)`. The wrapper gives the function the
 * message and options that `redact` returns instead.
 * `__tests__/security/logging.test.ts` fails if that shape changes (and this
 * throws at once if the method is gone).
 */
export type LogRedactor = (message: string, options: object | undefined) => { message: string; options?: object };

type Loggable = { log(...args: unknown[]): void; options: { logging?: unknown } };

function isOptions(value: unknown): value is { logging?: unknown } {
  return (
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.hasOwn(value, 'logging')
  );
}

export function redactLogging(sequelize: Sequelize, redact: LogRedactor): void {
  const target = sequelize as unknown as Loggable;
  if (typeof target.log !== 'function') {
    throw new Error('Sequelize#log is gone: the SQL logger can no longer redact secrets (see src/db/logging.ts)');
  }
  const log = target.log.bind(sequelize);
  target.log = (...args: unknown[]) => {
    const last = args[args.length - 1];
    const options = isOptions(last) ? last : undefined;
    // Nothing is printed when logging is off: no work either.
    if (!(options ?? target.options).logging || typeof args[0] !== 'string') {
      log(...args);
      return;
    }
    const redacted = redact(args[0], options);
    const middle = args.slice(1, options ? -1 : undefined);
    log(redacted.message, ...middle, ...(options ? [redacted.options ?? options] : []));
  };
}
