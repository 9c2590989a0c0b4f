// Max and average pooling, one output value per invocation. Global average pooling is the case KH = H, KW = W.
// Windows never lie wholly in the padding (padding < kernel), so every window has at least one real cell.
// INVOCATIONS and flatInvocation: grid.wgsl, appended by the host.

override H: u32;
override W: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
override IS_MAX: bool;

@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let index = flatInvocation(workgroup, workgroups, lane);
  if (index >= arrayLength(&output)) {
    return;
  }
  let plane = OH * OW;
  let spatial = index % plane;
  let base = (index / plane) * H * W;
  let y0 = i32((spatial / OW) * SH) - i32(PH);
  let x0 = i32((spatial % OW) * SW) - i32(PW);
  let yBegin = u32(max(y0, 0));
  let yEnd = u32(min(y0 + i32(KH), i32(H)));
  let xBegin = u32(max(x0, 0));
  let xEnd = u32(min(x0 + i32(KW), i32(W)));
  var maximum = bitcast<f32>(0xff7fffffu); // −FLT_MAX
  var sum = 0.0;
  for (var y = yBegin; y < yEnd; y++) {
    for (var x = xBegin; x < xEnd; x++) {
      let value = input[base + y * W + x];
      maximum = max(maximum, value);
      sum += value;
    }
  }
  if (IS_MAX) {
    output[index] = maximum;
  } else {
    output[index] = sum / f32((yEnd - yBegin) * (xEnd - xBegin));
  }
}
