// What convolution (conv2d.wgsl) and dense (dense.wgsl) share: the layer's sizes, the bindings other than the
// weights (binding 4, declared by the decode step), and the fused epilogue
// act(Σ · multiplier[o] + bias[o] (+ residual)).

// The layer's sizes (src/backends/webgpu/kernels/linear.ts writes them in this order). A dense layer is a 1×1
// convolution of a 1×1 image with C = K. `relu` and `hasResidual` are 0 or 1.
struct LinearShape {
  C: u32, H: u32, W: u32, O: u32,
  OH: u32, OW: u32, KH: u32, KW: u32,
  SH: u32, SW: u32, PH: u32, PW: u32,
  K: u32, kWords: u32, relu: u32, hasResidual: u32,
}

// Sized to exactly N·O·OH·OW values, so the shaders read the batch from its arrayLength.
@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<storage, read> input: array<f32>;
// Bound to a 4-byte placeholder when shape.hasResidual is 0.
@group(0) @binding(2) var<storage, read> residual: array<f32>;
// [0, O): the effective multiplier alpha·scale; [O, 2·O): the bias.
@group(0) @binding(3) var<storage, read> epilogue: array<f32>;
@group(0) @binding(5) var<uniform> shape: LinearShape;

// Writes output[index], the value of channel o whose weighted sum is `sum`.
fn storeOutput(index: u32, o: u32, sum: f32) {
  var value = sum * epilogue[o] + epilogue[shape.O + o];
  if (shape.hasResidual != 0u) {
    value += residual[index];
  }
  if (shape.relu != 0u) {
    value = max(value, 0.0);
  }
  output[index] = value;
}
