// Full-precision decode step for conv2d.wgsl (layers kept in f32): row-major [O, K] weights.

@group(0) @binding(4) var<storage, read> weights: array<f32>;

fn loadWeightWord(word: u32) {}

fn accumulateColumn(k: u32, bit: u32) {
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    let weight = weights[rows[ch] * K + k];
    for (var p = 0u; p < POSITIONS_PER_THREAD; p++) {
      acc[ch * POSITIONS_PER_THREAD + p] += weight * xs[p];
    }
  }
}
