// `node --import ./src/node/register-raw.mjs` (or `tsx --import ...`): `?raw` imports in Node. See raw-hooks.mjs.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
