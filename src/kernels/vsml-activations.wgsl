// Nonlinearities. sigmoid(x) = 1 / (1 + exp(-x)) and tanh4(x) = 2 sigmoid(2x) - 1 are safe at both
// ends without a clamp (exp overflow gives 1/inf = 0: sigmoid -> 0, tanh -> -1). tanh4 avoids the
// builtin: on SwiftShader tanh(clamp(x)) costs about 3x an exp-based sigmoid (the clamp alone
// about one exp; docs/perf.md), and the cell evaluates two per unit and tick. Its absolute error
// is that of the sigmoid (a few 1e-8); near 0 its relative error grows (1e-4 at |x| = 1e-3).
// tanh1 (the readout, once per output) keeps the builtin, clamped first because some drivers
// build it from exp and return NaN for large |x|.
fn sig4(x: vec4<f32>) -> vec4<f32> { return 1.0 / (1.0 + exp(-x)); }
fn tanh4(x: vec4<f32>) -> vec4<f32> { return 2.0 / (1.0 + exp(-2.0 * x)) - 1.0; }
fn tanh1(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }
