// Full-precision decode step for conv2d.wgsl (layers kept in f32): row-major [O, K] weights.

@group(0) @binding(4) var<storage, read> weights: array<f32>;

var<private> column: u32;

fn loadWeightWord(word: u32) {
  column = word * 16u;
}

fn accumulateColumn(bit: u32) {
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    acc[ch] += weights[rows[ch] * K + column + bit] * xs;
  }
}
