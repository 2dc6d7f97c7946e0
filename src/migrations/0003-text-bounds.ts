import type { Migration, MigrationContext } from './types';

/**
 * 0003: the indexed TEXT columns get the bound their models give them, as a
 * CHECK, so that a value too long for an index entry is refused by name even
 * when it does not come through the models. The statements are those
 * `sync()` runs (see `addLengthCheckSql`), so a migrated and a synced schema
 * compare equal. Frozen, like every migration: the columns are listed here,
 * not read from the models.
 */
const BOUNDS: readonly { table: string; column: string; max: number }[] = [
  { table: 'users', column: 'email', max: 2000 },
  { table: 'projects', column: 'slug', max: 2000 },
  { table: 'tour_pages', column: 'slug', max: 2000 },
  { table: 'permissions', column: 'name', max: 100 },
  { table: 'element_type_defaults', column: 'element_type', max: 100 },
  { table: 'project_element_defaults', column: 'element_type', max: 100 },
  // The lineage of published copies, in the unique indexes of 0004.
  { table: 'tour_pages', column: 'source_key', max: 2000 },
  { table: 'project_transition_settings', column: 'source_key', max: 2000 },
  { table: 'project_audio_tracks', column: 'source_key', max: 2000 },
];

const nameOf = (bound: { table: string; column: string }) => `${bound.table}_${bound.column}_length`;

/** Refuses to start on rows the CHECK would reject, saying where they are (never what they hold). */
async function assertNoLongerValues({ sequelize, transaction }: MigrationContext): Promise<void> {
  const problems: string[] = [];
  for (const bound of BOUNDS) {
    const rows = (await sequelize.query(
      `SELECT count(*) AS "count" FROM "${bound.table}" WHERE char_length("${bound.column}") > ${bound.max}`,
      { type: 'SELECT', transaction },
    )) as { count: string | number }[];
    const count = Number(rows[0]?.count ?? 0);
    if (count > 0) problems.push(`${bound.table}.${bound.column}: ${count} row(s) longer than ${bound.max} characters`);
  }
  if (problems.length > 0) {
    throw new Error(`0003-text-bounds cannot add its CHECKs; shorten these values first:\n${problems.join('\n')}`);
  }
}

export const textBounds: Migration = {
  name: '0003-text-bounds',
  async up({ context }) {
    await assertNoLongerValues(context);
    for (const bound of BOUNDS) {
      await context.sequelize.query(
        `ALTER TABLE "${bound.table}" ADD CONSTRAINT "${nameOf(bound)}" CHECK (char_length("${bound.column}") <= ${bound.max})`,
        { transaction: context.transaction },
      );
    }
  },
  async down({ context: { sequelize, transaction } }) {
    for (const bound of BOUNDS) {
      await sequelize.query(`ALTER TABLE "${bound.table}" DROP CONSTRAINT IF EXISTS "${nameOf(bound)}"`, {
        transaction,
      });
    }
  },
};
