import type { ModelStatic } from 'sequelize';
import { createDb, type Db } from '../db/create-db';
import { syncSchema } from '../db/sync';

const DDL = /^(CREATE (TABLE|TYPE|(UNIQUE )?INDEX)|ALTER TABLE)/;
const ENUM_BLOCK = /^DO 'BEGIN (CREATE TYPE [\s\S]+?); EXCEPTION/;

/**
 * The PostgreSQL DDL of the models: the statements `sync()` runs, in order
 * (ENUM types, tables, indexes, the deferred foreign keys), taken from a
 * sync of an in-memory database.
 */
export async function schemaDdl(): Promise<string> {
  const statements: string[] = [];
  const db = createDb({
    inMemory: true,
    logging: (sql: string) => {
      const text = sql.replace(/^Executing \([^)]*\): /, '').trim();
      const block = ENUM_BLOCK.exec(text);
      if (block?.[1]) statements.push(`${block[1].replace(/''/g, "'")};`);
      else if (DDL.test(text)) statements.push(text.endsWith(';') ? text : `${text};`);
    },
  });
  try {
    await syncSchema(db.sequelize);
  } finally {
    await db.sequelize.close();
  }
  return `${statements.join('\n\n')}\n`;
}

type AnyModel = ModelStatic<never>;

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

function tableOf(model: AnyModel): string {
  return model.getTableName() as string;
}

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
  return Object.entries(model.getAttributes()).flatMap(([name, attribute]) => {
    const column = attribute as { primaryKey?: boolean; references?: unknown; unique?: unknown; type: { key: string } };
    if (name === 'createdById' || name === 'updatedById') return [];
    const keys = [
      column.primaryKey ? 'PK' : '',
      column.references ? 'FK' : '',
      column.unique === true || unique.has(name) ? 'UK' : '',
    ].filter(Boolean);
    if (keys.length === 0 || name === 'importHash') return [];
    return [`    ${MERMAID_TYPES[column.type.key] ?? 'string'} ${name} ${keys.join(', ')}`];
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
    tableOf(a).localeCompare(tableOf(b)),
  );
  const lines = [
    'erDiagram',
    '    %% Every table also has createdById / updatedById -> users (aliases createdBy, updatedBy).',
  ];
  for (const model of models) {
    const columns = keyColumns(model);
    lines.push(columns.length > 0 ? `  ${tableOf(model)} {\n${columns.join('\n')}\n  }` : `  ${tableOf(model)} {}`);
  }
  const relations: string[] = [];
  for (const model of models) {
    for (const association of associationsOf(model)) {
      const parent = tableOf(model);
      const child = tableOf(association.target);
      if (association.associationType === 'HasMany') {
        const inverse = associationsOf(association.target).find(
          (candidate) =>
            candidate.associationType === 'BelongsTo' &&
            candidate.foreignKey === association.foreignKey &&
            tableOf(candidate.target) === parent,
        );
        const label = association.scope
          ? `${association.as} (polymorphic)`
          : `${association.as} / ${inverse?.as ?? '-'}`;
        relations.push(`  ${parent} ||--o{ ${child} : "${label}"`);
      } else if (association.associationType === 'BelongsToMany') {
        relations.push(
          `  ${parent} }o--o{ ${child} : "${association.as} (${tableOf(association.through?.model as AnyModel)})"`,
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
