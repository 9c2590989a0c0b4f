// Softmax along the last axis, one row per invocation: exp(x − max) / Σ exp(x − max).
// INVOCATIONS and flatInvocation: grid.wgsl, appended by the host.

override K: u32;

@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let row = flatInvocation(workgroup, workgroups, lane);
  if (row >= arrayLength(&output) / K) {
    return;
  }
  let base = row * K;
  var maximum = input[base];
  for (var k = 1u; k < K; k++) {
    maximum = max(maximum, input[base + k]);
  }
  var sum = 0.0;
  for (var k = 0u; k < K; k++) {
    let e = exp(input[base + k] - maximum);
    output[base + k] = e;
    sum += e;
  }
  for (var k = 0u; k < K; k++) {
    output[base + k] = output[base + k] / sum;
  }
}
