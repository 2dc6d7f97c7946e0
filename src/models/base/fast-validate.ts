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

/**
 * Whether a row certainly passes the model's validation, judged synchronously
 * the way Sequelize's validator does: the same attributes (minus `skip`, or
 * only `fields`), NULL against allowNull, objects refused by text columns,
 * built-in validators by name from Sequelize's own table, custom functions
 * called. `false` means "not certainly": Sequelize's validator then decides
 * and words the error. Models with validation hooks or model-wide validators
 * always take Sequelize's path.
 */
export function certainlyValid(instance: Model, options: ValidationOptions = {}): boolean {
  const model = instance.constructor as ModelStatic<Model>;
  if (hasValidationHooks(model) || Object.keys((model.options as { validate?: object }).validate ?? {}).length > 0) {
    return false;
  }
  const fields = options.fields as string[] | undefined;
  const skip = options.skip as string[] | undefined;
  for (const [name, attribute] of attributesOf(model)) {
    if (skip?.includes(name) || (fields && !skip && !fields.includes(name))) continue;
    const value = instance.getDataValue(name as never) as unknown;
    const isNull = value === null || value === undefined;
    if (isNull && attribute.allowNull === false) return false;
    const key = attribute.type.key;
    if (!isNull && (key === 'STRING' || key === 'TEXT' || key === 'CITEXT') && typeof value === 'object') return false;
    for (const [validatorName, test] of Object.entries(attribute.validate ?? {})) {
      if (typeof test === 'function') {
        // Sequelize runs custom validators on NULL too; one taking a callback is asynchronous: not judged here.
        if (test.length !== 1) return false;
        try {
          if (test.call(instance, value) instanceof Promise) return false;
        } catch {
          return false;
        }
        continue;
      }
      if (isNull || validatorName === 'notNull') continue;
      const check = builtInValidators[validatorName];
      if (typeof check !== 'function') return false;
      const given = (test as { args?: unknown }).args ?? test;
      const args = Array.isArray(given) ? given : [given];
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
