import assert from 'node:assert/strict';
import { after, afterEach, before, test } from 'node:test';
import { build, createTestDb } from '@tbp/models/testing';
import request from 'supertest';
import { createApp } from '../app.js';

let db;
let app;
before(async () => {
  db = await createTestDb();
  app = createApp(db);
});
afterEach(() => db.reset());
after(() => db.close());

test('creates a project, adds pages and lists the production ones with the members', async () => {
  const owner = await build.user(db, { email: 'owner@example.com', passwordResetToken: 'secret-token' });
  const created = await request(app).post('/projects').send({ name: 'My Tour', slug: 'my-tour', ownerId: owner.id });
  assert.equal(created.status, 201);
  const projectId = created.body.id;

  for (const [slug, environment] of [
    ['home', 'production'],
    ['draft', 'dev'],
    ['about', 'production'],
  ]) {
    const page = await request(app).post(`/projects/${projectId}/pages`).send({ name: slug, slug, environment });
    assert.equal(page.status, 201);
  }

  const listed = await request(app).get(`/projects/${projectId}/production`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.pages.map((page) => page.slug).sort(), ['about', 'home']);
  assert.equal(listed.body.members.length, 1);
  assert.equal(listed.body.members[0].access, 'owner');
  assert.equal(listed.body.members[0].user.email, 'owner@example.com');
  assert.ok(!JSON.stringify(listed.body).includes('secret-token'));
  assert.ok(!('password' in listed.body.members[0].user));
});

test('bad input is a 400 naming the field; a duplicate slug is a 409', async () => {
  const bad = await request(app).post('/projects').send({ name: 'Tour', slug: 'not a slug' });
  assert.equal(bad.status, 400);
  assert.deepEqual(
    bad.body.fields.map((f) => f.field),
    ['slug'],
  );

  assert.equal((await request(app).post('/projects').send({ name: 'A', slug: 'taken' })).status, 201);
  const duplicate = await request(app).post('/projects').send({ name: 'B', slug: 'taken' });
  assert.equal(duplicate.status, 409);
  assert.deepEqual(duplicate.body.fields, ['slug']);
});

test('each test starts from an empty database', async () => {
  assert.equal(await db.projects.count(), 0);
  const missing = await request(app).get('/projects/00000000-0000-4000-8000-000000000000/production');
  assert.equal(missing.status, 404);
});
