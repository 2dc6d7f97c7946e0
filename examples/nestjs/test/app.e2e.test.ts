import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { User } from '@tbp/models';
import request from 'supertest';
import { AppModule } from '../src/app.module';

let app: INestApplication;

before(async () => {
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app = moduleRef.createNestApplication();
  await app.init();
});
after(() => app.close());

test('creates a project, adds pages and lists the production ones with the members', async () => {
  // SequelizeModule registers the exported classes themselves on its instance: User is ready to use.
  const owner = await User.create({
    email: 'owner@example.com',
    password: 'owner password',
    passwordResetToken: 'secret-token',
  });
  const created = await request(app.getHttpServer())
    .post('/projects')
    .send({ name: 'My Tour', slug: 'my-tour', ownerId: owner.id });
  assert.equal(created.status, 201);
  const projectId = created.body.id;

  for (const [slug, environment] of [
    ['home', 'production'],
    ['draft', 'dev'],
    ['about', 'production'],
  ]) {
    const page = await request(app.getHttpServer())
      .post(`/projects/${projectId}/pages`)
      .send({ name: slug, slug, environment });
    assert.equal(page.status, 201);
  }

  const listed = await request(app.getHttpServer()).get(`/projects/${projectId}/production`);
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.pages.map((page: { slug: string }) => page.slug).sort(), ['about', 'home']);
  assert.equal(listed.body.members[0].access, 'owner');
  assert.equal(listed.body.members[0].user.email, 'owner@example.com');
  assert.ok(!JSON.stringify(listed.body).includes('secret-token'));
});

test('bad input is a 400 naming the field; a duplicate slug is a 409; a missing project a 404', async () => {
  const server = app.getHttpServer();
  const bad = await request(server).post('/projects').send({ name: 'Tour', slug: 'not a slug' });
  assert.equal(bad.status, 400);
  assert.deepEqual(
    bad.body.fields.map((f: { field: string }) => f.field),
    ['slug'],
  );
  assert.equal((await request(server).post('/projects').send({ name: 'A', slug: 'taken' })).status, 201);
  const duplicate = await request(server).post('/projects').send({ name: 'B', slug: 'taken' });
  assert.equal(duplicate.status, 409);
  const missing = await request(server).get('/projects/00000000-0000-4000-8000-000000000000/production');
  assert.equal(missing.status, 404);
});
