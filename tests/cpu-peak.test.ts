/** The CPU's physical fp32 peak from cpuinfo text (bench:speed's second ceiling), on fabricated inputs. */
import { describe, expect, it } from 'vitest';
import { cpuPeakFromCpuinfo } from '../src/bench/speed/cpu-peak';

const cpu = (n: number, flags: string, mhz: string, core?: number) =>
  `processor\t: ${n}\nmodel name\t: AMD EPYC\ncpu MHz\t\t: ${mhz}\n${core === undefined ? '' : `physical id\t: 0\ncore id\t\t: ${core}\n`}flags\t\t: ${flags}\n`;

describe('CPU fp32 peak from /proc/cpuinfo', () => {
  it('2 cores with AVX2 FMA at 2.096 GHz: 2 x 2 x 8 x 2 x 2.096 = 134.1 GFLOP/s', () => {
    const text = [cpu(0, 'fpu sse avx fma avx2', '2096.003'), cpu(1, 'fpu sse avx fma avx2', '2096.003')].join('\n');
    const p = cpuPeakFromCpuinfo(text)!;
    expect(p.cores).toBe(2);
    expect(p.lanes).toBe(8);
    expect(p.gflops).toBeCloseTo(2 * 2 * 8 * 2 * 2.096003, 6);
    expect(p.formula).toMatch(/2 cores x 2 FMA units x 8 lanes \(AVX\) x 2 FLOP x 2\.096 GHz/);
  });

  it('AVX-512 doubles the lanes; SMT siblings of one core count once', () => {
    const f = 'sse avx fma avx2 avx512f';
    const text = [cpu(0, f, '3000', 0), cpu(1, f, '3000', 0), cpu(2, f, '3000', 1), cpu(3, f, '3000', 1)].join('\n');
    const p = cpuPeakFromCpuinfo(text)!;
    expect(p.cores).toBe(2);
    expect(p.lanes).toBe(16);
    expect(p.gflops).toBeCloseTo(2 * 2 * 16 * 2 * 3, 9);
  });

  it('no processor or no clock: undefined (bench:speed then asks for --peak-gflops)', () => {
    expect(cpuPeakFromCpuinfo('')).toBeUndefined();
    expect(cpuPeakFromCpuinfo('processor\t: 0\nflags\t\t: avx\n')).toBeUndefined();
  });
});
