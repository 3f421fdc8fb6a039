/**
 * `npm run train -- [options]`: meta-train VSML learners with evolution on the GPU.
 * Config layers: --preset (default: the embedded defaults) < --config file.json < flags / --set.
 */
import { GpuDeviceLostError } from '../gpu/errors';
import { CheckpointError } from '../meta/checkpoint';
import { runTraining, summary } from './run-training';
import { fileCompileRecord } from '../meta/node/compile-record';
import { TrainConfigError, type TrainConfig } from '../meta/train-config';
import { helpText } from './args';
import { type ParsedArgs, TRAIN_COMMAND, parseTrainArgs } from './train-args';

export { TRAIN_COMMAND, TRAIN_OPTIONS, parseTrainArgs, type ParsedArgs } from './train-args';

/** The `npm run train` / `npm start` job; returns the exit code. */
export async function trainMain(argv: string[], name = 'train'): Promise<number> {
  // Distributed roles (coordinator / worker over Redis) have their own options: src/cli/train-distributed.ts.
  if (argv.some((a) => /^--(redis|role)(=|$)/.test(a)))
    return (await import('./train-distributed')).distributedMain(argv);
  let args: ParsedArgs;
  try {
    args = parseTrainArgs(argv);
  } catch (e) {
    console.error(`${(e as Error).message}\n\nRun with --help for the options.`);
    return 2;
  }
  if (args.help) {
    console.log(helpText({ ...TRAIN_COMMAND, name }));
    return 0;
  }
  if (args.printConfig) {
    console.log(JSON.stringify(args.config ?? { resume: args.resume }, null, 2));
    return 0;
  }
  try {
    const r = await runTraining({
      config: args.config,
      resume: args.resume,
      generations: args.generations,
      out: args.out,
      quiet: args.quiet,
      handleSignals: true,
      mapping: args.mapping,
      compileRecord: fileCompileRecord(),
    });
    const config = args.config ?? ({ generations: args.generations ?? r.generation } as TrainConfig);
    console.log(summary(r, config));
    return 0;
  } catch (e) {
    if (e instanceof GpuDeviceLostError || e instanceof CheckpointError || e instanceof TrainConfigError) {
      console.error(`\n${e.name}: ${e.message}`);
      return 1;
    }
    throw e;
  }
}

// Run only as a script (the parser is imported by tests).
if (/src[\\/]cli[\\/]train\.ts$/.test(process.argv[1] ?? '')) {
  process.exitCode = await trainMain(process.argv.slice(2));
}
