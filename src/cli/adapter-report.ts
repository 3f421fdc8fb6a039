/** Prints the adapter that acquireGpu() picks, its features and limits. `npm run adapter`. */
import { acquireGpu } from '../gpu/acquire';

const gpu = await acquireGpu();
try {
  console.log(JSON.stringify(gpu.report, null, 2));
  console.log(`adapter: ${gpu.describe()}`);
} finally {
  gpu.destroy();
}
