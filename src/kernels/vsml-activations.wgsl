// Nonlinearities. tanh is clamped first: |x| > 20 gives +-1 in f32 anyway, and some drivers build
// tanh from exp and return NaN for large |x|. sigmoid(x) = 1 / (1 + exp(-x)) is safe at both ends
// (exp overflow gives 1/inf = 0).
fn sig4(x: vec4<f32>) -> vec4<f32> { return 1.0 / (1.0 + exp(-x)); }
fn tanh4(x: vec4<f32>) -> vec4<f32> { return tanh(clamp(x, vec4<f32>(-20.0), vec4<f32>(20.0))); }
fn tanh1(x: f32) -> f32 { return tanh(clamp(x, -20.0, 20.0)); }
