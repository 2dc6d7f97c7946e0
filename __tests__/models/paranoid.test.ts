import { cheapHasher, useTestDatabase } from '../support/db';
import { MODEL_FACTORIES, MODEL_TABLES, modelOf } from './rows';

const t = useTestDatabase(cheapHasher);

describe('soft delete on every model', () => {
  test.each(MODEL_TABLES)(
    '%s: destroy hides the row, paranoid:false shows it, restore brings it back',
    async (table) => {
      const db = t.db;
      const model = modelOf(db, table);
      const row = await MODEL_FACTORIES[table](db);

      await row.destroy();
      expect(await model.findByPk(row.id)).toBeNull();
      const hidden = await model.findByPk(row.id, { paranoid: false });
      expect(hidden?.get('deletedAt')).toBeInstanceOf(Date);

      await hidden?.restore();
      const back = await model.findByPk(row.id);
      expect(back?.id).toBe(row.id);
      expect(back?.get('deletedAt') ?? null).toBeNull();
    },
  );

  test.each(MODEL_TABLES)('%s: a static destroy soft-deletes, and force:true removes the row', async (table) => {
    const db = t.db;
    const model = modelOf(db, table);
    const row = await MODEL_FACTORIES[table](db);
    await model.destroy({ where: { id: row.id } });
    expect(await model.count({ where: { id: row.id } })).toBe(0);
    expect(await model.count({ where: { id: row.id }, paranoid: false })).toBe(1);
    await model.destroy({ where: { id: row.id }, force: true });
    expect(await model.count({ where: { id: row.id }, paranoid: false })).toBe(0);
  });
});
