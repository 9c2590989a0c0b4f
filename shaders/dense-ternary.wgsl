// Ternary decode step for dense.wgsl: 2-bit codes, 16 per u32, one padded row per output (docs/FORMAT.md §5),
// applied to four columns at once by the masks of ternary-masks.wgsl.

@group(0) @binding(4) var<storage, read> weights: array<u32>;

// The block's packed word of the invocation's row.
var<private> word: u32;

fn loadWeightBlock(block: u32) {
  word = weights[row * shape.kWords + block];
}

fn accumulateQuad(quad: u32) {
  // The quad's four codes, each staged as code << 30 (ternary-masks.wgsl).
  let staged = ((vec4u(word) >> (vec4u(0u, 2u, 4u, 6u) + 8u * quad)) & vec4u(3u)) << vec4u(30u);
  let negate = negateMask(staged);
  let keep = keepMask(staged);
  // unroll: literal indices into acc and xs (src/backends/webgpu/unroll.ts).
  for (var n = 0u; n < GEMV_SAMPLES; n++) {
    acc[n] += applyWeights(xs[n], negate, keep);
  }
}
