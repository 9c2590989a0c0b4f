// Ternary decode step for dense.wgsl: 2-bit codes, 16 per u32, one padded row per output (docs/FORMAT.md §5),
// applied to four columns at once by the masks of ternary-masks.wgsl.

@group(0) @binding(4) var<storage, read> weights: array<u32>;

// The block's packed word of each of the invocation's rows.
var<private> words: array<u32, ROWS_PER_THREAD>;

fn loadWeightBlock(block: u32) {
  // unroll: literal indices into words and rows (src/backends/webgpu/unroll.ts).
  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    words[i] = weights[rows[i] * shape.kWords + block];
  }
}

fn accumulateQuad(quad: u32) {
  // Left shifts moving the codes of columns 4·quad … + 3 to bits 31–30.
  let shifts = vec4u(30u, 28u, 26u, 24u) - 8u * quad;
  // unroll: literal indices into acc and words.
  for (var i = 0u; i < ROWS_PER_THREAD; i++) {
    // The quad's four codes of row i, staged (ternary-masks.wgsl).
    let staged = vec4u(words[i]) << shifts;
    let negate = negateMask(staged);
    let keep = keepMask(staged);
    // unroll: as above.
    for (var n = 0u; n < GEMV_SAMPLES; n++) {
      acc[i * GEMV_SAMPLES + n] += applyWeights(xs[n], negate, keep);
    }
  }
}
