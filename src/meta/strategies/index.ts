/** Strategy registry: config -> initial state, state -> implementation. */
import { ga, initGa, type GaConfig, type GaState } from './ga';
import { initOpenAiEs, openAiEs, type OpenAiEsConfig, type OpenAiEsState } from './openai-es';
import { initSnes, snes, type SnesConfig, type SnesState } from './snes';
import type { Strategy } from './types';

export type StrategyConfig = OpenAiEsConfig | SnesConfig | GaConfig;
export type StrategyState = OpenAiEsState | SnesState | GaState;

export function initStrategy(
  config: StrategyConfig,
  theta0: Float32Array,
  seed: number,
  initSeed = seed,
): StrategyState {
  switch (config.kind) {
    case 'openai-es':
      return initOpenAiEs(config, theta0, seed);
    case 'snes':
      return initSnes(config, theta0, seed);
    case 'ga':
      return initGa(config, theta0, seed, initSeed);
  }
}

export function strategyFor(state: StrategyState): Strategy<StrategyState> {
  const impl = { 'openai-es': openAiEs, snes, ga }[state.kind];
  if (!impl) throw new Error(`unknown strategy kind '${(state as { kind: string }).kind}'`);
  return impl as unknown as Strategy<StrategyState>;
}

export { ga, openAiEs, snes };
export type { GaConfig, GaState, OpenAiEsConfig, OpenAiEsState, SnesConfig, SnesState, Strategy };
