/** Prints the adapter that acquireGpu() picks, its features and limits. `npm run adapter`. */
import { acquireGpu } from '../gpu/acquire';
import { cliArgs, defineCommand } from './args';

cliArgs(
  defineCommand({
    name: 'adapter',
    description:
      'Prints the WebGPU adapter the other commands use ($VSML_ADAPTER: auto, hardware, lavapipe or swiftshader; ' +
      '$VSML_LAVAPIPE_ICD: a private lavapipe manifest), its driver (source: hardware, lavapipe or swiftshader), features and limits, as JSON.',
    options: {},
  }),
);
const gpu = await acquireGpu();
try {
  console.log(JSON.stringify(gpu.report, null, 2));
  console.log(`adapter: ${gpu.describe()}`);
} finally {
  gpu.destroy();
}
