import type { Model, ModelStatic } from 'sequelize';
import * as sequelize from 'sequelize';
import { attributesOf } from './metadata';

/** What `Model#validate` takes (Sequelize exports no name for it). */
export type ValidationOptions = NonNullable<Parameters<Model['validate']>[0]>;

// Sequelize's own table of built-in validators (validator.js plus its extras, its public `Validator`),
// so both paths judge alike.
// Its typings declare it as a type only, hence the cast.
export const builtInValidators = (
  sequelize as unknown as { Validator: Record<string, (value: string, ...args: unknown[]) => boolean> }
).Validator;

function hasValidationHooks(model: ModelStatic<Model>): boolean {
  return model.hasHook('beforeValidate') || model.hasHook('afterValidate');
}

/** One attribute's checks, worked out once per model from its definition. */
interface FieldChecks {
  name: string;
  notNull: boolean;
  /** Text columns refuse objects. */
  text: boolean;
  /** A custom validator that takes a callback (asynchronous): never judged here. */
  unjudged: boolean;
  custom: ((value: unknown) => unknown)[];
  /** Sequelize's built-in validators with their arguments; `undefined` for a name it does not know. */
  builtIns: [((value: string, ...args: unknown[]) => boolean) | undefined, unknown[]][];
}

const checksByModel = new WeakMap<object, FieldChecks[]>();

function checksOf(model: ModelStatic<Model>): FieldChecks[] {
  let checks = checksByModel.get(model);
  if (checks) return checks;
  checks = attributesOf(model).map(([name, attribute]) => {
    const field: FieldChecks = {
      name,
      notNull: attribute.allowNull === false,
      text: ['STRING', 'TEXT', 'CITEXT'].includes(attribute.type.key ?? ''),
      unjudged: false,
      custom: [],
      builtIns: [],
    };
    for (const [validatorName, test] of Object.entries(attribute.validate ?? {})) {
      if (typeof test === 'function') {
        if (test.length !== 1) field.unjudged = true;
        else field.custom.push(test as (value: unknown) => unknown);
        continue;
      }
      if (validatorName === 'notNull') continue;
      const check = builtInValidators[validatorName];
      const given = (test as { args?: unknown }).args ?? test;
      field.builtIns.push([typeof check === 'function' ? check : undefined, Array.isArray(given) ? given : [given]]);
    }
    return field;
  });
  checksByModel.set(model, checks);
  return checks;
}

/**
 * Whether a row certainly passes the model's validation, judged synchronously
 * the way Sequelize's validator does: the same attributes (minus `skip`, or
 * only `fields`), NULL against allowNull, objects refused by text columns,
 * built-in validators by name from Sequelize's own table, custom functions
 * called. `false` means "not certainly": Sequelize's validator then decides
 * and words the error. Models with validation hooks or model-wide validators
 * always take Sequelize's path. The checks of each attribute are worked out
 * once per model (an import validates thousands of rows).
 */
export function certainlyValid(instance: Model, options: ValidationOptions = {}): boolean {
  const model = instance.constructor as ModelStatic<Model>;
  if (hasValidationHooks(model) || Object.keys((model.options as { validate?: object }).validate ?? {}).length > 0) {
    return false;
  }
  const fields = options.fields as string[] | undefined;
  const skip = options.skip as string[] | undefined;
  for (const field of checksOf(model)) {
    const { name } = field;
    if (skip?.includes(name) || (fields && !skip && !fields.includes(name))) continue;
    if (field.unjudged) return false;
    const value = instance.getDataValue(name as never) as unknown;
    const isNull = value === null || value === undefined;
    if (isNull && field.notNull) return false;
    if (!isNull && field.text && typeof value === 'object') return false;
    // Sequelize runs custom validators on NULL too.
    for (const test of field.custom) {
      try {
        if (test.call(instance, value) instanceof Promise) return false;
      } catch {
        return false;
      }
    }
    if (isNull) continue;
    for (const [check, args] of field.builtIns) {
      if (!check) return false;
      try {
        // String() itself throws for an object without a prototype; Sequelize turns that into a failure too.
        if (!check.call(builtInValidators, String(value), ...args)) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}
