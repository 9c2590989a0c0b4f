// Ternary decode step for conv2d.wgsl with conv2d-staged.wgsl: per K chunk, the workgroup decodes the packed words of
// its TILE_CHANNELS channels once into the masks of ternary-masks.wgsl, which every invocation along positions then
// reads instead of decoding the codes itself.

@group(0) @binding(4) var<storage, read> weights: array<u32>;

const TILE_CHANNEL_VECTORS = TILE_CHANNELS / 4u;

// [column · TILE_CHANNEL_VECTORS + g]: the masks of tile channels 4g … 4g + 3 in the chunk's column.
var<workgroup> negateMasks: array<vec4u, 16u * TILE_CHANNEL_VECTORS>;
var<workgroup> keepMasks: array<vec4u, 16u * TILE_CHANNEL_VECTORS>;

fn loadWeightBlock(block: u32) {
  // A loop, not unrolled (see loadInputBlock). Runs after loadInputBlock's barrier, before chunkReady's; each
  // invocation writes whole vectors.
  for (var slot = invocation; slot < 16u * TILE_CHANNEL_VECTORS; slot += INVOCATIONS) {
    let g = slot % TILE_CHANNEL_VECTORS;
    let column = slot / TILE_CHANNEL_VECTORS;
    // Channels past O read the last row (clamped); their sums are never stored.
    let channels = min(vec4u(firstTileChannel + 4u * g) + vec4u(0u, 1u, 2u, 3u), vec4u(shape.O - 1u));
    let index = channels * shape.kWords + block;
    let packed = vec4u(weights[index.x], weights[index.y], weights[index.z], weights[index.w]);
    // The column's codes moved to bits 31–30 (ternary-masks.wgsl).
    let staged = packed << vec4u(30u - 2u * column);
    negateMasks[slot] = negateMask(staged);
    keepMasks[slot] = keepMask(staged);
  }
}

fn accumulateColumn(bit: u32) {
  let first = bit * TILE_CHANNEL_VECTORS + invocation / THREADS_ALONG_POSITIONS * CHANNEL_GROUPS;
  // unroll: literal indices into acc (src/backends/webgpu/unroll.ts).
  for (var g = 0u; g < CHANNEL_GROUPS; g++) {
    let negate = negateMasks[first + g];
    let keep = keepMasks[first + g];
    // unroll: as above.
    for (var j = 0u; j < 4u; j++) {
      // unroll: as above.
      for (var v = 0u; v < POSITION_VECTORS; v++) {
        acc[(g * 4u + j) * POSITION_VECTORS + v] += applyWeights(xs[v], vec4u(negate[j]), vec4u(keep[j]));
      }
    }
  }
}
