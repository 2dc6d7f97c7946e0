import { readFileSync } from 'node:fs';
import { README, withDiagram } from '../../scripts/readme-erd';
import { erDiagram } from '../../src/schema/erd';

test('the README’s entity-relationship diagram matches the models (npm run readme:erd)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(readme).toBe(withDiagram(readme, erDiagram()));
});
