// The framework as a library: a task set and a learner, a few generations of OpenAI-ES, then the
// evolved learner on a class-sorted stream. Run: npx tsx --import vsml-webgpu/register examples/library.ts
import {
  acquireGpu,
  deployLearner,
  evaluateOrdered,
  loadDataset,
  subsetSplit,
  Trainer,
  trainLoop,
  validateTrainConfig,
} from 'vsml-webgpu/node';

const gpu = await acquireGpu();
const mnist = await loadDataset('mnist');
// 2-way class-sorted episodes of 20 examples; VSML on 8 projected inputs -> 2 outputs, H 8, M 4.
const config = validateTrainConfig({
  generations: 3,
  learner: { projection: true, layers: [8, 2], hidden: 8, message: 4 },
  tasks: { minClasses: 2, maxClasses: 2, learnLength: 20, queryLength: 20, tasksPerMember: 4 },
  strategy: { kind: 'openai-es', pairs: 8, sigma: 0.1, lr: 0.2 },
});
const trainer = Trainer.create(gpu, config, subsetSplit(mnist.train, 6000));
await trainLoop(trainer, {
  onGeneration: (m) => console.log(`generation ${m.generation}: query accuracy ${m.queryAccuracy.mean.toFixed(3)}`),
});
// Benchmark it: 1,000 training images sorted by class, then 500 test images, the state frozen.
const data = { train: subsetSplit(mnist.train, 1000), test: subsetSplit(mnist.test, 500) };
const r = await evaluateOrdered(gpu, deployLearner(config, 784, 10), trainer.metaParams(), data);
console.log(
  `OrderedMNIST (1,000 + 500): ${(100 * r.accuracy).toFixed(1)}%, ${r.flops.toExponential(2)} FLOPs, ${r.stateBytes} B of state`,
);
gpu.destroy();
