import { Client } from 'pg';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { from } from 'pg-copy-streams';
import { randomUUID } from 'node:crypto';
import { uiSchema } from './bench/data';
(async () => {
  const name = `tbp_speed_copy_${process.pid}`;
  const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const c = new Client({ connectionString: `postgres://postgres@127.0.0.1:5432/${name}` }); await c.connect();
  try {
    const now = new Date().toISOString();
    const lines = Array.from({ length: 10000 }, (_, i) => [randomUUID(), `Imported ${i}`, `imported-${i}`, randomUUID(), 'dev', i, 'f', 'f', JSON.stringify(uiSchema(i)), `h-${i}`, now, now].join('\t') + '\n');
    const text = lines.join('');
    const chunks: string[] = []; for (let i = 0; i < text.length; i += 262144) chunks.push(text.slice(i, i + 262144));
    for (const type of ['json', 'text', 'json', 'text']) {
      await c.query('BEGIN');
      await c.query(`CREATE TEMP TABLE t (id uuid, name text, slug text, "projectId" uuid, environment text, sort_order int, bl bool, ra bool, ui ${type}, h varchar(255), c timestamptz, u timestamptz) ON COMMIT DROP`);
      const t = process.hrtime.bigint();
      await pipeline(Readable.from(chunks), c.query(from('COPY t FROM STDIN')));
      console.log(type, 'COPY ms', Number(process.hrtime.bigint() - t) / 1e6);
      await c.query('COMMIT');
    }
    const t2 = process.hrtime.bigint();
    await c.query('SHOW temp_buffers').then((r) => console.log(r.rows[0], Number(process.hrtime.bigint() - t2) / 1e6));
  } finally { await c.end(); await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end(); }
})();
