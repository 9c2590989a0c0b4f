// How every ternary kernel applies a weight without multiplying by it. A weight is staged as its 2-bit code in bits
// 31–30 (docs/FORMAT.md §5: 0 → 0, 1 → +1, 2 → −1), so bit 31 is set for −1 and bit 30 for +1; the bits below are
// ignored, so a packed word shifted left until the code's bits reach the top is a staged code. Applying it to an input
// XORs the weight's sign bit into the input's sign bit and ANDs the input with all ones (±1) or all zeros (0).

fn negateMask(staged: vec4<u32>) -> vec4<u32> {
  return staged & vec4u(0x80000000u);
}

// All ones for a nonzero code: the arithmetic shift spreads bit 31 of (staged | staged << 1), set by either code bit.
fn keepMask(staged: vec4<u32>) -> vec4<u32> {
  return bitcast<vec4u>(bitcast<vec4i>(staged | (staged << vec4u(1u))) >> vec4u(31u));
}

fn applyWeights(x: vec4<f32>, negate: vec4<u32>, keep: vec4<u32>) -> vec4<f32> {
  return bitcast<vec4f>((bitcast<vec4u>(x) ^ negate) & keep);
}
