// ---- Philox4x32-10 and fixed-point normals (src/rng/philox.ts; bit-identical to the TS) ----
// The normal generator's loops are unrolled and branch-free (LOG2_STEPS, ISQRT_STEPS,
// CORDIC_STEPS, generated in philox.ts): same integer operations as the TypeScript, but SwiftShader
// runs both sides of every branch and pays for every loop iteration (1.5-2x, docs/perf.md).
fn rng_mulhilo(a: u32, b: u32) -> vec2<u32> {
  let a0 = a & 0xffffu; let a1 = a >> 16u; let b0 = b & 0xffffu; let b1 = b >> 16u;
  let p00 = a0 * b0; let p01 = a0 * b1; let p10 = a1 * b0; let p11 = a1 * b1;
  let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
  let lo = (mid << 16u) | (p00 & 0xffffu);
  let hi = p11 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, lo);
}

fn philox4x32(key: vec2<u32>, ctr: vec4<u32>) -> vec4<u32> {
  var x = ctr;
  var k = key;
  for (var r = 0u; r < 10u; r++) {
    let p0 = rng_mulhilo(${M0}, x.x);
    let p1 = rng_mulhilo(${M1}, x.z);
    x = vec4<u32>(p1.x ^ x.y ^ k.x, p1.y, p0.x ^ x.w ^ k.y, p0.y);
    k = k + vec2<u32>(${W0}, ${W1});
  }
  return x;
}

fn rng_unit(w: u32) -> f32 { return f32(w >> 8u) * ${TWO_POW_M24}; }

fn rng_uniform4(key: vec2<u32>, ctr: vec4<u32>) -> vec4<f32> {
  let w = philox4x32(key, ctr);
  return vec4<f32>(rng_unit(w.x), rng_unit(w.y), rng_unit(w.z), rng_unit(w.w));
}

fn rng_log2_q24(u: u32) -> u32 {
  let e = 31u - countLeadingZeros(u);
  var m = u << (31u - e);
  var frac = 0u;
${LOG2_STEPS}
  return (e << ${LOG2_FRAC_BITS}) | frac;
}

fn rng_isqrt_shift16(q: u32) -> u32 {
  var rem = 0u;
  var root = 0u;
${ISQRT_STEPS}
  return root;
}

fn rng_cordic(theta: i32) -> vec2<i32> {
  var x = ${CORDIC_GAIN_Q30};
  var y = 0i;
  var z = theta;
${CORDIC_STEPS}
  return vec2<i32>(x, y);
}

fn rng_scale(radius: u32, t: i32) -> f32 {
  let mag = u32(abs(t));
  let p = rng_mulhilo(radius, mag);
  let z = f32((p.x << 2u) | (p.y >> 30u)) * ${TWO_POW_M20};
  return select(z, -z, t < 0i);
}

fn rng_normal_pair(wu: u32, wv: u32) -> vec2<f32> {
  let u = (wu >> 1u) + 1u;
  let t = (31u << ${LOG2_FRAC_BITS}) - rng_log2_q24(u);
  let h = rng_mulhilo(t, ${TWO_LN2_Q30});
  let radius = rng_isqrt_shift16((h.x << 2u) | (h.y >> 30u));
  let quadrant = wv >> 30u;
  let tp = rng_mulhilo(wv & 0x3fffffffu, ${HALF_PI_Q30});
  let cs = rng_cordic(i32((tp.x << 2u) | (tp.y >> 30u)));
  // Quadrant 1: (-s, c); 2: (-c, -s); 3: (s, -c).
  let swap = (quadrant & 1u) != 0u;
  let c0 = select(cs.x, cs.y, swap);
  let s0 = select(cs.y, cs.x, swap);
  let c = select(c0, -c0, quadrant == 1u || quadrant == 2u);
  let s = select(s0, -s0, quadrant >= 2u);
  return vec2<f32>(rng_scale(radius, c), rng_scale(radius, s));
}

fn rng_normal4(key: vec2<u32>, ctr: vec4<u32>) -> vec4<f32> {
  let w = philox4x32(key, ctr);
  return vec4<f32>(rng_normal_pair(w.x, w.y), rng_normal_pair(w.z, w.w));
}

// Element i of the normal stream (key; a, b, c): same as normalAt() in TypeScript.
fn rng_normal_at(key: vec2<u32>, i: u32, a: u32, b: u32, c: u32) -> f32 {
  return rng_normal4(key, vec4<u32>(i >> 2u, a, b, c))[i & 3u];
}

fn rng_uniform_at(key: vec2<u32>, i: u32, a: u32, b: u32, c: u32) -> f32 {
  return rng_unit(philox4x32(key, vec4<u32>(i >> 2u, a, b, c))[i & 3u]);
}
