// Convolution as a register-tiled implicit GEMM with a fused epilogue: y = act(Σ w·x · multiplier[o] + bias[o]
// (+ residual)). GEMM view: output[o, p] = Σ_k weight[o, k] · patch[k, p] with k = (c·KH + dy)·KW + dx over
// K = C·KH·KW and p = (n, oy, ox) over N·OH·OW: the batch is folded into the positions, so it shares every weight.
//
// A workgroup computes a tile of TILE_CHANNELS × TILE_POSITIONS outputs; each invocation holds CHANNELS_PER_THREAD
// channels × POSITION_VECTORS vec4s of positions in registers, so per column of K one input load serves
// CHANNELS_PER_THREAD channels and one decoded weight serves 4·POSITION_VECTORS positions. Invocations along
// positions are adjacent in memory, so their loads coalesce.
//
// Nothing is staged in workgroup memory: on SwiftShader the compile time of a pipeline grows with its workgroup
// memory (16 KiB of staged patch and codes: 25× this kernel's), which would have made cold start several times
// slower, while the register tile alone gave the speed-up (docs/ARCHITECTURE.md, WebGPU kernels).
//
// Sizes come from a uniform (`shape`, linear.wgsl), so layers of every size share one pipeline per tile shape. The
// host (src/backends/webgpu/shaders.ts) declares the tile constants and appends linear.wgsl and the decode step
// (conv2d-ternary.wgsl or conv2d-float.wgsl), which declares binding 4 (`weights`) and defines loadWeightBlock(block)
// (the 16 columns from 16·block of the invocation's channels `rows`) and accumulateColumn(bit) (adds column
// 16·block + bit times `xs` into `acc`).

const TILE_CHANNELS = THREADS_ALONG_CHANNELS * CHANNELS_PER_THREAD;
const TILE_POSITIONS = THREADS_ALONG_POSITIONS * POSITIONS_PER_THREAD;

// The register tile: acc[i·POSITION_VECTORS + v] holds channel i of this invocation at its positions of vector v.
var<private> acc: array<vec4<f32>, CHANNELS_PER_THREAD * POSITION_VECTORS>;
// The inputs under the current column at this invocation's positions.
var<private> xs: array<vec4<f32>, POSITION_VECTORS>;
// This invocation's weight rows, clamped so that channels past O read valid memory (their results are never stored).
var<private> rows: array<u32, CHANNELS_PER_THREAD>;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) lane: u32,
) {
  let plane = shape.OH * shape.OW;
  let positions = arrayLength(&output) / shape.O;
  let positionTiles = (positions + TILE_POSITIONS - 1u) / TILE_POSITIONS;
  let group = flatWorkgroup(workgroup, workgroups);
  let firstChannel = group / positionTiles * TILE_CHANNELS + lane / THREADS_ALONG_POSITIONS * CHANNELS_PER_THREAD;
  if (firstChannel >= shape.O) {
    return;
  }
  // Position lane l of vector v: firstPosition + (v·4 + l)·THREADS_ALONG_POSITIONS.
  let firstPosition = group % positionTiles * TILE_POSITIONS + lane % THREADS_ALONG_POSITIONS;
  // unroll: rows is indexed by literals only, so it stays in registers (src/backends/webgpu/unroll.ts).
  for (var i = 0u; i < CHANNELS_PER_THREAD; i++) {
    rows[i] = min(firstChannel + i, shape.O - 1u);
  }

  // Per position: the top-left input cell of its window, and that cell's flat index.
  var top: array<vec4i, POSITION_VECTORS>;
  var left: array<vec4i, POSITION_VECTORS>;
  var corner: array<vec4i, POSITION_VECTORS>;
  let lanes = (vec4u(0u, 1u, 2u, 3u)) * THREADS_ALONG_POSITIONS;
  // unroll: literal indices into top, left and corner.
  for (var v = 0u; v < POSITION_VECTORS; v++) {
    let q = min(vec4u(firstPosition + v * 4u * THREADS_ALONG_POSITIONS) + lanes, vec4u(positions - 1u));
    let spatial = q % plane;
    top[v] = vec4i(spatial / shape.OW * shape.SH) - i32(shape.PH);
    left[v] = vec4i(spatial % shape.OW * shape.SW) - i32(shape.PW);
    corner[v] = vec4i(q / plane * shape.C * shape.H * shape.W) + top[v] * i32(shape.W) + left[v];
  }

  // (channel, dy, dx) of column k, advanced incrementally: k = (channel·KH + dy)·KW + dx.
  var channelOffset = 0i;
  var dy = 0i;
  var dx = 0i;
  let height = vec4i(i32(shape.H));
  let width = vec4i(i32(shape.W));
  for (var block = 0u; block < shape.kWords; block++) {
    loadWeightBlock(block);
    let columns = min(16u, shape.K - block * 16u);
    for (var bit = 0u; bit < columns; bit++) {
      // unroll: literal indices into xs and the window arrays.
      for (var v = 0u; v < POSITION_VECTORS; v++) {
        let y = top[v] + dy;
        let x = left[v] + dx;
        let inside = (y >= vec4i(0)) & (y < height) & (x >= vec4i(0)) & (x < width);
        // Cells outside the image are padding (zero); their index is clamped only to stay a valid read.
        let index = vec4u(max(corner[v] + channelOffset + dy * i32(shape.W) + dx, vec4i(0)));
        xs[v] = select(vec4f(0.0), vec4f(input[index.x], input[index.y], input[index.z], input[index.w]), inside);
      }
      accumulateColumn(bit);
      dx++;
      if (dx == i32(shape.KW)) {
        dx = 0i;
        dy++;
        if (dy == i32(shape.KH)) {
          dy = 0i;
          channelOffset += i32(shape.H * shape.W);
        }
      }
    }
  }

  // The epilogue loops over a copy of the tile: indexing acc itself with loop counters would keep it in memory for
  // the whole kernel, and unrolling the epilogue made the pipeline 3× slower to create.
  var sums: array<vec4<f32>, CHANNELS_PER_THREAD * POSITION_VECTORS>;
  // unroll: literal indices into acc.
  for (var i = 0u; i < TILE_VECTORS; i++) {
    sums[i] = acc[i];
  }
  for (var i = 0u; i < CHANNELS_PER_THREAD; i++) {
    let o = firstChannel + i;
    if (o >= shape.O) {
      break;
    }
    for (var p = 0u; p < POSITIONS_PER_THREAD; p++) {
      let position = firstPosition + p * THREADS_ALONG_POSITIONS;
      if (position >= positions) {
        break;
      }
      let index = (position / plane * shape.O + o) * plane + position % plane;
      storeOutput(index, o, sums[i * POSITION_VECTORS + p / 4u][p % 4u]);
    }
  }
}
