import 'reflect-metadata';
import { createDb } from './src';
import { uiSchema } from './bench/data';
import { importRows } from './src';
(async () => {
  const db = createDb({ url: 'postgres://postgres@127.0.0.1:5432/nonexistent_db_x', logging: false });
  // no DB: stop at the transaction (connection fails) after the validation phase
  const rows = Array.from({ length: 10000 }, (_, i) => ({ name: `Imported ${i}`, slug: `imported-${i}`, projectId: '5f0c6c52-0a36-4d2b-9f5a-2b8f8e1c9a10', environment: 'dev', sort_order: i, ui_schema_json: uiSchema(i), importHash: `k-${i}` }));
  for (let r = 0; r < 4; r++) {
    const t = process.hrtime.bigint();
    await importRows(db.tour_pages, rows).catch(() => undefined);
    console.log('validation phase + failed connect', Number(process.hrtime.bigint() - t) / 1e6);
  }
  await db.sequelize.close();
})();
