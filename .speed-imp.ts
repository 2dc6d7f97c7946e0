import 'reflect-metadata';
import { Client } from 'pg';
import { createDb, importRows, migrate } from './src';
import { uiSchema } from './bench/data';
(async () => {
  const name = `tbp_speed_import_${process.pid}`;
  const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const t0 = { v: process.hrtime.bigint() };
  const mark = (label: string) => { const n = process.hrtime.bigint(); console.log(label.padEnd(40), (Number(n - t0.v) / 1e6).toFixed(1)); t0.v = n; };
  try {
    const db = createDb({ url: `postgres://postgres@127.0.0.1:5432/${name}`, logging: false });
    await migrate(db.sequelize);
    const pool = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` }); await pool.connect();
    for (let round = 0; round < 4; round++) {
      const p = await db.projects.create({ name: 'T', slug: `t${round}` });
      const rows = Array.from({ length: 10000 }, (_, i) => ({ name: `Imported ${i}`, slug: `imported-${i}`, projectId: p.id, environment: 'dev', sort_order: i, ui_schema_json: uiSchema(i), importHash: `${round}-${i}` }));
      console.log('--- round', round);
      const T = process.hrtime.bigint();
      const r = await importRows(db.tour_pages, rows);
      console.log('PACKAGE total', Number(process.hrtime.bigint() - T) / 1e6, JSON.stringify(r));
      const p2 = await db.projects.create({ name: 'T', slug: `r${round}` });
      const records = rows.map((row) => ({ ...row, projectId: p2.id, importHash: `r${row.importHash}`, id: require('crypto').randomUUID() }));
      const R = process.hrtime.bigint();
      await pool.query('BEGIN');
      await pool.query(`INSERT INTO tour_pages (id, name, slug, "projectId", environment, sort_order, background_loop, requires_auth, ui_schema_json, "importHash", "createdAt", "updatedAt")
         SELECT r.id, r.name, r.slug, r."projectId", r.environment, r.sort_order, false, false, r.ui_schema_json, r."importHash", $2, $2
         FROM json_to_recordset($1) AS r(id uuid, name text, slug text, "projectId" uuid, environment enum_tour_pages_environment, sort_order integer, ui_schema_json json, "importHash" varchar(255))
         ON CONFLICT ("importHash") DO NOTHING`, [JSON.stringify(records), new Date()]);
      mark('raw insert');
      await pool.query('COMMIT');
      console.log('RAW total', Number(process.hrtime.bigint() - R) / 1e6);
    }
    await pool.end();
    await db.sequelize.close();
  } finally { await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end(); }
})();
