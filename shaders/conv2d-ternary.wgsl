// Ternary decode step for conv2d.wgsl: 2-bit codes, 16 per u32, one padded row per output channel
// (docs/FORMAT.md §5). A code of +1 adds the inputs, −1 subtracts them, 0 skips: no multiplication by a weight.

@group(0) @binding(4) var<storage, read> weights: array<u32>;

var<private> words: array<u32, CHANNELS_PER_THREAD>;

fn loadWeightWord(word: u32) {
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    words[ch] = weights[rows[ch] * K_WORDS + word];
  }
}

fn accumulateColumn(bit: u32) {
  let shift = 2u * bit;
  for (var ch = 0u; ch < CHANNELS_PER_THREAD; ch++) {
    let code = (words[ch] >> shift) & 3u;
    if (code == 1u) {
      acc[ch] += xs;
    } else if (code == 2u) {
      acc[ch] -= xs;
    }
  }
}
