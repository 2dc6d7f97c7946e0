// The README's unit-test sample, verbatim (scripts/readme-samples.cjs checks that it stays so).
import { build, createTestDb, type TestDb } from '@tbp/models/testing';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb(); // pg-mem, migrated to the current schema
}, 30_000); // setting up a database takes longer than jest's 5 s default on a busy machine
afterEach(() => db.reset()); // back to empty in microseconds
afterAll(() => db.close());

test('a page belongs to a project', async () => {
  const page = await build.tourPage(db); // creates the project it needs
  const projects = await db.projects.findAll({ include: ['tour_pages_project'] });
  expect(projects.map((project) => project.tour_pages_project?.map(({ id }) => id))).toEqual([[page.id]]);
});
