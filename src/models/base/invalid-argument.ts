import { ValidationError, ValidationErrorItem } from 'sequelize';

const SHOWN = 40;

/** A value as a message shows it: short, quoted if text, its type if neither text nor a number. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return JSON.stringify(value.length > SHOWN ? `${value.slice(0, SHOWN)}…` : value);
  }
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/**
 * Bad input to a package function or to a query (`where`), refused before
 * any SQL: a ValidationError, so an app that answers ValidationErrors with
 * 400 does so here too, with one item whose `path` names the argument
 * (`projectId`, `where.sort_order`). Its `value` is the value as the message
 * shows it (cut short), never the whole input.
 */
export class InvalidArgumentError extends ValidationError {
  constructor(
    readonly argument: string,
    problem: string,
    value: unknown,
  ) {
    const message = `${argument} ${problem}, got ${describeValue(value)}`;
    super(message, [
      new ValidationErrorItem(
        message,
        'validation error',
        argument,
        describeValue(value),
        null as never,
        'argument',
        'assert',
        [],
      ),
    ]);
    this.name = 'InvalidArgumentError';
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether a value is a UUID in its usual form (what the models' `isUUID` accepts). */
export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}
