import { createDb, type Db } from '../db/create-db';
import { type AnyModel, attributesOf, tableNameOf } from '../models/base/metadata';

interface AssociationShape {
  associationType: string;
  as: string;
  target: AnyModel;
  foreignKey: string;
  through?: { model: AnyModel } | undefined;
  scope?: object | undefined;
}

const MERMAID_TYPES: Record<string, string> = {
  UUID: 'uuid',
  TEXT: 'text',
  STRING: 'string',
  ENUM: 'enum',
  INTEGER: 'int',
  DECIMAL: 'decimal',
  BOOLEAN: 'bool',
  DATE: 'timestamptz',
  JSON: 'json',
};

function associationsOf(model: AnyModel): AssociationShape[] {
  return Object.values(model.associations) as unknown as AssociationShape[];
}

function isAudit(association: AssociationShape): boolean {
  return association.as === 'createdBy' || association.as === 'updatedBy';
}

/** The key columns of a table: its primary key, foreign keys and unique columns. */
function keyColumns(model: AnyModel): string[] {
  const unique = new Set(
    (model.options.indexes ?? [])
      .filter((index) => index.unique && index.fields?.length === 1 && !index.where)
      .map((index) => String(index.fields?.[0])),
  );
  return attributesOf(model).flatMap(([name, column]) => {
    if (name === 'createdById' || name === 'updatedById') return [];
    const keys = [
      column.primaryKey ? 'PK' : '',
      column.references ? 'FK' : '',
      column.unique === true || unique.has(name) ? 'UK' : '',
    ].filter(Boolean);
    if (keys.length === 0 || name === 'importHash') return [];
    return [`    ${MERMAID_TYPES[column.type.key ?? ''] ?? 'string'} ${name} ${keys.join(', ')}`];
  });
}

/**
 * A Mermaid `erDiagram` of the models, from their metadata: each table with its
 * key columns, each relationship with its aliases (`parent alias / child alias`).
 * The audit pair (`createdBy`/`updatedBy` -> users) that every table has is
 * noted once instead of drawn 42 times.
 */
export function erDiagram(db: Db = createDb({ inMemory: true })): string {
  const models = (Object.values(db.sequelize.models) as AnyModel[]).sort((a, b) =>
    tableNameOf(a).localeCompare(tableNameOf(b)),
  );
  const lines = [
    'erDiagram',
    '    %% Every table also has createdById / updatedById -> users (aliases createdBy, updatedBy).',
  ];
  for (const model of models) {
    const columns = keyColumns(model);
    lines.push(
      columns.length > 0 ? `  ${tableNameOf(model)} {\n${columns.join('\n')}\n  }` : `  ${tableNameOf(model)} {}`,
    );
  }
  const relations: string[] = [];
  for (const model of models) {
    for (const association of associationsOf(model)) {
      const parent = tableNameOf(model);
      const child = tableNameOf(association.target);
      if (association.associationType === 'HasMany') {
        const inverse = associationsOf(association.target).find(
          (candidate) =>
            candidate.associationType === 'BelongsTo' &&
            candidate.foreignKey === association.foreignKey &&
            tableNameOf(candidate.target) === parent,
        );
        const label = association.scope
          ? `${association.as} (polymorphic)`
          : `${association.as} / ${inverse?.as ?? '-'}`;
        relations.push(`  ${parent} ||--o{ ${child} : "${label}"`);
      } else if (association.associationType === 'BelongsToMany') {
        relations.push(
          `  ${parent} }o--o{ ${child} : "${association.as} (${tableNameOf(association.through?.model as AnyModel)})"`,
        );
      } else if (association.associationType === 'BelongsTo' && !isAudit(association)) {
        const declared = associationsOf(association.target).some(
          (candidate) => candidate.associationType === 'HasMany' && candidate.foreignKey === association.foreignKey,
        );
        if (!declared) relations.push(`  ${child} ||--o{ ${parent} : "- / ${association.as}"`);
      }
    }
  }
  return `${[...lines, ...relations.sort()].join('\n')}\n`;
}
