/**
 * Node module hooks: `import text from './x.wgsl?raw'` gives the file's text, as Vite and Vitest
 * do. Registered by ./register-raw.mjs, which every Node entry point loads first
 * (`tsx --import ./src/node/register-raw.mjs ...`: see package.json).
 */
import { readFile } from 'node:fs/promises';

export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('?raw')) {
    const file = new URL(url);
    file.search = '';
    return {
      format: 'module',
      source: `export default ${JSON.stringify(await readFile(file, 'utf8'))};`,
      shortCircuit: true,
    };
  }
  return nextLoad(url, context);
}
