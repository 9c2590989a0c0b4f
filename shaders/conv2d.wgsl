// Convolution with a fused epilogue: y = act(Σ w·x · multiplier[o] + bias[o] (+ residual)), one dispatch per layer.
// Dense layers run here too, as a 1×1 convolution over a 1×1 image (C = K).
// The weight decode step (ternary or float) is appended by the host: it declares binding 4 (`weights`) and defines
// loadWeightWord(word) and accumulateColumn(bit), which add column word·16 + bit of the weights times `xs` into `acc`.
// So is the launch grid (grid.wgsl): INVOCATIONS and flatWorkgroup, which undoes the fold of large grids into 2D.
//
// Tiling: each invocation computes CHANNELS_PER_THREAD channels × POSITIONS_PER_THREAD output positions, so one
// decoded weight word serves POSITIONS_PER_THREAD positions and one loaded input serves CHANNELS_PER_THREAD channels.
// Positions are flattened over (n, oy, ox), so the batch shares a weight row the same way the image does.
// Threads along positions are adjacent in memory (position stride THREADS_ALONG_POSITIONS) for coalesced loads.
// Inputs are shared between channel groups through the cache: a variant staging each word's im2col tile in workgroup
// memory measured no faster on SwiftShader and made pipeline creation 10-20× slower there (barriers).

const CHANNELS_PER_THREAD = 4u;
// The width of vec4: positions are the lanes of `xs` and of each `acc` entry.
const POSITIONS_PER_THREAD = 4u;

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

// One vec4 per channel: lane p is output position p of this thread.
var<private> acc: array<vec4<f32>, CHANNELS_PER_THREAD>;
// The inputs under the current weight column at the thread's four positions.
var<private> xs: vec4<f32>;
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
  let group = flatWorkgroup(workgroup, workgroups);
  let channelTile = group / positionTiles;
  if (channelTile * channelsPerGroup >= O) {
    return;
  }
  let firstChannel = channelTile * channelsPerGroup + (lane / THREADS_ALONG_POSITIONS) * CHANNELS_PER_THREAD;
  let firstPosition = (group % positionTiles) * positionsPerGroup + lane % THREADS_ALONG_POSITIONS;

  // Per position (vector lane): the top-left input cell of its window and that cell's flat index.
  let q = min(vec4u(firstPosition) + vec4u(0u, 1u, 2u, 3u) * THREADS_ALONG_POSITIONS, vec4u(positions - 1u));
  let spatial = q % plane;
  let top = vec4i((spatial / OW) * SH) - i32(PH);
  let left = vec4i((spatial % OW) * SW) - i32(PW);
  let corner = vec4i((q / plane) * C * H * W) + top * i32(W) + left;
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    rows[ch] = min(firstChannel + ch, O - 1u);
  }

  // (channel, dy, dx) of column k, advanced incrementally: k = (channel·KH + dy)·KW + dx.
  var channelOffset = 0i;
  var dy = 0i;
  var dx = 0i;
  for (var word = 0u; word < K_WORDS; word++) {
    loadWeightWord(word);
    let columns = min(16u, K - word * 16u);
    for (var bit = 0u; bit < columns; bit++) {
      let y = top + dy;
      let x = left + dx;
      let inside = (y >= vec4i(0)) & (y < vec4i(i32(H))) & (x >= vec4i(0)) & (x < vec4i(i32(W)));
      // Cells outside the image are padding (zero); their index is clamped only to stay a valid read.
      let index = vec4u(max(corner + channelOffset + dy * i32(W) + dx, vec4i(0)));
      xs = select(vec4f(0.0), vec4f(input[index.x], input[index.y], input[index.z], input[index.w]), inside);
      accumulateColumn(bit);
      dx++;
      if (dx == i32(KW)) {
        dx = 0i;
        dy++;
        if (dy == i32(KH)) {
          dy = 0i;
          channelOffset += i32(H * W);
        }
      }
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
      let position = firstPosition + p * THREADS_ALONG_POSITIONS;
      if (position >= positions) {
        break;
      }
      let index = ((position / plane) * O + o) * plane + position % plane;
      var value = acc[ch][p] * multiplier + bias;
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
