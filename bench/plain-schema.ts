/**
 * Writes the package's schema as plain `sequelize.define` calls (no hooks, no
 * scopes, no validators, no decorators): the baseline the benchmark compares
 * the package with, generated from the models' own metadata so both describe
 * the same tables.
 */
import type { ModelStatic, Sequelize } from 'sequelize';

type Attribute = {
  type: { key: string; options?: { length?: number }; values?: string[] };
  allowNull?: boolean;
  defaultValue?: unknown;
  field?: string;
  primaryKey?: boolean;
};

function typeSource(type: Attribute['type']): string {
  switch (type.key) {
    case 'STRING':
      return `DataTypes.STRING(${type.options?.length ?? 255})`;
    case 'ENUM':
      return `DataTypes.ENUM(${(type.values ?? []).map((value) => JSON.stringify(value)).join(', ')})`;
    default:
      return `DataTypes.${type.key}`;
  }
}

function defaultSource(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const key = (value as { key?: string } | null)?.key;
  if (key === 'UUIDV4' || key === 'NOW') return `DataTypes.${key}`;
  return JSON.stringify(value);
}

/**
 * JavaScript source of a module exporting `define(sequelize)`, which defines every table plainly.
 * `sequelize` is the package's instance, from src/ or from dist/.
 */
export function plainSchemaSource(sequelize: Sequelize): string {
  const byTable = new Map(
    Object.values(sequelize.models).map((model) => [model.getTableName() as string, model as ModelStatic<never>]),
  );
  const lines = [
    "'use strict';",
    "const { DataTypes } = require('sequelize');",
    'exports.define = function define(sequelize) {',
    '  const m = {};',
  ];
  for (const [table, model] of byTable) {
    const columns: string[] = [];
    for (const [name, raw] of Object.entries(model.getAttributes())) {
      const attribute = raw as unknown as Attribute;
      if (attribute.type.key === 'VIRTUAL' || ['createdAt', 'updatedAt', 'deletedAt'].includes(name)) continue;
      const parts = [`type: ${typeSource(attribute.type)}`, `allowNull: ${attribute.allowNull !== false}`];
      const fallback = defaultSource(attribute.defaultValue);
      if (fallback) parts.push(`defaultValue: ${fallback}`);
      if (attribute.primaryKey) parts.push('primaryKey: true');
      if (attribute.field && attribute.field !== name) parts.push(`field: ${JSON.stringify(attribute.field)}`);
      columns.push(`    ${JSON.stringify(name)}: { ${parts.join(', ')} },`);
    }
    const paranoid = Boolean(model.options.paranoid);
    lines.push(
      `  m[${JSON.stringify(table)}] = sequelize.define(${JSON.stringify(table)}, {`,
      ...columns,
      `  }, { tableName: ${JSON.stringify(table)}, freezeTableName: true, timestamps: true, paranoid: ${paranoid} });`,
    );
  }
  for (const [table, model] of byTable) {
    for (const association of Object.values(model.associations) as unknown as {
      associationType: string;
      as: string;
      target: ModelStatic<never>;
      foreignKey: string;
      otherKey?: string;
      through?: { model: ModelStatic<never> };
      scope?: object;
    }[]) {
      const target = `m[${JSON.stringify(association.target.getTableName())}]`;
      const source = `m[${JSON.stringify(table)}]`;
      const options = [
        `as: ${JSON.stringify(association.as)}`,
        `foreignKey: ${JSON.stringify(association.foreignKey)}`,
        'constraints: false',
      ];
      if (association.scope) options.push(`scope: ${JSON.stringify(association.scope)}`);
      if (association.associationType === 'BelongsToMany') {
        options.push(
          `through: m[${JSON.stringify(association.through?.model.getTableName())}]`,
          `otherKey: ${JSON.stringify(association.otherKey)}`,
        );
      }
      const method = association.associationType.charAt(0).toLowerCase() + association.associationType.slice(1);
      lines.push(`  ${source}.${method}(${target}, { ${options.join(', ')} });`);
    }
  }
  lines.push('  return m;', '};', '');
  return lines.join('\n');
}
