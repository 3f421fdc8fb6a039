/** Prints the adapter that acquireGpu() picks, its features and limits. `npm run adapter`. */
import { getPriority } from 'node:os';
import { acquireGpu } from '../gpu/acquire';
import { cliArgs, defineCommand } from './args';

cliArgs(
  defineCommand({
    name: 'adapter',
    description:
      'Prints the WebGPU adapter the other commands use ($VSML_ADAPTER: auto, hardware, lavapipe or swiftshader; ' +
      '$VSML_LAVAPIPE_ICD: a private lavapipe manifest), its driver (source: hardware, lavapipe or swiftshader), features and limits, as JSON; ' +
      "then the main thread's nice value before and after (raised to 19 on CPU adapters so the driver's threads get the cores; $VSML_MAIN_NICE: 0-19, 0 leaves it).",
    options: {},
  }),
);
const niceBefore = getPriority();
const gpu = await acquireGpu();
try {
  console.log(JSON.stringify(gpu.report, null, 2));
  console.log(`adapter: ${gpu.describe()}`);
  console.log(`main thread nice: ${niceBefore} -> ${getPriority()}`);
} finally {
  gpu.destroy();
}
