/** The form PostgreSQL prints a UUID in, the one the models' `isUUID` accepts. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Raised when an id given to the package (an actor, a user or a project to decide about) is not a UUID. */
export class InvalidIdError extends TypeError {
  override name = 'InvalidIdError';

  constructor(
    /** What the id names: `userId`, `projectId`, ... */
    readonly field: string,
    value: unknown,
  ) {
    super(`${field} must be a UUID, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value !== 'string') return value === null ? 'null' : typeof value;
  // Ids come from headers and URLs: quote a short prefix only, never a whole (possibly huge) input.
  return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
}

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

export function assertUuid(field: string, value: unknown): asserts value is string {
  if (!isUuid(value)) throw new InvalidIdError(field, value);
}
