// Convolution with a fused epilogue: y = act(Σ w·x · multiplier[o] + bias[o] (+ residual)), one dispatch per layer.
// Dense layers run here too, as a 1×1 convolution over a 1×1 image (C = K).
// The weight decode step (ternary or float) is appended by the host: it declares binding 4 (`weights`) and defines
// loadWeightWord(word) and accumulateColumn(k, bit), which add this column's weight times `xs` into `acc`.
//
// Tiling: each invocation computes CHANNELS_PER_THREAD channels × POSITIONS_PER_THREAD output positions, so one
// decoded weight word serves POSITIONS_PER_THREAD positions and one loaded input serves CHANNELS_PER_THREAD channels.
// Positions are flattened over (n, oy, ox), so the batch shares a weight row the same way the image does.
// Threads along positions are adjacent in memory (position stride THREADS_ALONG_POSITIONS) for coalesced loads.

const CHANNELS_PER_THREAD = 4u;
const POSITIONS_PER_THREAD = 4u;
const INVOCATIONS = 64u;

override C: u32;
override H: u32;
override W: u32;
override O: u32;
override OH: u32;
override OW: u32;
override KH: u32;
override KW: u32;
override SH: u32;
override SW: u32;
override PH: u32;
override PW: u32;
// Divides INVOCATIONS; small for layers with few positions (dense) so threads spread over channels instead.
override THREADS_ALONG_POSITIONS: u32 = 64u;
override RELU: bool = false;
override HAS_RESIDUAL: bool = false;

override KERNEL_AREA: u32 = KH * KW;
override K: u32 = C * KERNEL_AREA;
override K_WORDS: u32 = (K + 15u) / 16u;

@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;
// Bound to a 4-byte placeholder when HAS_RESIDUAL is false.
@group(0) @binding(2) var<storage, read> residual: array<f32>;
// [0, O): the effective multiplier alpha·scale; [O, 2·O): the bias.
@group(0) @binding(3) var<storage, read> epilogue: array<f32>;

var<private> acc: array<f32, CHANNELS_PER_THREAD * POSITIONS_PER_THREAD>;
var<private> xs: array<f32, POSITIONS_PER_THREAD>;
// Weight row per channel, clamped so that threads past O read valid memory (their results are never stored).
var<private> rows: array<u32, CHANNELS_PER_THREAD>;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let plane = OH * OW;
  // The output binding is sized to exactly N·O·OH·OW values, so the batch needs no uniform.
  let positions = arrayLength(&output) / O;
  let positionsPerGroup = THREADS_ALONG_POSITIONS * POSITIONS_PER_THREAD;
  let channelsPerGroup = (INVOCATIONS / THREADS_ALONG_POSITIONS) * CHANNELS_PER_THREAD;
  let positionTiles = (positions + positionsPerGroup - 1u) / positionsPerGroup;
  // Large grids are folded into two dimensions (docs: maxComputeWorkgroupsPerDimension).
  let group = workgroup.x + workgroup.y * workgroups.x;
  let channelTile = group / positionTiles;
  if (channelTile * channelsPerGroup >= O) {
    return;
  }
  let firstChannel = channelTile * channelsPerGroup + (lane / THREADS_ALONG_POSITIONS) * CHANNELS_PER_THREAD;
  let firstPosition = (group % positionTiles) * positionsPerGroup + lane % THREADS_ALONG_POSITIONS;

  var inputBase: array<u32, POSITIONS_PER_THREAD>;
  var rowStart: array<i32, POSITIONS_PER_THREAD>;
  var colStart: array<i32, POSITIONS_PER_THREAD>;
  for (var p = 0u; p < POSITIONS_PER_THREAD; p++) {
    let q = min(firstPosition + p * THREADS_ALONG_POSITIONS, positions - 1u);
    let spatial = q % plane;
    inputBase[p] = (q / plane) * C * H * W;
    rowStart[p] = i32((spatial / OW) * SH) - i32(PH);
    colStart[p] = i32((spatial % OW) * SW) - i32(PW);
  }
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    rows[ch] = min(firstChannel + ch, O - 1u);
  }

  for (var word = 0u; word < K_WORDS; word++) {
    loadWeightWord(word);
    let columns = min(16u, K - word * 16u);
    for (var bit = 0u; bit < columns; bit++) {
      let k = word * 16u + bit;
      let channel = k / KERNEL_AREA;
      let tap = k % KERNEL_AREA;
      let dy = i32(tap / KW);
      let dx = i32(tap % KW);
      for (var p = 0u; p < POSITIONS_PER_THREAD; p++) {
        let y = rowStart[p] + dy;
        let x = colStart[p] + dx;
        xs[p] = 0.0;
        if (y >= 0 && y < i32(H) && x >= 0 && x < i32(W)) {
          xs[p] = input[inputBase[p] + (channel * H + u32(y)) * W + u32(x)];
        }
      }
      accumulateColumn(k, bit);
    }
  }

  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    let o = firstChannel + ch;
    if (o >= O) {
      break;
    }
    let multiplier = epilogue[o];
    let bias = epilogue[O + o];
    for (var p = 0u; p < POSITIONS_PER_THREAD; p++) {
      let q = firstPosition + p * THREADS_ALONG_POSITIONS;
      if (q >= positions) {
        break;
      }
      let index = ((q / plane) * O + o) * plane + q % plane;
      var value = acc[ch * POSITIONS_PER_THREAD + p] * multiplier + bias;
      if (HAS_RESIDUAL) {
        value += residual[index];
      }
      if (RELU) {
        value = max(value, 0.0);
      }
      output[index] = value;
    }
  }
}
