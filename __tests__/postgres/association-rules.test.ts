import { readSchema } from '../../src/migrations/drift';
import { foreignKeyColumnOf, tableNameOf } from '../../src/models/base/metadata';
import { useTestDatabase } from '../support/db';

const database = useTestDatabase();

interface AssociationShape {
  as: string;
  associationType: string;
  foreignKey: string;
  source: Parameters<typeof tableNameOf>[0];
  target: Parameters<typeof tableNameOf>[0];
  through?: { model: Parameters<typeof tableNameOf>[0] };
  options: { onDelete?: string; onUpdate?: string };
}

describe('ON DELETE rules', () => {
  it("every association's rule is the migrated database's rule for its foreign key", async () => {
    const { db } = database;
    const live = await readSchema(db.sequelize, 'public');
    const mismatches: string[] = [];
    let checked = 0;
    for (const model of Object.values(db.sequelize.models)) {
      for (const association of Object.values(model.associations) as unknown as AssociationShape[]) {
        const { associationType, source, target, foreignKey, through, options } = association;
        const [holder, referenced] =
          associationType === 'BelongsTo'
            ? [source, target]
            : associationType === 'BelongsToMany'
              ? [through?.model, source]
              : [target, source];
        // The polymorphic avatar (users -> files) has no constraint: nothing to compare.
        if (!holder || !foreignKeyColumnOf(association)?.onDelete) continue;
        const key = `${tableNameOf(holder)} (${foreignKey}) -> ${tableNameOf(referenced)} (id)`;
        const expected = `ON DELETE ${options.onDelete} ON UPDATE ${options.onUpdate}`;
        checked += 1;
        if (live.foreignKeys[key] !== expected) {
          mismatches.push(`${tableNameOf(source)}.${association.as}: ${expected}, database: ${live.foreignKeys[key]}`);
        }
      }
    }
    expect(mismatches).toEqual([]);
    // Every association of the 23 tables, the audit pair of each included.
    expect(checked).toBeGreaterThan(80);
  }, 60_000);
});
