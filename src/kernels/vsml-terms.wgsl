// Backward message terms for the CPU cell path, one thread per (learner, b, row quad):
// gb[lg][b][q] = (bias + gate offset, full cell) + sum_m (rows 4q..4q+3 of backward column m) * bwdIn[lg][b][m].
const B = ${B};
const M = ${M};
const RQ = ${RQ};
const PV = ${PV};

struct Params { learners: u32, gridX: u32, firstLearner: u32, tasksPerMember: u32, firstMember: u32, zeroBwd: u32, pad0: u32, pad1: u32 }
@group(0) @binding(0) var<uniform> P: Params;
@group(0) @binding(1) var<storage, read> pk: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> bwdIn: array<f32>;
@group(0) @binding(3) var<storage, read_write> gb: array<vec4<f32>>;

@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let id = gid.x + gid.y * P.gridX * ${WG_U};
  if (id >= P.learners * B * RQ) { return; }
  let q = id % RQ;
  let lb = id / RQ;
  let lg = lb / B;
  let pb = ((P.firstLearner + lg) / P.tasksPerMember - P.firstMember) * PV;
#if ${LOW_RANK}
  var s = vec4<f32>(0.0);
#else
  var s = pk[pb + ${CQ} + q];
#endif
  if (P.zeroBwd == 0u) {
    for (var m = 0u; m < M; m++) { s += pk[pb + ${WB} + q * M + m] * bwdIn[lb * M + m]; }
  }
  gb[id] = s;
}
