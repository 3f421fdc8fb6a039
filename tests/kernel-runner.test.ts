/**
 * The kernel runner's uniform block: names filled from the grid, padding defaulted, everything
 * else required. (Binding and dispatch are exercised by every kernel's parity test.)
 */
import { describe, expect, it } from 'vitest';
import type { Program } from '../src/kernels/program';
import { uniformWords } from '../src/kernels/runner';

const program: Program<'count' | 'gridX' | 'rowStride' | 'pad0' | 'p1'> = {
  label: 'test-kernel',
  key: 'test-kernel',
  code: '',
  entryPoint: 'main',
  workgroupSize: 64,
  uniforms: ['count', 'gridX', 'rowStride', 'pad0', 'p1'],
};

describe('kernel runner uniforms', () => {
  it('fills gridX and rowStride from the grid and padding with 0, in field order', () => {
    expect([...uniformWords({ program, bindings: [], uniforms: { count: 7 } }, [5, 2])]).toEqual([7, 5, 5 * 64, 0, 0]);
  });
  it('keeps values that are given, even for implicit fields', () => {
    expect([
      ...uniformWords(
        { program, bindings: [], uniforms: { count: 1, gridX: 9, rowStride: 3, pad0: 4, p1: 2 } },
        [5, 2],
      ),
    ]).toEqual([1, 9, 3, 4, 2]);
  });
  it('names a missing field', () => {
    expect(() => uniformWords({ program, bindings: [], uniforms: {} }, [1, 1])).toThrow(
      "test-kernel: uniform 'count' missing",
    );
  });
  it('takes finished words only at the right length', () => {
    expect([...uniformWords({ program, bindings: [], uniforms: Uint32Array.of(1, 2, 3, 4, 5) }, [1, 1])]).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(() => uniformWords({ program, bindings: [], uniforms: Uint32Array.of(1, 2) }, [1, 1])).toThrow(
      '2 uniform words given, 5 expected',
    );
  });
});
