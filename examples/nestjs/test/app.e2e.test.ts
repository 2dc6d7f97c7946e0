import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AccessLog, ProjectMembership, PublishEvent, TourPage, User } from '@tbp/models';
import request from 'supertest';
import { AppModule } from '../src/app.module';

let app: INestApplication;

before(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication();
  await app.init();
});
after(() => app.close());

let n = 0;
/** A user, created through the exported class (SequelizeModule registers the classes themselves). */
async function user(extra: Partial<{ passwordResetToken: string }> = {}): Promise<User> {
  n += 1;
  return User.create({ email: `user${n}@example.com`, password: 'a long enough password', ...extra });
}

/** A request as `userId` (the `x-user-id` header stands in for real authentication). */
const as = (userId: string) => ({
  get: (path: string) => request(app.getHttpServer()).get(path).set('x-user-id', userId),
  post: (path: string) => request(app.getHttpServer()).post(path).set('x-user-id', userId),
});

async function member(projectId: string, userId: string, access_level: 'owner' | 'editor' | 'reviewer' | 'viewer') {
  await ProjectMembership.create({ projectId, userId, access_level, is_active: true });
}

test('an owner creates a project and pages; the interceptor records the actor on every write', async () => {
  const owner = await user({ passwordResetToken: 'secret-token' });
  const created = await as(owner.id).post('/projects').send({ name: 'My Tour', slug: 'my-tour' });
  assert.equal(created.status, 201);
  assert.equal(created.body.createdById, owner.id);
  const projectId = created.body.id;

  const page = await as(owner.id).post(`/projects/${projectId}/pages`).send({ name: 'Home', slug: 'home' });
  assert.equal(page.status, 201);
  assert.deepEqual([page.body.createdById, page.body.updatedById], [owner.id, owner.id]);
  const membership = await ProjectMembership.findOne({ where: { projectId } });
  assert.equal(membership?.createdById, owner.id);

  const listed = await as(owner.id).get(`/projects/${projectId}/production`);
  assert.equal(listed.status, 200);
  assert.equal(listed.body.members[0].access, 'owner');
  assert.ok(!JSON.stringify(listed.body).includes('secret-token'));
});

test('the guard refuses with D9’s reason: 403 below the level or outside dev, 401 for anonymous', async () => {
  const [owner, viewer, reviewer] = [await user(), await user(), await user()];
  const created = await as(owner.id).post('/projects').send({ name: 'Guarded', slug: 'guarded' });
  const projectId: string = created.body.id;
  await member(projectId, viewer.id, 'viewer');
  await member(projectId, reviewer.id, 'reviewer');

  const byViewer = await as(viewer.id).post(`/projects/${projectId}/pages`).send({ name: 'X', slug: 'x' });
  assert.equal(byViewer.status, 403);
  assert.equal(byViewer.body.rule, 'level-too-low');
  assert.equal(byViewer.body.reason, 'CREATE on tour_pages needs editor access or higher; the user has viewer access');

  const inProduction = await as(owner.id)
    .post(`/projects/${projectId}/pages`)
    .send({ name: 'X', slug: 'x', environment: 'production' });
  assert.deepEqual([inProduction.status, inProduction.body.rule], [403, 'environment']);

  await PublishEvent.create({ projectId, from_environment: 'dev', to_environment: 'stage', title: 'Save to stage' });
  const history = await as(reviewer.id).get(`/projects/${projectId}/publish-history`);
  assert.deepEqual([history.status, history.body.length], [200, 1]);
  const notForViewers = await as(viewer.id).get(`/projects/${projectId}/publish-history`);
  assert.deepEqual([notForViewers.status, notForViewers.body.rule], [403, 'level-too-low']);

  const anonymous = await request(app.getHttpServer()).get(`/projects/${projectId}/production`);
  assert.deepEqual([anonymous.status, anonymous.body.rule], [401, 'anonymous']);
  const outsider = await user();
  const notMember = await as(outsider.id).get(`/projects/${projectId}/production`);
  assert.deepEqual([notMember.status, notMember.body.rule], [403, 'not-a-member']);
});

test('a presentation shows each visitor what D9 lets them see; a private one is a 404 to outsiders', async () => {
  const [owner, outsider] = [await user(), await user()];
  const open = (await as(owner.id).post('/projects').send({ name: 'Open', slug: 'open', visibility: 'public' })).body;
  const closed = (await as(owner.id).post('/projects').send({ name: 'Shut', slug: 'shut', visibility: 'private' }))
    .body;
  for (const project of [open, closed]) {
    await TourPage.create({ projectId: project.id, environment: 'production', name: 'Intro', slug: 'intro' });
    await TourPage.create({
      projectId: project.id,
      environment: 'production',
      name: 'Members',
      slug: 'members',
      sort_order: 1,
      requires_auth: true,
    });
  }
  const slugsOf = (response: request.Response) => response.body.pages.map((page: { slug: string }) => page.slug);
  const server = app.getHttpServer();

  const anonymous = await request(server).get(`/presentations/${open.id}`);
  assert.deepEqual([anonymous.status, slugsOf(anonymous)], [200, ['intro']]);
  assert.deepEqual(slugsOf(await as(outsider.id).get(`/presentations/${open.id}`)), ['intro', 'members']);
  assert.deepEqual(slugsOf(await as(owner.id).get(`/presentations/${closed.id}`)), ['intro', 'members']);

  const hidden = await as(outsider.id).get(`/presentations/${closed.id}`);
  const missing = await as(outsider.id).get('/presentations/00000000-0000-4000-8000-000000000000');
  assert.equal(hidden.status, 404);
  assert.deepEqual([missing.status, missing.body.message], [404, hidden.body.message]);
  assert.equal((await request(server).get(`/presentations/${closed.id}`)).status, 404);

  const views = await AccessLog.findAll({ where: { projectId: closed.id } });
  assert.deepEqual(
    views.map((log) => [log.environment, log.userId, log.path]),
    [['production', owner.id, `/presentations/${closed.id}`]],
  );
});

test('bad input is a 400 naming the field; a duplicate slug is a 409; a bad user id a 400', async () => {
  const owner = await user();
  const bad = await as(owner.id).post('/projects').send({ name: 'Tour', slug: 'not a slug' });
  assert.equal(bad.status, 400);
  assert.deepEqual(
    bad.body.fields.map((f: { field: string }) => f.field),
    ['slug'],
  );
  assert.equal((await as(owner.id).post('/projects').send({ name: 'A', slug: 'taken' })).status, 201);
  const duplicate = await as(owner.id).post('/projects').send({ name: 'B', slug: 'taken' });
  assert.equal(duplicate.status, 409);
  const notAnId = await as('alice').post('/projects').send({ name: 'C', slug: 'c' });
  assert.deepEqual([notAnId.status, notAnId.body.message], [400, 'userId must be a UUID, got "alice"']);
});
