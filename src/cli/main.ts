/**
 * `npm start`: the main job, meta-training with the embedded defaults (a SwiftShader-sized run
 * that shows learning within minutes; `--preset vsml` for the paper-sized run on a GPU). Takes the
 * same options as `npm run train` (see --help).
 */
import { trainMain } from './train';

process.exitCode = await trainMain(process.argv.slice(2), 'start');
