import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The rule of ARCHITECTURE.md: a layer imports only from layers below it (and
 * itself). Type-only imports count too: a type pulled from a higher layer is
 * still a dependency pointing the wrong way.
 */
const LAYERS: Record<string, number> = {
  auth: 0,
  memory: 0,
  models: 1,
  db: 2,
  schema: 3,
  migrations: 3,
  access: 4,
  content: 4,
  testing: 5,
  cli: 5,
  'index.ts': 6,
};

const src = resolve(__dirname, '../../src');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

const layerOf = (file: string): string => relative(src, file).split('/')[0] as string;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*)['"](\.{1,2}\/[^'"]*|\.{1,2})['"]/g)];
  return specifiers.map((match) => resolve(dirname(file), match[1] as string));
}

describe('the layers of src/', () => {
  const files = filesUnder(src);

  it('puts every file in a known layer', () => {
    expect(files.map(layerOf).filter((layer) => !(layer in LAYERS))).toEqual([]);
  });

  it.each(files.map((file) => [relative(src, file), file]))('%s imports only from its layer or below', (_, file) => {
    const own = LAYERS[layerOf(file)] as number;
    const upward = importsOf(file)
      .map((target) => layerOf(target))
      .filter((layer) => layer !== layerOf(file) && (LAYERS[layer] ?? LAYERS[`${layer}.ts`] ?? 99) >= own);
    expect(upward).toEqual([]);
  });
});
