import { readFileSync } from 'node:fs';
import { README, withDiagram } from '../../scripts/readme-erd';
import { main } from '../../src/cli';
import { erDiagram } from '../../src/schema/erd';

test('the README’s entity-relationship diagram matches the models (npm run readme:erd)', () => {
  const readme = readFileSync(README, 'utf8');
  expect(readme).toBe(withDiagram(readme, erDiagram()));
});

test("the README's command list is what `tbp-models help` prints", async () => {
  const readme = readFileSync(README, 'utf8');
  const section = readme.slice(readme.indexOf('## The `tbp-models` command'));
  const block = /```\n([\s\S]*?)```/.exec(section)?.[1];
  let printed = '';
  await main(['help'], { out: (text) => (printed += text), err: () => undefined, interactive: false, env: {} });
  expect(block).toBe(printed);
});
