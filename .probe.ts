import { Client } from 'pg';
import { createDb, migrate, publishEnvironment, rollbackPublish, previewPublish, formatPublishPreview, publishStatus } from './src';
const name = `tbp_pub_probe_${process.pid}`;
(async () => {
  const admin = new Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect(); await admin.query(`CREATE DATABASE ${name}`);
  const statements: string[] = [];
  let log = false;
  const db = createDb({ url: `postgres://postgres@127.0.0.1:5432/${name}`, logging: (sql) => { if (log) statements.push(sql.slice(0, 150)); } });
  try {
    await migrate(db.sequelize);
    const project = await db.projects.create({ name: 'T', slug: 't' });
    for (let i = 0; i < 50; i++) await db.tour_pages.create({ projectId: project.id, name: `P${i}`, slug: `p-${i}`, ui_schema_json: { b: 1, a: [i] } });
    await db.project_transition_settings.create({ projectId: project.id, environment: 'dev' });
    await db.project_audio_tracks.create({ projectId: project.id, environment: 'dev', name: 'A', volume: 0.5 });
    log = true;
    const first = await publishEnvironment(db, project.id, 'dev', 'stage');
    log = false;
    console.log(statements.length, 'statements'); console.log(statements.join('\n'));
    statements.length = 0; log = true;
    const second = await publishEnvironment(db, project.id, 'dev', 'stage');
    log = false; console.log('second', statements.length, second.pagesCopied);
    const p0 = await db.tour_pages.findOne({ where: { projectId: project.id, environment: 'dev', slug: 'p-0' } });
    await p0!.update({ name: 'changed', slug: 'p-1x' });
    console.log(formatPublishPreview(await previewPublish(db, project.id, 'dev', 'stage')));
    statements.length = 0; log = true;
    const rb = await rollbackPublish(db, second.event.id);
    log = false; console.log('rollback', statements.length, rb.pagesCopied, rb.event.status);
    console.log(await publishStatus(db, project.id).then(s => ({ running: s.running.length, abandoned: s.abandoned.length, latest: s.latest?.title })));
    const [{ n }] = await db.sequelize.query(`SELECT count(*)::int n FROM tour_pages WHERE environment='stage'`, { type: 'SELECT' }) as any;
    console.log('stage pages', n, first.event.status);
  } finally {
    await db.sequelize.close();
    await admin.query(`DROP DATABASE ${name} WITH (FORCE)`); await admin.end();
  }
})().catch((e) => { console.error(e); process.exitCode = 1; });
