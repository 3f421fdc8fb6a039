/**
 * Evolving the hidden-layer learner's meta-parameters (src/spec/hidden-config.ts) with OpenAI-ES
 * (src/meta/strategies/openai-es.ts), from the hand-designed k-means rule
 * (src/inner/rules/hidden-kmeans.ts), on the TRAIN split only.
 *
 * Fitness of a member = query accuracy of a GPU learner (HiddenPopulation: every member and the
 * centre in one population) that learns a class-sorted stream drawn from the validation split's
 * stream part (`perClass` random examples of every class, kept in file order, drawn afresh every
 * generation from (seed, generation)) and answers `queries` random held-out images with its state
 * frozen. All members of a generation see the same stream and queries (common random numbers).
 * The state is plain data (ES state, history, best centre), written after every generation, so a
 * run resumes bit for bit on the same adapter.
 */
import type { ImageSplit } from '../data/dataset';
import { indicesByClass } from '../data/dataset';
import type { GpuImageSplit } from '../data/gpu-dataset';
import type { GpuContext } from '../gpu/context';
import { HiddenPopulation, hiddenInitialW } from '../inner/hidden-population';
import { hiddenKMeansParams } from '../inner/rules/hidden-kmeans';
import { PhiloxStream, RNG_DOMAIN } from '../rng/philox';
import { buildMember, cpuNoiseBackend } from '../rng/noise';
import { type HiddenConfig, hiddenParamRecord, type HiddenParamName } from '../spec/hidden-config';
import { describeJsonError, nonFiniteInState } from './finite';
import { parseState } from './serialize';
import { OPENAI_ES_DEFAULTS, initOpenAiEs, openAiEs, type OpenAiEsState } from './strategies/openai-es';

export interface HiddenEsConfig {
  dataset: string;
  /** The learner evolved (the same meta-parameters deploy at any H: every cell shares them). */
  learner: HiddenConfig;
  seed: number;
  generations: number;
  pairs: number;
  sigma: number;
  lr: number;
  /** Stream examples per class per episode. */
  perClass: number;
  /** Held-out queries per episode. */
  queries: number;
}

export const HIDDEN_ES_DEFAULTS: Omit<HiddenEsConfig, 'learner'> = {
  dataset: 'mnist',
  seed: 1,
  generations: 40,
  pairs: 8,
  sigma: 0.05,
  lr: 0.02,
  perClass: 100,
  queries: 1000,
};

export interface HiddenEsRecord {
  generation: number;
  /** Accuracy of the unperturbed centre, of the members (mean, max). */
  centre: number;
  mean: number;
  max: number;
  ms: number;
}

export interface HiddenEsState {
  config: HiddenEsConfig;
  es: OpenAiEsState;
  history: HiddenEsRecord[];
  /** The best centre so far by its generation's accuracy (the designed start is generation 0's centre). */
  best: { generation: number; accuracy: number; params: Float32Array };
  elapsedMs: number;
}

export function initHiddenEs(config: HiddenEsConfig): HiddenEsState {
  const theta = hiddenKMeansParams();
  return {
    config,
    es: initOpenAiEs(
      { ...OPENAI_ES_DEFAULTS, pairs: config.pairs, sigma: config.sigma, lr: config.lr },
      theta,
      config.seed,
    ),
    history: [],
    best: { generation: -1, accuracy: -1, params: Float32Array.from(theta) },
    elapsedMs: 0,
  };
}

export function parseHiddenEsState(text: string, source: string): HiddenEsState {
  let s: HiddenEsState;
  try {
    s = parseState<HiddenEsState>(text);
  } catch (e) {
    throw new Error(`${source}: ${describeJsonError(text, e)}`, { cause: e });
  }
  const bad = nonFiniteInState(s);
  if (bad) throw new Error(`${source}: ${bad}`);
  if (!s.es || s.es.kind !== 'openai-es' || !s.config?.learner)
    throw new Error(`${source}: not an evolve:hidden state`);
  return s;
}

/** The validation data on the GPU: the stream part's indices by class, the held-out part. */
export interface HiddenEsData {
  stream: GpuImageSplit;
  queries: GpuImageSplit;
  byClass: Uint32Array[];
}

export function hiddenEsData(
  gpu: GpuContext,
  split: { stream: ImageSplit; queries: ImageSplit },
  upload: (gpu: GpuContext, s: ImageSplit) => GpuImageSplit,
): HiddenEsData {
  return {
    stream: upload(gpu, split.stream),
    queries: upload(gpu, split.queries),
    byClass: indicesByClass(split.stream.labels, split.stream.numClasses),
  };
}

/** Generation t's episode: per class `perClass` stream examples in file order (classes in order), and queries. */
export function hiddenEsEpisode(
  c: HiddenEsConfig,
  data: HiddenEsData,
  generation: number,
): { learn: Uint32Array; queries: Uint32Array } {
  const rng = new PhiloxStream(c.seed, RNG_DOMAIN.taskSampling, generation, 0x41dd);
  const learn: number[] = [];
  for (const pool of data.byClass) {
    if (pool.length < c.perClass)
      throw new Error(`evolve:hidden: a class has ${pool.length} stream examples, fewer than ${c.perClass}`);
    const shuffled = Uint32Array.from(pool);
    rng.shuffle(shuffled);
    const pick = shuffled.subarray(0, c.perClass).sort();
    learn.push(...pick);
  }
  const queries = Uint32Array.from({ length: c.queries }, () => rng.int(data.queries.count));
  return { learn: Uint32Array.from(learn), queries };
}

/** Accuracies of `params` rows (each D floats) on one episode, every row one learner. */
export async function hiddenAccuracies(
  gpu: GpuContext,
  learner: HiddenConfig,
  data: HiddenEsData,
  rows: Float32Array[],
  episode: { learn: Uint32Array; queries: Uint32Array },
  stateSeed: number,
  initialW?: Float32Array,
): Promise<{ accuracy: number[]; initialW: Float32Array }> {
  const L = rows.length;
  const seeds = new Uint32Array(L).fill(stateSeed);
  const init = initialW ?? hiddenInitialW(learner, seeds);
  const n = episode.learn.length;
  const q = episode.queries.length;
  const params = new Float32Array(rows.reduce((s, r) => s + r.length, 0));
  rows.forEach((r, i) => params.set(r, i * r.length));
  const res = await new HiddenPopulation(gpu, learner, L, 1).run(
    params,
    {
      learnSplit: data.stream,
      querySplit: data.queries,
      learnLength: n,
      queryLength: q,
      learnIndices: Uint32Array.from({ length: L * n }, (_, i) => episode.learn[i % n]),
      queryIndices: Uint32Array.from({ length: L * q }, (_, i) => episode.queries[i % q]),
      stateSeeds: seeds,
    },
    { initialW: init, stepsPerSubmit: 128 },
  );
  const accuracy = rows.map((_, l) => {
    let right = 0;
    for (let j = 0; j < q; j++) if (res.predictions[l * q + j] === data.queries.labels[episode.queries[j]]) right++;
    return right / q;
  });
  return { accuracy, initialW: init };
}

/** One ES generation: ask, evaluate every member and the centre on the GPU, tell. */
export async function hiddenEsGeneration(
  gpu: GpuContext,
  data: HiddenEsData,
  state: HiddenEsState,
  initialW?: Float32Array,
): Promise<{ state: HiddenEsState; initialW: Float32Array }> {
  const t0 = performance.now();
  const c = state.config;
  const spec = openAiEs.ask(state.es);
  const rows = spec.members.map((_, m) => buildMember(spec, m));
  const episode = hiddenEsEpisode(c, data, state.es.generation);
  const { accuracy, initialW: init } = await hiddenAccuracies(gpu, c.learner, data, rows, episode, c.seed, initialW);
  const samples = accuracy.filter((_, m) => spec.members[m].role === 'sample');
  const centreIdx = spec.members.findIndex((m) => m.role === 'centre');
  const centre = accuracy[centreIdx];
  const { state: es } = await openAiEs.tell(state.es, accuracy, cpuNoiseBackend);
  const ms = performance.now() - t0;
  const record: HiddenEsRecord = {
    generation: state.es.generation,
    centre,
    mean: samples.reduce((s, v) => s + v, 0) / samples.length,
    max: Math.max(...samples),
    ms,
  };
  const best =
    centre > state.best.accuracy
      ? { generation: state.es.generation, accuracy: centre, params: Float32Array.from(rows[centreIdx]) }
      : state.best;
  return {
    state: { ...state, es, history: [...state.history, record], best, elapsedMs: state.elapsedMs + ms },
    initialW: init,
  };
}

/** The deployable rule file (`vsml-hidden:params=FILE`): named parameters and where they came from. */
export function hiddenRuleFile(
  params: Float32Array,
  provenance: Record<string, unknown>,
): { params: Record<HiddenParamName, number>; provenance: Record<string, unknown> } {
  return { params: hiddenParamRecord(Array.from(params)), provenance };
}
