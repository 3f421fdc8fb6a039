/** `npm start`: placeholder main job until the trainer lands: adapter report and dataset summary. */
import { acquireGpu } from '../gpu/acquire';
import { loadDataset } from '../data/load-node';
import { classSortedOrder } from '../data/dataset';

const gpu = await acquireGpu();
try {
  console.log(`adapter: ${gpu.describe()}`);
  const ds = await loadDataset(process.argv[2] ?? 'mnist');
  for (const split of [ds.train, ds.test]) {
    const counts = new Array(split.numClasses).fill(0);
    for (const l of split.labels) counts[l]++;
    const order = classSortedOrder(split.labels, split.numClasses);
    console.log(`${split.name}: ${split.count} images ${split.rows}x${split.cols}, per class [${counts.join(', ')}], ordered stream starts with class ${split.labels[order[0]]} and ends with ${split.labels[order[order.length - 1]]}`);
  }
} finally {
  gpu.destroy();
}
