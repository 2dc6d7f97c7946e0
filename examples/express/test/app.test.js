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

/** A request as `userId` (the `x-user-id` header stands in for real authentication). */
const as = (userId) => ({
  get: (path) => request(app).get(path).set('x-user-id', userId),
  post: (path) => request(app).post(path).set('x-user-id', userId),
});

test('an owner creates a project and dev pages, saves to stage, publishes; the actor is recorded', async () => {
  const owner = await build.user(db, { email: 'owner@example.com', passwordResetToken: 'secret-token' });
  const created = await as(owner.id).post('/projects').send({ name: 'My Tour', slug: 'my-tour' });
  assert.equal(created.status, 201);
  assert.equal(created.body.createdById, owner.id);
  const projectId = created.body.id;

  for (const slug of ['home', 'about']) {
    const page = await as(owner.id).post(`/projects/${projectId}/pages`).send({ name: slug, slug });
    assert.equal(page.status, 201);
    assert.deepEqual([page.body.createdById, page.body.updatedById], [owner.id, owner.id]);
  }
  assert.equal((await as(owner.id).post(`/projects/${projectId}/save-to-stage`)).status, 201);
  const published = await as(owner.id).post(`/projects/${projectId}/publish`);
  assert.deepEqual([published.status, published.body.pagesCopied], [201, 2]);

  const listed = await as(owner.id).get(`/projects/${projectId}/production`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.pages.map((page) => page.slug).sort(), ['about', 'home']);
  assert.equal(listed.body.members.length, 1);
  assert.equal(listed.body.members[0].access, 'owner');
  assert.equal(listed.body.members[0].user.email, 'owner@example.com');
  assert.ok(!JSON.stringify(listed.body).includes('secret-token'));
  assert.ok(!('password' in listed.body.members[0].user));
});

test('the guard refuses with D9’s reason: 403 for members below the level, 401 for anonymous', async () => {
  const owner = await build.user(db);
  const viewer = await build.user(db);
  const editor = await build.user(db);
  const project = await build.project(db);
  for (const [user, access_level] of [
    [owner, 'owner'],
    [viewer, 'viewer'],
    [editor, 'editor'],
  ]) {
    await build.projectMembership(db, { projectId: project.id, userId: user.id, access_level, is_active: true });
  }

  const byViewer = await as(viewer.id).post(`/projects/${project.id}/pages`).send({ name: 'X', slug: 'x' });
  assert.equal(byViewer.status, 403);
  assert.deepEqual(byViewer.body, {
    error: 'forbidden',
    rule: 'level-too-low',
    reason: 'CREATE on tour_pages needs editor access or higher; the user has viewer access',
  });

  const inProduction = await as(editor.id)
    .post(`/projects/${project.id}/pages`)
    .send({ name: 'X', slug: 'x', environment: 'production' });
  assert.deepEqual([inProduction.status, inProduction.body.rule], [403, 'environment']);

  const publishByEditor = await as(editor.id).post(`/projects/${project.id}/publish`);
  assert.deepEqual([publishByEditor.status, publishByEditor.body.rule], [403, 'level-too-low']);
  assert.equal((await as(editor.id).post(`/projects/${project.id}/save-to-stage`)).status, 201);

  const anonymous = await request(app).get(`/projects/${project.id}/production`);
  assert.deepEqual([anonymous.status, anonymous.body.rule], [401, 'anonymous']);
  const outsider = await build.user(db);
  const notMember = await as(outsider.id).get(`/projects/${project.id}/production`);
  assert.deepEqual([notMember.status, notMember.body.rule], [403, 'not-a-member']);
  assert.equal((await as(viewer.id).get(`/projects/${project.id}/production`)).status, 200);
});

test('a presentation shows each visitor what D9 lets them see; a private one is a 404 to outsiders', async () => {
  const member = await build.user(db);
  const outsider = await build.user(db);
  const open = await build.project(db, { production_presentation_visibility: 'public' });
  const closed = await build.project(db, { production_presentation_visibility: 'private' });
  await build.projectMembership(db, {
    projectId: closed.id,
    userId: member.id,
    access_level: 'viewer',
    is_active: true,
  });
  for (const project of [open, closed]) {
    await build.tourPage(db, { projectId: project.id, environment: 'production', slug: 'intro', sort_order: 1 });
    await build.tourPage(db, {
      projectId: project.id,
      environment: 'production',
      slug: 'members',
      sort_order: 2,
      requires_auth: true,
    });
  }
  const slugsOf = (response) => response.body.pages.map((page) => page.slug);

  const anonymous = await request(app).get(`/presentations/${open.id}`).set('user-agent', 'test-agent');
  assert.deepEqual([anonymous.status, slugsOf(anonymous)], [200, ['intro']]);
  assert.deepEqual(slugsOf(await as(outsider.id).get(`/presentations/${open.id}`)), ['intro', 'members']);

  assert.deepEqual(slugsOf(await as(member.id).get(`/presentations/${closed.id}`)), ['intro', 'members']);
  const hidden = await as(outsider.id).get(`/presentations/${closed.id}`);
  const missing = await as(outsider.id).get('/presentations/00000000-0000-4000-8000-000000000000');
  assert.deepEqual([hidden.status, hidden.body], [404, { error: 'no such presentation' }]);
  assert.deepEqual([missing.status, missing.body], [hidden.status, hidden.body]);
  assert.equal((await request(app).get(`/presentations/${closed.id}`)).status, 404);

  // Each view that showed something is in the access log, with who, from where and with what.
  assert.equal(await db.access_logs.count(), 3);
  const byAnonymous = await db.access_logs.findOne({ where: { userId: null } });
  assert.deepEqual(
    [byAnonymous.environment, byAnonymous.path, byAnonymous.projectId, byAnonymous.user_agent],
    ['production', `/presentations/${open.id}`, open.id, 'test-agent'],
  );
  assert.ok(byAnonymous.ip_address.includes('127.0.0.1') || byAnonymous.ip_address === '::1');
  const byMember = await db.access_logs.findOne({ where: { userId: member.id } });
  assert.deepEqual([byMember.projectId, byMember.createdById], [closed.id, member.id]);
});

test('bad input is a 400 naming the field; a duplicate slug is a 409; a bad user id a 400', async () => {
  const owner = await build.user(db);
  const bad = await as(owner.id).post('/projects').send({ name: 'Tour', slug: 'not a slug' });
  assert.equal(bad.status, 400);
  assert.deepEqual(
    bad.body.fields.map((f) => f.field),
    ['slug'],
  );

  assert.equal((await as(owner.id).post('/projects').send({ name: 'A', slug: 'taken' })).status, 201);
  const duplicate = await as(owner.id).post('/projects').send({ name: 'B', slug: 'taken' });
  assert.equal(duplicate.status, 409);
  assert.deepEqual(duplicate.body.fields, ['slug']);

  const notAnId = await as('alice').post('/projects').send({ name: 'C', slug: 'c' });
  assert.deepEqual([notAnId.status, notAnId.body.error], [400, 'userId must be a UUID, got "alice"']);
});

test('each test starts from an empty database', async () => {
  assert.equal(await db.projects.count(), 0);
  const missing = await request(app).get('/presentations/00000000-0000-4000-8000-000000000000');
  assert.equal(missing.status, 404);
});
