import { type CliIo, main } from '../../src/cli';
import { MIGRATIONS } from '../../src/migrations/list';
import { scratchDatabases } from '../support/scratch-databases';
import { urlOf, workerDatabase } from '../support/server';

const databases = scratchDatabases();
afterAll(() => databases.dropAll());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (text) => out.push(text), err: (text) => err.push(text), interactive: false, env: {} };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

test('demo runs twice in a row against PostgreSQL, the second time updating rather than duplicating', async () => {
  await databases.open('demo');
  const url = urlOf(`${workerDatabase()}_demo`);
  const first = capture();
  expect(await main(['demo', '--url', url], first.io)).toBe(0);
  expect(first.err()).toBe('');
  const second = capture();
  expect(await main(['demo', '--url', url], second.io)).toBe(0);
  const tables = (text: string) => text.slice(0, text.indexOf('publish events'));
  expect(tables(second.out())).toEqual(tables(first.out()));
  expect(second.out().match(/success/g)).toHaveLength(4);

  const status = capture();
  expect(await main(['status', '--url', url], status.io)).toBe(0);
  expect(status.out()).toBe(MIGRATIONS.map((migration) => `up       ${migration.name}\n`).join(''));
  const rollback = capture();
  expect(await main(['rollback', '--all', '--url', url], rollback.io)).toBe(0);
  const reverted = MIGRATIONS.map((migration) => migration.name).reverse();
  expect(rollback.out()).toBe(`reverted: ${reverted.join(', ')}\n`);
});
