// Repack each member's meta-parameters into the vec4 blocks the cell kernel reads; one thread per
// (member of the group, packed vec4). See vsml-pack.ts and PackedLayout in src/spec/plan.ts.
${LAYOUT}
const PV = ${PV};
const OFF_U = ${OFF_U};
const OFF_WF = ${OFF_WF};
const OFF_WB = ${OFF_WB};
const OFF_CQ = ${OFF_CQ};
const RQ = ${RQ};
const ROWS = ${ROWS};
const RANK = ${RANK};
const MAT = ${MAT};

struct Params { members: u32, firstMember: u32, paramShift: u32, gridX: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> mp: array<f32>;
@group(0) @binding(2) var<storage, read_write> pk: array<vec4<f32>>;
${GATE_OFFSET}

fn packed(mb: u32, v: u32, k: u32) -> f32 {
  if (v < OFF_U) {
    let row = v / H4;
    if (row >= ROWS) { return 0.0; }
    return mp[mb + MAT + row * Z + 2u * M + (v % H4) * 4u + k];
  }
  if (v < OFF_WF) {
#if ${LOW_RANK}
    let col = ((v - OFF_U) % RQ) * 4u + k;
    if (col >= RANK) { return 0.0; }
    return mp[mb + P_LSTM_U + ((v - OFF_U) / RQ) * RANK + col];
#else
    return 0.0;
#endif
  }
  if (v < OFF_CQ) {
    let back = select(0u, 1u, v >= OFF_WB);
    let i = v - select(OFF_WF, OFF_WB, back == 1u);
    let row = (i / M) * 4u + k;
    if (row >= ROWS) { return 0.0; }
    return mp[mb + MAT + row * Z + back * M + i % M];
  }
  let row = (v - OFF_CQ) * 4u + k;
  return mp[mb + P_LSTM_B + row] + gate_offset(row);
}

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.members * PV) { return; }
  let ml = id / PV;
  let v = id % PV;
  let mb = (P.firstMember + ml) * D - P.paramShift;
  pk[id] = vec4<f32>(packed(mb, v, 0u), packed(mb, v, 1u), packed(mb, v, 2u), packed(mb, v, 3u));
}
