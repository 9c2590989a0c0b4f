// Ternary decode step for conv2d.wgsl: 2-bit codes, 16 per u32, one padded row per output channel (docs/FORMAT.md §5),
// applied by the masks of ternary-masks.wgsl.

@group(0) @binding(4) var<storage, read> weights: array<u32>;

// The block's packed word of each of the invocation's channels.
var<private> words: array<u32, CHANNELS_PER_THREAD>;

fn loadWeightBlock(block: u32) {
  // unroll: literal indices into words and rows.
  for (var i = 0u; i < CHANNELS_PER_THREAD; i++) {
    words[i] = weights[rows[i] * shape.kWords + block];
  }
}

fn accumulateColumn(bit: u32) {
  // unroll: literal indices into acc, words and rows (src/backends/webgpu/unroll.ts).
  for (var g = 0u; g < CHANNEL_GROUPS; g++) {
    let packed = vec4u(words[4u * g], words[4u * g + 1u], words[4u * g + 2u], words[4u * g + 3u]);
    // Four channels' codes of this column, moved to bits 31–30 (ternary-masks.wgsl).
    let staged = packed << vec4u(30u - 2u * bit);
    let negate = negateMask(staged);
    let keep = keepMask(staged);
    // unroll: as above.
    for (var j = 0u; j < 4u; j++) {
      // unroll: as above.
      for (var v = 0u; v < POSITION_VECTORS; v++) {
        acc[(g * 4u + j) * POSITION_VECTORS + v] += applyWeights(xs[v], vec4u(negate[j]), vec4u(keep[j]));
      }
    }
  }
}
