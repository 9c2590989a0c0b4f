// Full-precision decode step for conv2d.wgsl (layers kept in f32): row-major [O, K] weights.

@group(0) @binding(4) var<storage, read> weights: array<f32>;

// The first column of the current block.
var<private> blockColumn: u32;

fn loadWeightBlock(block: u32) {
  blockColumn = 16u * block;
}

fn accumulateColumn(bit: u32) {
  let k = blockColumn + bit;
  // unroll: literal indices into acc, words and rows (src/backends/webgpu/unroll.ts).
  for (var g = 0u; g < CHANNEL_GROUPS; g++) {
    let row = 4u * g;
    let w = vec4f(
      weights[rows[row] * shape.K + k],
      weights[rows[row + 1u] * shape.K + k],
      weights[rows[row + 2u] * shape.K + k],
      weights[rows[row + 3u] * shape.K + k],
    );
    // unroll: as above.
    for (var j = 0u; j < 4u; j++) {
      // unroll: as above.
      for (var v = 0u; v < POSITION_VECTORS; v++) {
        acc[(g * 4u + j) * POSITION_VECTORS + v] += w[j] * xs[v];
      }
    }
  }
}
