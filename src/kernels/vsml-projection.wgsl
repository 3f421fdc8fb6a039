// The projection's sign bits of every learner of a group, once per episode: block j of input unit
// a is Philox at counter [j, a, 0, 0], key [seed, DOMAIN_PROJECTION] (128 bits: pixels
// 128j .. 128j+127). One thread per (learner, a) (no more threads than the input kernel's, so the
// planner's dispatch-grid bound holds). See vsml-projection.ts.
${PHILOX}
const A0 = ${A0};
const BLOCKS = ${BLOCKS};

struct Params { learners: u32, gridX: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> projSeeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> bits: array<vec4<u32>>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * A0) { return; }
  let a = id % A0;
  let key = vec2<u32>(projSeeds[id / A0], ${DOMAIN_PROJECTION});
  for (var j = 0u; j < BLOCKS; j++) { bits[id * BLOCKS + j] = philox4x32(key, vec4<u32>(j, a, 0u, 0u)); }
}
