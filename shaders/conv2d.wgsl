// Convolution as a register-tiled implicit GEMM with a fused epilogue: y = act(Σ w·x · multiplier[o] + bias[o]
// (+ residual)). GEMM view: output[o, p] = Σ_k weight[o, k] · patch[k, p] with k = (c·KH + dy)·KW + dx over
// K = C·KH·KW and p = (n, oy, ox) over N·OH·OW: the batch is folded into the positions, so it shares every weight.
//
// A workgroup computes a tile of TILE_CHANNELS × TILE_POSITIONS outputs; each invocation holds CHANNELS_PER_THREAD
// channels × POSITION_VECTORS vec4s of positions in registers, so per column of K one input load serves
// CHANNELS_PER_THREAD channels and one decoded weight serves 4·POSITION_VECTORS positions. Invocations along
// positions are adjacent in memory, so their loads coalesce.
//
// Two ways to feed the tile, chosen per device (src/backends/webgpu/kernel-policy.ts), each a pair of steps the host
// appends: the input step, conv2d-gather.wgsl (each invocation loads its own inputs from the storage buffer) or
// conv2d-staged.wgsl (each K chunk of 16 columns is loaded once per workgroup into workgroup memory), and the
// matching decode step. On SwiftShader a pipeline with workgroup memory takes seconds longer to create, so software
// adapters gather (docs/ARCHITECTURE.md, WebGPU kernels).
//
// Sizes come from a uniform (`shape`, linear.wgsl), so layers of every size share one pipeline per variant. The
// host (src/backends/webgpu/shaders.ts) declares the tile constants and appends linear.wgsl, the input step
// (prepareInputs(), loadInputBlock(block), chunkReady(), loadColumn(bit): fills `xs` with column 16·block + bit) and
// the decode step (conv2d-ternary.wgsl, conv2d-ternary-staged.wgsl or conv2d-float.wgsl), which declares binding 4
// (`weights`) and defines loadWeightBlock(block) and accumulateColumn(bit) (adds column 16·block + bit of the
// invocation's channels `rows`, times `xs`, into `acc`).

const TILE_CHANNELS = THREADS_ALONG_CHANNELS * CHANNELS_PER_THREAD;
const TILE_POSITIONS = THREADS_ALONG_POSITIONS * POSITIONS_PER_THREAD;

// The register tile: acc[i·POSITION_VECTORS + v] holds channel i of this invocation at its positions of vector v.
var<private> acc: array<vec4<f32>, CHANNELS_PER_THREAD * POSITION_VECTORS>;
// The inputs under the current column at this invocation's positions.
var<private> xs: array<vec4<f32>, POSITION_VECTORS>;
// This invocation's weight rows, clamped so that channels past O read valid memory (their results are never stored).
var<private> rows: array<u32, CHANNELS_PER_THREAD>;
// The invocation's index in its workgroup, the output's positions per channel (all samples) and per sample, and the
// workgroup's first channel and position.
var<private> invocation: u32;
var<private> positions: u32;
var<private> plane: u32;
var<private> firstTileChannel: u32;
var<private> firstTilePosition: u32;

@compute @workgroup_size(INVOCATIONS)
fn main(
  @builtin(workgroup_id) workgroup: vec3u,
  @builtin(num_workgroups) workgroups: vec3u,
  @builtin(local_invocation_index) localIndex: u32,
) {
  invocation = localIndex;
  plane = shape.OH * shape.OW;
  // Locals, not the private copies, decide the early return: the uniformity analysis takes any read of a private
  // variable as varying across the workgroup, and the staged variant's barriers need uniform control flow.
  let outputPositions = arrayLength(&output) / shape.O;
  positions = outputPositions;
  let positionTiles = (outputPositions + TILE_POSITIONS - 1u) / TILE_POSITIONS;
  let group = flatWorkgroup(workgroup, workgroups);
  let tileChannel = group / positionTiles * TILE_CHANNELS;
  // Uniform across the workgroup (the surplus workgroups of a folded grid), so no barrier is skipped by some only.
  if (tileChannel >= shape.O) {
    return;
  }
  firstTileChannel = tileChannel;
  firstTilePosition = group % positionTiles * TILE_POSITIONS;
  let firstChannel = firstTileChannel + invocation / THREADS_ALONG_POSITIONS * CHANNELS_PER_THREAD;
  // Position lane l of vector v: firstPosition + (v·4 + l)·THREADS_ALONG_POSITIONS.
  let firstPosition = firstTilePosition + invocation % THREADS_ALONG_POSITIONS;
  // unroll: rows is indexed by literals only, so it stays in registers (src/backends/webgpu/unroll.ts).
  for (var i = 0u; i < CHANNELS_PER_THREAD; i++) {
    rows[i] = min(firstChannel + i, shape.O - 1u);
  }
  prepareInputs();

  for (var block = 0u; block < shape.kWords; block++) {
    loadInputBlock(block);
    loadWeightBlock(block);
    chunkReady();
    let columns = min(16u, shape.K - block * 16u);
    for (var bit = 0u; bit < columns; bit++) {
      loadColumn(bit);
      accumulateColumn(bit);
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
