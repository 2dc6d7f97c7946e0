import { randomUUID } from 'node:crypto';
import moment from 'moment';
import { DataType, type IMemoryDb, newDb } from 'pg-mem';

/**
 * The glue that lets Sequelize drive pg-mem. Everything here works around a
 * gap of pg-mem, not of the package; the same behaviour holds on PostgreSQL.
 */

// Sequelize looks an ENUM type up in pg_type JOIN pg_enum, which pg-mem cannot join.
const ENUM_LOOKUP = /\bFROM\s+pg_type\s+t\s+JOIN\s+pg_enum\b/i;
// ...and creates it inside a `DO '...'` block, which pg-mem cannot parse.
const ENUM_CREATE_BLOCK = /^\s*DO\s+'BEGIN\s+(CREATE\s+TYPE\s+[\s\S]+?);\s*EXCEPTION\s+WHEN\s+duplicate_object/i;

export function createMemoryDatabase(): IMemoryDb {
  // pg-mem parses Sequelize's timestamps ('2026-01-01 00:00:00.000 +00:00') through moment's Date fallback,
  // which is correct for that format but prints a deprecation warning on every insert.
  moment.suppressDeprecationWarnings = true;
  const mem = newDb({ autoCreateForeignKeyIndices: false });
  mem.public.registerFunction({
    name: 'gen_random_uuid',
    returns: DataType.uuid,
    implementation: randomUUID,
    impure: true,
  });
  mem.public.interceptQueries((sql) => {
    if (ENUM_LOOKUP.test(sql)) return [];
    const block = ENUM_CREATE_BLOCK.exec(sql);
    if (block?.[1]) {
      try {
        mem.public.none(block[1].replace(/''/g, "'"));
      } catch (error) {
        if (!/already exists/i.test(String(error))) throw error;
      }
      return [];
    }
    return null;
  });
  return mem;
}
