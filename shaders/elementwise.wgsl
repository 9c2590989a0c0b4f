// Element-wise ops, one value per invocation: relu, add (+relu) and a per-channel affine map that serves both
// batchnorm (unfolded graphs) and input normalisation: y = act(x · scale[c] + shift[c]).
// INVOCATIONS and flatInvocation: grid.wgsl, appended by the host.

// Values per channel per sample (H·W, or 1 for [N, C] tensors) and the channel count, for the affine entry point.
override PLANE: u32 = 1u;
override CHANNELS: u32 = 1u;
override RELU: bool = false;

@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<storage, read> first: array<f32>;
// add: the second operand; affine: [0, C) scale, [C, 2·C) shift.
@group(0) @binding(2) var<storage, read> second: array<f32>;

fn activate(value: f32) -> f32 {
  if (RELU) {
    return max(value, 0.0);
  }
  return value;
}

@compute @workgroup_size(INVOCATIONS)
fn relu(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = flatInvocation(workgroup, workgroups, lane);
  if (index < arrayLength(&output)) {
    output[index] = max(first[index], 0.0);
  }
}

@compute @workgroup_size(INVOCATIONS)
fn add(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = flatInvocation(workgroup, workgroups, lane);
  if (index < arrayLength(&output)) {
    output[index] = activate(first[index] + second[index]);
  }
}

@compute @workgroup_size(INVOCATIONS)
fn channel_affine(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = flatInvocation(workgroup, workgroups, lane);
  if (index < arrayLength(&output)) {
    let channel = (index / PLANE) % CHANNELS;
    output[index] = activate(first[index] * second[channel] + second[CHANNELS + channel]);
  }
}
