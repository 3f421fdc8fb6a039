/** Plain online SGD on the stream: one step per example, nothing else carried but the weights. */
import type { ByteItem, Frozen, InspectableLearner } from '../learner';
import { arrayBytes } from '../learner';
import { assign, checkImage, checkLabel } from './common';
import type { SgdModel } from './sgd-model';

export class SgdLearner implements InspectableLearner {
  private steps = 0;

  constructor(readonly model: SgdModel) {}

  learn(image: Uint8Array, label: number): void {
    checkImage(image, this.model.pixels);
    checkLabel(label, this.model.numClasses);
    this.model.step(image, 0, label);
    this.steps++;
  }

  freeze(): Frozen {
    return frozenModel(this.model);
  }

  learnFlops(): number {
    return this.steps * this.model.stepFlops;
  }

  stateArrays(): Record<string, ArrayBufferView> {
    return this.model.params();
  }

  loadState(a: Record<string, ArrayBufferView>): void {
    for (const [k, v] of Object.entries(this.model.params())) assign(v, a[k], k);
  }

  stateBytes(): ByteItem[] {
    return arrayBytes(this.stateArrays());
  }

  algorithmBytes(): ByteItem[] {
    return this.model.algorithmBytes();
  }
}

/** Predictor over a model's current weights (valid until the next learn call). */
export function frozenModel(model: SgdModel): Frozen {
  const d = model.pixels;
  return {
    flops: 0,
    predictor: {
      flopsPerImage: model.predictFlops,
      predict(images: Uint8Array, count: number): Uint8Array {
        const out = new Uint8Array(count);
        for (let k = 0; k < count; k++) out[k] = model.predictOne(images, k * d);
        return out;
      },
    },
  };
}
