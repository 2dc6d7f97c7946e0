import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

test('node server.js creates the schema, answers in JSON, and ends on SIGTERM', async () => {
  const server = spawn(process.execPath, [fileURLToPath(new URL('../server.js', import.meta.url))], {
    env: { ...process.env, NODE_ENV: 'test', PORT: '0', DATABASE_URL: '' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let output = '';
    const url = await new Promise((resolve, reject) => {
      server.stdout.on('data', (chunk) => {
        output += chunk;
        const match = /listening on (\S+)/.exec(output);
        if (match) resolve(match[1]);
      });
      server.on('exit', (code) => reject(new Error(`server.js exited with ${code} before listening`)));
    });

    // The schema is there: the first request reaches the tables (a 404 of the app, not a 500 of a missing relation).
    const missing = await fetch(`${url}/presentations/6d5e0e4c-0b1a-4c7e-9a52-8f7f1f3d2c11`);
    assert.deepEqual([missing.status, await missing.json()], [404, { error: 'no such presentation' }]);

    const notAnId = await fetch(`${url}/projects/not-a-uuid/production`);
    assert.deepEqual([notAnId.status, await notAnId.json()], [404, { error: 'no such project' }]);

    const badBody = await fetch(`${url}/projects`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{ not json',
    });
    assert.deepEqual([badBody.status, await badBody.json()], [400, { error: 'the body is not JSON' }]);
  } finally {
    server.kill('SIGTERM');
  }
  const [code] = await once(server, 'exit');
  assert.equal(code, 0);
});
