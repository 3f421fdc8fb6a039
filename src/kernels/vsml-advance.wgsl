// One invocation: advance the group's step counter (a separate dispatch: other kernels read it).
@group(0) @binding(0) var<storage, read_write> ctrl: array<u32>;
@compute @workgroup_size(1)
fn main() { ctrl[0] = ctrl[0] + 1u; }
