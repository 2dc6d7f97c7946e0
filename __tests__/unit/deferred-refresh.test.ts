import type { ModelStatic } from 'sequelize';
import { createDb, models, modelsByTable, TbpSequelize } from '../../src';
import { alignAssociationRules } from '../../src/models/base/metadata';

/**
 * createDb defers Sequelize's attribute refreshes while it builds the models
 * (src/db/deferred-refresh.ts). Whatever Sequelize derives from the attributes
 * must come out exactly as when every association refreshes at once.
 */

type Internals = ModelStatic<never> & Record<string, unknown>;

/** A JSON-able picture of a value: functions, models, data types and classes by name. */
function picture(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'function') {
    return (value as { prototype?: unknown }).prototype && /^class |^[A-Z]/.test((value as { name: string }).name)
      ? `class ${(value as { name: string }).name}`
      : `function ${(value as { name: string }).name}`;
  }
  if (typeof value !== 'object') return value;
  if (value instanceof RegExp) return String(value);
  if (value instanceof Set) return [...value].map((item) => picture(item, depth + 1)).sort();
  const key = (value as { key?: unknown }).key;
  if (typeof key === 'string' && typeof (value as { toSql?: unknown }).toSql === 'function') {
    return `type ${String((value as { toSql(): string }).toSql())}`;
  }
  if (depth > 4) return '…';
  if (Array.isArray(value)) return value.map((item) => picture(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(value).sort()) {
    // Back references (a definition's Model, an association's models) are named, not walked.
    if (name === 'Model' || name === 'source' || name === 'target' || name === 'sequelize') {
      out[name] = (value as Record<string, { name?: string }>)[name]?.name ?? null;
      continue;
    }
    out[name] = picture((value as Record<string, unknown>)[name], depth + 1);
  }
  return out;
}

function modelPicture(model: Internals) {
  const prototype = model.prototype as unknown as Record<string, unknown>;
  const accessors = Object.getOwnPropertyNames(prototype)
    .filter((name) => {
      const descriptor = Object.getOwnPropertyDescriptor(prototype, name);
      return Boolean(descriptor?.get || descriptor?.set);
    })
    .sort();
  return picture({
    rawAttributes: model.rawAttributes,
    fieldRawAttributesMap: Object.keys(model.fieldRawAttributesMap as object).sort(),
    primaryKeys: Object.keys(model.primaryKeys as object).sort(),
    primaryKeyAttributes: model.primaryKeyAttributes,
    primaryKeyField: model.primaryKeyField,
    uniqueKeys: model.uniqueKeys,
    defaultValues: Object.keys(model._defaultValues as object).sort(),
    sanitizers: Object.keys(model._dataTypeSanitizers as object).sort(),
    changes: Object.keys(model._dataTypeChanges as object).sort(),
    booleans: model._hasBooleanAttributes,
    dates: model._hasDateAttributes,
    json: model._jsonAttributes,
    virtual: model._virtualAttributes,
    readOnly: model._readOnlyAttributes,
    timestamps: model._timestampAttributes,
    validators: Object.keys(prototype.validators as object).sort(),
    getters: Object.keys(prototype._customGetters as object).sort(),
    setters: Object.keys(prototype._customSetters as object).sort(),
    accessors,
    associations: Object.fromEntries(
      Object.entries(model.associations).map(([name, association]) => {
        const a = association as unknown as Record<string, unknown>;
        return [
          name,
          {
            type: a.associationType,
            foreignKey: a.foreignKey,
            identifierField: a.identifierField,
            foreignKeyField: a.foreignKeyField,
            sourceKeyField: a.sourceKeyField,
            targetKeyField: a.targetKeyField,
            otherKey: a.otherKey,
            through: (a.through as { model?: { name: string } } | undefined)?.model?.name ?? null,
            options: a.options,
          },
        ];
      }),
    ),
  });
}

describe('createDb with deferred attribute refreshes', () => {
  const url = 'postgres://user@127.0.0.1:5432/nothing';
  const deferred = createDb({ url, logging: false });
  // The same models built as Sequelize builds them, refreshing after every association.
  const eager = new TbpSequelize({
    dialect: 'postgres',
    host: '127.0.0.1',
    database: 'nothing',
    username: 'user',
    logging: false,
    repositoryMode: true,
    models,
  });
  alignAssociationRules(Object.values(eager.models));
  afterAll(() => Promise.all([deferred.sequelize.close(), eager.close()]));

  it('defines the same models', () => {
    expect(Object.keys(deferred.sequelize.models).sort()).toEqual(Object.keys(eager.models).sort());
  });

  it.each(Object.keys(modelsByTable).map((table) => [table]))('%s comes out as built eagerly', (table) => {
    const ours = deferred.sequelize.model(table) as unknown as Internals;
    const theirs = eager.model(table) as unknown as Internals;
    expect(modelPicture(ours)).toEqual(modelPicture(theirs));
  });

  it("leaves Sequelize's refreshAttributes as it was", () => {
    const { Model } = require('sequelize') as typeof import('sequelize');
    expect(Object.getOwnPropertyDescriptor(Model, 'refreshAttributes')?.value?.name).toBe('refreshAttributes');
  });
});
