/**
 * The machine's physical FP32 peak from /proc/cpuinfo: cores x FMA units x lanes x 2 FLOP x GHz.
 * A second ceiling for bench:speed on software adapters, beside the FMA ceiling the adapter itself
 * reaches: it says how much of the CPU a run uses, not only how much of the driver.
 */

export interface CpuPeak {
  gflops: number;
  cores: number;
  /** FMA pipes per core: not in cpuinfo; 2 on every x86 core with FMA since Haswell / Zen 1. */
  fmaUnits: number;
  /** fp32 lanes of the widest vector ISA in the flags (avx512f 16, avx 8, sse 4, else 1). */
  lanes: number;
  isa: string;
  ghz: number;
  /** How it was computed, for the report. */
  formula: string;
}

/** Parses cpuinfo text; undefined when it names no processor or no clock. */
export function cpuPeakFromCpuinfo(text: string): CpuPeak | undefined {
  const blocks = text.split(/\n\s*\n/).filter((b) => /^processor\s*:/m.test(b));
  if (blocks.length === 0) return undefined;
  const field = (b: string, name: string) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(b)?.[1]?.trim();
  const mhz = blocks.map((b) => Number(field(b, 'cpu MHz'))).filter((x) => Number.isFinite(x) && x > 0);
  if (mhz.length === 0) return undefined;
  const flags = new Set((field(blocks[0], 'flags') ?? '').split(/\s+/));
  const [lanes, isa] = flags.has('avx512f')
    ? [16, 'AVX-512']
    : flags.has('avx')
      ? [8, 'AVX']
      : flags.has('sse')
        ? [4, 'SSE']
        : [1, 'scalar'];
  const fmaUnits = flags.has('fma') || flags.has('avx512f') ? 2 : 1;
  const flopsPerLane = fmaUnits === 2 || flags.has('fma') ? 2 : 1;
  const ghz = Math.max(...mhz) / 1000;
  // Physical cores: distinct (package, core) pairs when listed (SMT siblings share FMA units).
  const ids = blocks.map((b) => `${field(b, 'physical id')}/${field(b, 'core id')}`);
  const listed = blocks.every((b) => field(b, 'core id') !== undefined);
  const cores = listed ? new Set(ids).size : blocks.length;
  const gflops = cores * fmaUnits * lanes * flopsPerLane * ghz;
  const formula = `${cores} cores x ${fmaUnits} FMA units x ${lanes} lanes (${isa}) x ${flopsPerLane} FLOP x ${ghz.toFixed(3)} GHz`;
  return { gflops, cores, fmaUnits, lanes, isa, ghz, formula };
}
