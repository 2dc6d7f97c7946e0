import { InvalidArgumentError, isUuid } from '../models/base/invalid-argument';

export { InvalidArgumentError };

/**
 * Throws an InvalidArgumentError naming `argumentName` unless `value` is a
 * UUID: the package's functions check their ids with it before any query,
 * so `"' OR 1=1 --"` is a ValidationError, not PostgreSQL's
 * `invalid input syntax for type uuid`.
 */
export function assertUuid(value: unknown, argumentName: string): asserts value is string {
  if (!isUuid(value)) throw new InvalidArgumentError(argumentName, 'must be a UUID', value);
}

/** As `assertUuid`, with null and undefined let through (an optional id). */
export function assertOptionalUuid(value: unknown, argumentName: string): asserts value is string | null | undefined {
  if (value !== null && value !== undefined) assertUuid(value, argumentName);
}
