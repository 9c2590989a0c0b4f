// Full-precision decode step for dense.wgsl (layers kept in f32): row-major [O, K] weights.

@group(0) @binding(4) var<storage, read> weights: array<f32>;

// The first column of the current block.
var<private> blockColumn: u32;

fn loadWeightBlock(block: u32) {
  blockColumn = 16u * block;
}

fn accumulateQuad(quad: u32) {
  let k = blockColumn + 4u * quad + vec4u(0u, 1u, 2u, 3u);
  let inside = k < vec4u(shape.K);
  let column = min(k, vec4u(shape.K - 1u));
  // unroll: literal indices into acc and rows (src/backends/webgpu/unroll.ts).
  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    let index = rows[i] * shape.K + column;
    let w = select(vec4f(0.0), vec4f(weights[index.x], weights[index.y], weights[index.z], weights[index.w]), inside);
    // unroll: as above.
    for (var n = 0u; n < GEMV_SAMPLES; n++) {
      acc[i * GEMV_SAMPLES + n] += w * xs[n];
    }
  }
}
