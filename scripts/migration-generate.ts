/**
 * `npm run migration:generate -- <name>`: writes src/migrations/NNNN-<name>.ts
 * from the difference between the models and the schema the migrations of
 * src/migrations/list.ts make. Works in scratch namespaces of the database at
 * DATABASE_URL (default: the local server's `postgres` database), which it
 * leaves as it found it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createDb } from '../src/db/create-db';
import { generateMigration, nextNumber } from '../src/migrations/generate';
import { MIGRATIONS } from '../src/migrations/list';

const FOLDER = join(__dirname, '../src/migrations');

async function main(words: string[]): Promise<number> {
  const [name, ...rest] = words;
  if (!name || rest.length > 0 || !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(name)) {
    process.stderr.write('usage: npm run migration:generate -- <name-in-kebab-case>\n');
    return 2;
  }
  const taken = [...MIGRATIONS.map((migration) => migration.name), ...readdirSync(FOLDER)];
  const fullName = `${nextNumber(taken)}-${name}`;
  const file = join(FOLDER, `${fullName}.ts`);
  if (existsSync(file)) throw new Error(`${file} exists already`);
  const url = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  const db = createDb({ url, logging: false });
  try {
    const { source, constant } = await generateMigration(db.sequelize, { name: fullName });
    if (!source) {
      process.stdout.write('The models and the migrations agree: nothing to generate.\n');
      return 0;
    }
    writeFileSync(file, source, { flag: 'wx' });
    // In the repository's format, so that `npm test`'s lint passes on the file as written.
    spawnSync(join(__dirname, '../node_modules/.bin/biome'), ['format', '--write', file], { stdio: 'ignore' });
    process.stdout.write(
      `wrote ${relative(process.cwd(), file)}: read it, then add it to MIGRATIONS in src/migrations/list.ts\n` +
        `  import { ${constant} } from './${fullName}';\n`,
    );
    return 0;
  } finally {
    await db.sequelize.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`migration:generate: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
