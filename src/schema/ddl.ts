import { createDb } from '../db/create-db';
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
