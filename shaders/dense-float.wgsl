// Full-precision decode step for dense.wgsl (layers kept in f32): row-major [O, K] weights.

@group(0) @binding(4) var<storage, read> weights: array<f32>;

// The first column of the current block.
var<private> blockColumn: u32;

fn loadWeightBlock(block: u32) {
  blockColumn = 16u * block;
}

fn accumulateQuad(quad: u32) {
  let k = blockColumn + 4u * quad + vec4u(0u, 1u, 2u, 3u);
  let index = row * shape.K + min(k, vec4u(shape.K - 1u));
  let loaded = vec4f(weights[index.x], weights[index.y], weights[index.z], weights[index.w]);
  let w = select(vec4f(0.0), loaded, k < vec4u(shape.K));
  // unroll: literal indices into acc and xs (src/backends/webgpu/unroll.ts).
  for (var n = 0u; n < GEMV_SAMPLES; n++) {
    acc[n] += w * xs[n];
  }
}
