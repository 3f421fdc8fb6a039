// The projection's sign bits of every learner of a group, once per episode, in the input kernel's
// layout: word [lg][g][w] holds, in nibble u, the signs of unit 8g + u for pixels 4w .. 4w+3 (bit
// set = -1). Unit a's bits for pixels 128j .. 128j+127 are Philox at counter [j, a, 0, 0], key
// [seed, DOMAIN_PROJECTION]. One thread per (learner, g, j): 8 blocks drawn, 32 words written (no
// more threads per learner than the input kernel's: see projectionThreads). See vsml-projection.ts.
${PHILOX}
const G = ${G};
const BLOCKS = ${BLOCKS};

struct Params { learners: u32, gridX: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> projSeeds: array<u32>;
@group(0) @binding(2) var<storage, read_write> bits: array<u32>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * G * BLOCKS) { return; }
  let j = id % BLOCKS;
  let g = (id / BLOCKS) % G;
  let lg = id / (BLOCKS * G);
  let key = vec2<u32>(projSeeds[lg], ${DOMAIN_PROJECTION});
${DRAW}
  let o = (lg * G + g) * BLOCKS * 32u + j * 32u;
${WRITE}
}
